package io.guardtrace;

import org.jspecify.annotations.Nullable;

/** The trace or one of its images cannot be moderated as given (empty field, corrupt image, too long for the context...). Retrying the same input fails the same way. */
public class InvalidInputException extends GuardTraceException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception with a message that says what to fix.
   *
   * @param message what went wrong and what to do about it
   */
  public InvalidInputException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a message that says what to fix and its cause.
   *
   * @param message what went wrong and what to do about it
   * @param cause the underlying failure, or null
   */
  public InvalidInputException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
