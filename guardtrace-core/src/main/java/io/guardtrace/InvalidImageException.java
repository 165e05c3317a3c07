package io.guardtrace;

import org.jspecify.annotations.Nullable;

/** An image that cannot be used: unreadable, corrupt, truncated, of an unsupported format, or too large. */
public class InvalidImageException extends InvalidInputException {
  private static final long serialVersionUID = 1L;

  /** The description of the image at fault. */
  private final String image;

  /**
   * @param image a description of the image at fault (its path, or its size and hash)
   * @param problem what is wrong with it and what to do
   */
  public InvalidImageException(String image, String problem) {
    this(image, problem, null);
  }

  /**
   * As {@link #InvalidImageException(String, String)} with a cause.
   *
   * @param image a description of the image at fault (its path, or its size and hash)
   * @param problem what is wrong with it and what to do
   * @param cause the underlying failure, or null
   */
  public InvalidImageException(String image, String problem, @Nullable Throwable cause) {
    super("image " + image + ": " + problem, cause);
    this.image = image;
  }

  /**
   * The description of the image at fault.
   *
   * @return the description of the image at fault
   */
  public String image() {
    return image;
  }
}
