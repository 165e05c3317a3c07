package io.guardtrace.testing;

import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.RiskLevel;
import io.guardtrace.SafetyVerdict;

/**
 * Genuine {@link SafetyVerdict}s for tests that mock or stub the guard: each is made by guardtrace itself, from
 * the scripted model's output, exactly as {@link GuardTrace#detect} makes verdicts (so {@code analysis()},
 * {@code rawOutput()}, {@code parsed()} and {@code probabilities()} are consistent).
 *
 * <pre>{@code
 * when(moderation.check(any())).thenReturn(Verdicts.of(RiskLevel.HARMFUL, "gives the dose"));
 * }</pre>
 */
public final class Verdicts {
  private Verdicts() {}

  /**
   * The verdict of a model that judged {@code level} with {@code analysis}.
   *
   * @param level the judgment
   * @param analysis the model's analysis
   * @return a parsed verdict of that level, with full confidence in it as its probabilities
   */
  public static SafetyVerdict of(RiskLevel level, String analysis) {
    return of(ScriptedReply.verdict(level, analysis));
  }

  /**
   * The verdict guardtrace makes of the model output {@code rawOutput} under the default
   * {@link io.guardtrace.FailurePolicy#FAIL_CLOSED}: without a readable judgment, {@link RiskLevel#HARMFUL}
   * with {@code parsed() == false}.
   *
   * @param rawOutput the model's whole output
   * @return the verdict
   */
  public static SafetyVerdict fromOutput(String rawOutput) {
    return of(ScriptedReply.raw(rawOutput));
  }

  /**
   * The verdict guardtrace makes of {@code reply}.
   *
   * @param reply a verdict or raw reply
   * @return the verdict
   * @throws io.guardtrace.GuardTraceException when {@code reply} is a failure
   */
  public static SafetyVerdict of(ScriptedReply reply) {
    try (GuardTrace guard = ScriptedGuard.builder().otherwise(reply)
        .configure(b -> b.disableCache().executor(Runnable::run)).build()) {
      return guard.detect(QtaTrace.of("a trace made up by io.guardtrace.testing.Verdicts", "", ""));
    }
  }
}
