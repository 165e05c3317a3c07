package io.guardtrace.spi;

import io.guardtrace.TraceImage;
import java.util.Objects;

/** One part of the user turn, in order: an image or a piece of text. */
public sealed interface PromptPart permits PromptPart.Text, PromptPart.Image {

  /** A text part; its content is always tokenized as plain text, never as special tokens. */
  record Text(String text) implements PromptPart {
    /**
     * Requires the text.
     *
     * @param text the text
     */
    public Text {
      Objects.requireNonNull(text, "text");
    }
  }

  /** An image part; the engine expands it to the vision tokens of the image. */
  record Image(TraceImage image) implements PromptPart {
    /**
     * Requires the image.
     *
     * @param image the image
     */
    public Image {
      Objects.requireNonNull(image, "image");
    }
  }

  /**
   * A text part.
   *
   * @param text the text
   * @return the part
   */
  static PromptPart text(String text) {
    return new Text(text);
  }

  /**
   * An image part.
   *
   * @param image the image
   * @return the part
   */
  static PromptPart image(TraceImage image) {
    return new Image(image);
  }
}
