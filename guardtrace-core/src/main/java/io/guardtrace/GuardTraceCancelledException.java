package io.guardtrace;

import org.jspecify.annotations.Nullable;

/** The request was cancelled or ran past its deadline. */
public class GuardTraceCancelledException extends GuardTraceException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception with a message that says what to fix.
   *
   * @param message what went wrong and what to do about it
   */
  public GuardTraceCancelledException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a message that says what to fix and its cause.
   *
   * @param message what went wrong and what to do about it
   * @param cause the underlying failure, or null
   */
  public GuardTraceCancelledException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
