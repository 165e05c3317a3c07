package io.guardtrace.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.InvalidImageException;
import io.guardtrace.QtaTrace;
import io.guardtrace.TraceImage;
import io.guardtrace.image.ImageDecoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * One item of a GuardTrace-Test file ({@code {image_name, question, thinking, response, evaluation_result}}),
 * read as the reference evaluation reads it: an absent text field becomes the reference's stand-in
 * ({@link GuardTraceTestSet#NO_QUESTION}...), JSON {@code null} becomes {@code "None"} (Python's text for it),
 * and only a non-empty string {@code image_name} names an image.
 *
 * @param index the item's position in its file
 * @param imageName the image's file name, or empty when the item names none
 * @param question the item's question
 * @param thinking the reasoning under audit
 * @param response the answer under audit
 * @param label the ground truth: 0, 0.5 or 1
 */
record EvalItem(int index, String imageName, String question, String thinking, String response, double label) {

  /** What became of the image an item names. */
  enum ImageStatus {
    /** The item names no image: the guard gets no image part and no notice. */
    NONE,
    /** The image was loaded and goes to the guard. */
    LOADED,
    /** The image is missing or cannot be decoded: the guard reads "Image missing or unavailable" instead. */
    MISSING;

    /** The name written in the predictions file. */
    String json() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * The trace to judge and what became of the item's image.
   *
   * @param trace the trace as the reference would present it
   * @param image whether the image was loaded
   * @param imageProblem why the image is missing, or null
   */
  record Prepared(QtaTrace trace, ImageStatus image, @Nullable String imageProblem) {}

  /**
   * Reads item {@code index} of {@code file}.
   *
   * @throws ExitCodes.BadInputException when the item is not an object or its label is not 0, 0.5 or 1
   */
  static EvalItem read(JsonNode node, int index, Path file) {
    if (!node.isObject()) {
      throw new ExitCodes.BadInputException(where(file, index) + " is not a JSON object");
    }
    JsonNode image = node.path("image_name");
    String imageName = image.isTextual() ? image.asText() : "";
    return new EvalItem(index, imageName, text(node, "question", GuardTraceTestSet.NO_QUESTION),
        text(node, "thinking", GuardTraceTestSet.NO_THINKING), text(node, "response", GuardTraceTestSet.NO_RESPONSE),
        label(node.get("evaluation_result"), file, index));
  }

  /** Whether the item names an image. */
  boolean hasImage() {
    return !imageName.isEmpty();
  }

  /**
   * The question the reference sends: the FigStep instruction for an item whose image name starts with
   * {@value GuardTraceTestSet#FIGSTEP_PREFIX} (whether or not the image loads), else the item's own.
   */
  String questionSent() {
    return hasImage() && imageName.startsWith(GuardTraceTestSet.FIGSTEP_PREFIX)
        ? GuardTraceTestSet.FIGSTEP_QUESTION : question;
  }

  /**
   * The trace for this item. The image is looked up in {@code imagesDir} and decoded with {@code decoder}, as
   * the reference opens it before building the prompt: a file that does not exist or does not decode makes the
   * item {@link ImageStatus#MISSING}, judged with the notice instead of the image.
   *
   * @throws io.guardtrace.InvalidInputException when the trace is unusable (a blank question and no image)
   */
  Prepared prepare(Path imagesDir, ImageDecoder decoder) {
    QtaTrace.Builder trace = QtaTrace.builder().question(questionSent()).thinking(thinking).answer(response);
    if (!hasImage()) {
      return new Prepared(trace.build(), ImageStatus.NONE, null);
    }
    Path file = imagesDir.resolve(imageName);
    if (!Files.exists(file)) {
      return new Prepared(trace.imageUnavailable().build(), ImageStatus.MISSING, "file not found: " + file);
    }
    TraceImage img = TraceImage.ofPath(file);
    try {
      decoder.decode(img);
    } catch (InvalidImageException e) {
      return new Prepared(trace.imageUnavailable().build(), ImageStatus.MISSING, e.getMessage());
    }
    return new Prepared(trace.image(img).build(), ImageStatus.LOADED, null);
  }

  private static String text(JsonNode item, String field, String absent) {
    JsonNode v = item.get(field);
    if (v == null) {
      return absent;
    }
    if (v.isNull()) {
      return "None";
    }
    return v.isTextual() ? v.asText() : v.toString();
  }

  private static double label(@Nullable JsonNode v, Path file, int index) {
    if (v != null && (v.isNumber() || v.isTextual())) {
      try {
        double d = Double.parseDouble(v.asText().strip());
        if (d == 0 || d == 0.5 || d == 1) {
          return d;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw new ExitCodes.BadInputException(where(file, index) + ": evaluation_result must be 0, 0.5 or 1, was "
        + (v == null ? "absent" : v.toString()));
  }

  private static String where(Path file, int index) {
    return "dataset " + file + " item " + index;
  }
}
