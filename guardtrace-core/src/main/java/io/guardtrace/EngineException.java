package io.guardtrace;

import org.jspecify.annotations.Nullable;

/** The engine failed while running a request (for example out of memory). The instance stays usable. */
public class EngineException extends GuardTraceException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception with a message that says what to fix.
   *
   * @param message what went wrong and what to do about it
   */
  public EngineException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a message that says what to fix and its cause.
   *
   * @param message what went wrong and what to do about it
   * @param cause the underlying failure, or null
   */
  public EngineException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
