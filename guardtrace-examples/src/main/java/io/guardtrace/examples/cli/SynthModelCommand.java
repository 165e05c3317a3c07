package io.guardtrace.examples.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code guardtrace synth-model}: wired to the synthetic checkpoint writer. */
@Command(name = "synth-model", mixinStandardHelpOptions = true,
    description = "Write a synthetic Qwen2.5-VL checkpoint.")
final class SynthModelCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new UnsupportedOperationException("synth-model is not available in this build");
  }
}
