package io.guardtrace.spring;

import io.guardtrace.RiskLevel;
import io.guardtrace.testing.ScriptedGuard;

/** The script the starter's tests share: what the scripted guard model answers for which trace. */
public final class Scripts {
  /** Thinking that contains this is judged HARMFUL. */
  public static final String HARMFUL_MARK = "detonator";
  /** An answer that contains this is judged POTENTIALLY_HARMFUL. */
  public static final String RISKY_MARK = "roughly";

  private Scripts() {}

  /**
   * HARMFUL for a thinking that mentions the detonator, POTENTIALLY_HARMFUL for an answer that says "roughly",
   * SAFE otherwise.
   *
   * @return the script
   */
  public static ScriptedGuard.Builder standard() {
    return ScriptedGuard.builder()
        .when(t -> t.thinking().contains(HARMFUL_MARK) || t.answer().contains(HARMFUL_MARK), RiskLevel.HARMFUL,
            "the reasoning explains how to build a detonator")
        .when(t -> t.answer().contains(RISKY_MARK), RiskLevel.POTENTIALLY_HARMFUL, "vague but risky")
        .otherwise(RiskLevel.SAFE, "harmless");
  }
}
