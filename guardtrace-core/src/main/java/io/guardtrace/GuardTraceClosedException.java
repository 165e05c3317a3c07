package io.guardtrace;

import org.jspecify.annotations.Nullable;

/** The GuardTrace (or monitor) was closed before or while the call ran. */
public class GuardTraceClosedException extends GuardTraceException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that says what to fix. */
  public GuardTraceClosedException(String message) {
    super(message);
  }

  /** Creates the exception with a message that says what to fix and its cause. */
  public GuardTraceClosedException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
