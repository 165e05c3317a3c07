package io.guardtrace;

import org.jspecify.annotations.Nullable;

/** The model could not be found, downloaded or loaded: missing or malformed files, an unsupported model type or dtype, or an unavailable device. */
public class ModelLoadException extends GuardTraceException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception with a message that says what to fix.
   *
   * @param message what went wrong and what to do about it
   */
  public ModelLoadException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a message that says what to fix and its cause.
   *
   * @param message what went wrong and what to do about it
   * @param cause the underlying failure, or null
   */
  public ModelLoadException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
