package io.guardtrace.examples.cli;

import io.guardtrace.models.synth.SyntheticCheckpoint;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code guardtrace synth-model}: writes a synthetic checkpoint (random weights, generated tokenizer). */
@Command(name = "synth-model", mixinStandardHelpOptions = true,
    description = "Write a Qwen2.5-VL checkpoint in Hugging Face layout with seeded random bf16 weights and a "
        + "generated tokenizer, to measure speed at full size without the real weights.")
final class SynthModelCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--config", defaultValue = "3b", description = "3b (Qwen2.5-VL-3B-Instruct's shape) or tiny.")
  String config;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
  Path out;

  @Option(names = "--seed", defaultValue = "1", description = "Random seed.")
  long seed;

  @Option(names = "--shard-bytes", defaultValue = "4000000000", description = "Largest shard.")
  long shardBytes;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    SyntheticCheckpoint.Shape shape;
    try {
      shape = SyntheticCheckpoint.preset(config);
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    long start = System.nanoTime();
    SyntheticCheckpoint.write(out, shape, seed, shardBytes);
    err.printf("wrote a synthetic %s checkpoint to %s in %.1f s%n", config, out, (System.nanoTime() - start) / 1e9);
    return ExitCodes.OK;
  }
}
