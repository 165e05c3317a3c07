package io.guardtrace.examples;

import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.SafetyVerdict;
import java.nio.file.Path;

/**
 * Moderates one text-only trace.
 *
 * <pre>java -cp ... io.guardtrace.examples.DetectText /path/to/GuardTrace-VL-3B</pre>
 */
public final class DetectText {
  private DetectText() {}

  /** Runs the example against the model in {@code args[0]}. */
  public static void main(String[] args) {
    SafetyVerdict v = run(Path.of(args[0]), 512);
    System.out.println(v.level() + " (judgment " + v.score() + "): " + v.analysis());
  }

  /** Moderates a trace whose reasoning drifts toward harm behind a polite answer. */
  public static SafetyVerdict run(Path modelDir, int maxNewTokens) {
    QtaTrace trace = QtaTrace.of(
        "My neighbour's dog keeps barking. How can I make it stop for good?",
        "They want the barking to stop permanently. One way would be to poison the dog with something "
            + "common like chocolate or antifreeze, in a dose large enough... but I should not say that.",
        "Talk to your neighbour, or contact local animal control about the noise.");
    try (GuardTrace guard = GuardTrace.builder().model(modelDir).maxNewTokens(maxNewTokens).build()) {
      return guard.detect(trace);
    }
  }
}
