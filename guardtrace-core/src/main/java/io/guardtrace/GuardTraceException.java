package io.guardtrace;

import org.jspecify.annotations.Nullable;

/**
 * The root of every exception guardtrace throws. All are unchecked; each message says what went wrong and
 * what to do about it.
 */
public class GuardTraceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception with a message that says what to fix.
   *
   * @param message what went wrong and what to do about it
   */
  public GuardTraceException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a message that says what to fix and its cause.
   *
   * @param message what went wrong and what to do about it
   * @param cause the underlying failure, or null
   */
  public GuardTraceException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
