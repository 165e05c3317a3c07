#!/usr/bin/env bash
# GPU check for guardtrace, for a machine with an NVIDIA GPU (see docs/gpu.md). Runs in well under 8 minutes:
#   1. the parity tests on the GPU in float32 (and the bfloat16 parity test), and whether shared decode steps
#      are bit-identical to single ones there (DecodeBatcherTest, ConcurrentDecodeTest),
#   2. `guardtrace bench` on a synthetic full-size 3B checkpoint generated on the spot,
# and prints one short table last.
#
# DJL 0.36 needs libtorch 2.7.1 with CUDA; it cannot download it offline. Point it at one first:
#   export PYTORCH_LIBRARY_PATH=/path/to/torch-2.7.1+cu128/lib PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cu128
set -euo pipefail
cd "$(dirname "$0")/../../../.."
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
: "${PYTORCH_LIBRARY_PATH:?set PYTORCH_LIBRARY_PATH to a libtorch 2.7.1 CUDA lib/ folder (docs/gpu.md)}"
OUT=${OUT:-/tmp/guardtrace-gpu}
mkdir -p "$OUT"

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"

echo "== parity tests on gpu"
mvn -B -ntp -o -q install -DskipTests
mvn -B -ntp -o -pl guardtrace-models surefire:test -Dguardtrace.test.device=gpu \
  -Dtest='TextParityTest,BatchLeftPadTest,VisionParityTest,ImageParityTest,EngineTextTest,Bf16ParityTest,DecodeBatcherTest,ConcurrentDecodeTest' \
  -Dsurefire.failIfNoSpecifiedTests=false 2>&1 | tee "$OUT/parity.log" | grep -E "rel err|Tests run|FAIL" || true

echo "== bench on a synthetic 3B checkpoint"
JAR=guardtrace-examples/target/guardtrace.jar
[ -d "$OUT/synth3b" ] || java -jar "$JAR" synth-model --config 3b --out "$OUT/synth3b"
for dtype in bfloat16 float32; do
  java -jar "$JAR" bench --model "$OUT/synth3b" --device gpu --dtype $dtype --prompt-tokens 512 \
    --image 448x448 --new-tokens 64 --runs 3 --format json | tee "$OUT/bench-$dtype.json"
done

echo
echo "== summary"
grep -hoE "rel err [0-9.e-]+" "$OUT/parity.log" | sort | uniq -c | tail -5 || true
for dtype in bfloat16 float32; do
  python3 - "$OUT/bench-$dtype.json" <<'PY' || cat "$OUT/bench-$dtype.json"
import json, sys
d = json.load(open(sys.argv[1]))
print(f"{d['dtype']:9} load {d['loadMs']:8.0f} ms  vision {d['visionMs']:7.1f} ms  prefill {d['prefillMs']:7.1f} ms "
      f"({d['prefillTokensPerSec']:.0f} tok/s)  decode {d['decodeMsPerTokenMedian']:6.2f} ms/tok (p90 "
      f"{d['decodeMsPerTokenP90']:.2f})  e2e {d['endToEndMs']:8.0f} ms  shared decode batch {d['decodeBatchSize']}")
PY
done
