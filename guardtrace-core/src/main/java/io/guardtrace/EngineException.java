package io.guardtrace;

import org.jspecify.annotations.Nullable;

/** The engine failed while running a request (for example out of memory). The instance stays usable. */
public class EngineException extends GuardTraceException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that says what to fix. */
  public EngineException(String message) {
    super(message);
  }

  /** Creates the exception with a message that says what to fix and its cause. */
  public EngineException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
