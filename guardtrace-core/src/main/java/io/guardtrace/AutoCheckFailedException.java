package io.guardtrace;

/**
 * An automatic check of a {@link TraceMonitor} failed (an undecodable image, an engine failure...), so the
 * monitor can no longer say whether the stream is safe: every later append or check of that monitor throws
 * this, with the check's failure as its {@linkplain #getCause() cause}. A failed check never reads as "no
 * unsafe verdict". Close the monitor; to go on, open a new one (after fixing the cause).
 */
public class AutoCheckFailedException extends GuardTraceException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception for the failure of an automatic check.
   *
   * @param cause why the check failed
   */
  public AutoCheckFailedException(Throwable cause) {
    super("an automatic check of this monitor failed, so it can no longer vouch for the stream: "
        + (cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName()), cause);
  }
}
