#!/usr/bin/env bash
# Interleaved rounds of guardtrace's `bench` and the peer engines on the synthetic 3B checkpoint, as the tables in
# docs/performance.md were measured: every engine once per round, in the order given, ROUNDS rounds, one JSON
# line per run; then per-round ratios against the first engine. The peers and their setup (llama.cpp in a
# Debian sid chroot, transformers in a venv, the GGUF files) are described in ../shared/peers/README.md.
#
#   PEERS=/scratch/peers docs/peer-rounds.sh [-r ROUNDS] [-o OUT.jsonl] ENGINE...
#   docs/peer-rounds.sh --summary OUT.jsonl
#
# Engines:
#   gt-int8       guardtrace --dtype int8 on JDK 25 with the Vector API module
#   gt-bf16       guardtrace --dtype bfloat16, same JVM (the Java decode kernels)
#   gt-libtorch   guardtrace bf16 with -Dguardtrace.vectorKernels=false (libtorch decode, packed weights)
#   gt-jdk17      guardtrace bf16 on JDK 17 with `java -jar` (no module: libtorch decode)
#   llama-q8_0    llama.cpp q8_0 GGUF (llama_bench.py)
#   llama-bf16    llama.cpp bf16 GGUF
#   hf            transformers bf16, sdpa (hf_bench.py)
#
# Environment: PEERS (required for runs: holds synth-3b/, chroot/, venv/ and the peer scripts, or set
# PEER_SCRIPTS), JAR (default guardtrace-examples/target/guardtrace.jar, with its lib/ beside it), JDK25 and
# JDK17 (java binaries), PROMPT (512), NEW (16). Runs at nice -15; run it on an idle machine.
set -euo pipefail

summary() {
  # per engine: the rounds' decode and prefill medians; per round: each engine's decode against the first's
  jq -rs '
    def decode: .result.decodeMsPerTokenMedian // .result.decode_ms_median;
    def prefill: (.result.prefillMs // null | if . then . / 1000 else null end) // .result.prefill_s;
    (map(.engine) | unique) as $engines
    | (.[0].engine) as $base
    | (map(select(.engine == $base)) | map({(.round | tostring): decode}) | add) as $basedecode
    | ($engines[] as $e
       | map(select(.engine == $e))
       | "\($e): decode ms \(map(decode) | map(tostring) | join(", ")); prefill s \(map(prefill)
           | map(if . then (. * 100 | round / 100 | tostring) else "-" end) | join(", "))"),
      ("decode against \($base), per round:"),
      ($engines[] as $e | select($e != $base)
       | map(select(.engine == $e))
       | "  \($e): \(map((decode / $basedecode[.round | tostring]) * 100 | round / 100 | tostring) | join(", "))")
  ' "$1"
}

if [[ "${1:-}" == "--summary" ]]; then
  summary "$2"
  exit 0
fi

rounds=4
out="peer-rounds-$(date -u +%Y%m%dT%H%M%S).jsonl"
while getopts "r:o:" opt; do
  case $opt in
    r) rounds=$OPTARG ;;
    o) out=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [[ $# -eq 0 ]]; then
  echo "usage: PEERS=DIR $0 [-r ROUNDS] [-o OUT.jsonl] ENGINE... (see the comment at the top)" >&2
  exit 2
fi

: "${PEERS:?set PEERS to the peer folder (../shared/peers/README.md)}"
scripts=${PEER_SCRIPTS:-$PEERS}
jar=$(realpath "${JAR:-guardtrace-examples/target/guardtrace.jar}")
jdk25=${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
jdk17=${JDK17:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}
prompt=${PROMPT:-512}
new=${NEW:-16}
bench=(bench --model "$PEERS/synth-3b" --device cpu --prompt-tokens "$prompt" --new-tokens "$new" --runs 2
  --warmup 1 --format json)
export DJL_OFFLINE=true

run() {
  case $1 in
    gt-int8) nice -n -15 "$jdk25" --add-modules jdk.incubator.vector -jar "$jar" "${bench[@]}" --dtype int8 ;;
    gt-bf16) nice -n -15 "$jdk25" --add-modules jdk.incubator.vector -jar "$jar" "${bench[@]}" --dtype bfloat16 ;;
    gt-libtorch) nice -n -15 "$jdk25" --add-modules jdk.incubator.vector -Dguardtrace.vectorKernels=false \
      -jar "$jar" "${bench[@]}" --dtype bfloat16 ;;
    gt-jdk17) nice -n -15 "$jdk17" -jar "$jar" "${bench[@]}" --dtype bfloat16 ;;
    llama-q8_0 | llama-bf16) (cd "$scripts" && PEERS_CHROOT="$PEERS/chroot" nice -n -15 python3 llama_bench.py \
      --quant "${1#llama-}" --prompt-tokens "$prompt" --new-tokens "$new" --reps 2) ;;
    hf) (cd "$scripts" && SYNTH_DIR="$PEERS/synth-3b" nice -n -15 "$PEERS/venv/bin/python" hf_bench.py \
      --dtype bfloat16 --prompt-tokens "$prompt" --new-tokens "$new" --warmup 1 --runs 2) ;;
    *) echo "unknown engine $1" >&2; return 2 ;;
  esac
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs); $(nproc) threads;" \
  "$(grep -qw amx_bf16 /proc/cpuinfo && echo AMX || echo 'no AMX')" >&2
for round in $(seq 1 "$rounds"); do
  for engine in "$@"; do
    start=$(date -u +%H:%M:%S)
    result=$(run "$engine" 2>/dev/null | tail -1)
    jq -cn --argjson round "$round" --arg engine "$engine" --arg start "$start" --argjson result "$result" \
      '{round: $round, engine: $engine, start: $start, result: $result}' >> "$out"
    echo "round $round $engine done ($start UTC)" >&2
  done
done
summary "$out"
