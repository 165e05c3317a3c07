package io.guardtrace.spring.ai;

import io.guardtrace.GuardTraceException;
import io.guardtrace.SafetyVerdict;

/**
 * The guard judged a chat response unsafe and the advisor is configured to fail ({@link OnUnsafe#THROW}).
 * Nothing of the unsafe response reached the caller.
 */
public class UnsafeResponseException extends GuardTraceException {
  private static final long serialVersionUID = 1L;

  private final transient SafetyVerdict verdict;

  /**
   * An exception for {@code verdict}.
   *
   * @param verdict the verdict that blocked the response
   */
  public UnsafeResponseException(SafetyVerdict verdict) {
    super("the guard judged the response " + verdict.level() + (verdict.parsed() ? "" : " (unreadable verdict)")
        + ": " + verdict.analysis());
    this.verdict = verdict;
  }

  /**
   * The verdict that blocked the response.
   *
   * @return the verdict
   */
  public SafetyVerdict verdict() {
    return verdict;
  }
}
