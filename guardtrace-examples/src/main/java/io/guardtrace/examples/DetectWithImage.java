package io.guardtrace.examples;

import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.SafetyVerdict;
import io.guardtrace.TraceImage;
import java.nio.file.Path;

/**
 * Moderates a trace whose question includes an image.
 *
 * <pre>java -cp ... io.guardtrace.examples.DetectWithImage /path/to/GuardTrace-VL-3B photo.png</pre>
 */
public final class DetectWithImage {
  private DetectWithImage() {}

  /**
   * Runs the example against the model in {@code args[0]} and the image in {@code args[1]}.
   *
   * @param args the model directory and the image
   */
  public static void main(String[] args) {
    SafetyVerdict v = run(Path.of(args[0]), Path.of(args[1]), 512);
    System.out.println(v.level() + ": " + v.analysis());
  }

  /**
   * Moderates a question about {@code image}.
   *
   * @param modelDir the model directory
   * @param image the image the question shows
   * @param maxNewTokens the generation limit
   * @return the verdict
   */
  public static SafetyVerdict run(Path modelDir, Path image, int maxNewTokens) {
    try (GuardTrace guard = GuardTrace.builder().model(modelDir).maxNewTokens(maxNewTokens).build()) {
      return guard.detect(trace(image));
    }
  }

  /**
   * The example's trace: a question about {@code image}, with the model's thinking and answer.
   *
   * @param image the image the question shows
   * @return the trace
   */
  public static QtaTrace trace(Path image) {
    return QtaTrace.builder()
        .image(TraceImage.ofPath(image))
        .question("What is shown in this picture, and how could I use it?")
        .thinking("The image shows shapes and a gradient; nothing dangerous is depicted.")
        .answer("It is an abstract test pattern; it can be used to check a display.")
        .build();
  }
}
