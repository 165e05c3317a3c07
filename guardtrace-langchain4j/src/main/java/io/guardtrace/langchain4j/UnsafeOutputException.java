package io.guardtrace.langchain4j;

import io.guardtrace.GuardTraceException;
import io.guardtrace.SafetyVerdict;

/**
 * The guard judged a model's output unsafe. Carried as the cause of LangChain4j's
 * {@code OutputGuardrailException} (non-streaming) or passed to a {@link GuardedTokenStream}'s error handler.
 */
public class UnsafeOutputException extends GuardTraceException {
  private static final long serialVersionUID = 1L;

  private final transient SafetyVerdict verdict;

  /**
   * An exception for {@code verdict}.
   *
   * @param verdict the verdict that blocked the output
   */
  public UnsafeOutputException(SafetyVerdict verdict) {
    super(describe(verdict));
    this.verdict = verdict;
  }

  /**
   * The verdict that blocked the output.
   *
   * @return the verdict
   */
  public SafetyVerdict verdict() {
    return verdict;
  }

  static String describe(SafetyVerdict verdict) {
    return "the guard judged the output " + verdict.level() + (verdict.parsed() ? "" : " (unreadable verdict)")
        + ": " + verdict.analysis();
  }
}
