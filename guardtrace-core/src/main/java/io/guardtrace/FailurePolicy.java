package io.guardtrace;

/** What {@link GuardTrace} does when the model's output holds no readable judgment. */
public enum FailurePolicy {
  /**
   * Return a verdict of {@link RiskLevel#HARMFUL} with {@link SafetyVerdict#parsed()} false: a guard that
   * cannot read its auditor must not let the content through. The default.
   */
  FAIL_CLOSED,
  /** Throw {@link VerdictParseException}, which carries the raw output. */
  THROW
}
