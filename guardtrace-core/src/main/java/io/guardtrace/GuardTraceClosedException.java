package io.guardtrace;

import org.jspecify.annotations.Nullable;

/** The GuardTrace (or monitor) was closed before or while the call ran. */
public class GuardTraceClosedException extends GuardTraceException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception with a message that says what to fix.
   *
   * @param message what went wrong and what to do about it
   */
  public GuardTraceClosedException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a message that says what to fix and its cause.
   *
   * @param message what went wrong and what to do about it
   * @param cause the underlying failure, or null
   */
  public GuardTraceClosedException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
