package io.guardtrace.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardtrace.EngineException;
import io.guardtrace.Probabilities;
import io.guardtrace.RiskLevel;
import io.guardtrace.SafetyVerdict;
import org.junit.jupiter.api.Test;

class VerdictsTest {
  @Test
  void of_isAParsedVerdictOfThatLevel() {
    SafetyVerdict v = Verdicts.of(RiskLevel.POTENTIALLY_HARMFUL, "general information only");
    assertThat(v.level()).isEqualTo(RiskLevel.POTENTIALLY_HARMFUL);
    assertThat(v.analysis()).isEqualTo("general information only");
    assertThat(v.parsed()).isTrue();
    assertThat(v.isSafe()).isFalse();
    assertThat(v.cached()).isFalse();
    assertThat(v.rawOutput()).isEqualTo("\"Analysis\": general information only\n\"Judgment\": 0.5");
    assertThat(v.probabilities()).isEqualTo(new Probabilities(0, 1, 0));
    assertThat(Verdicts.of(RiskLevel.SAFE, "fine").isSafe()).isTrue();
  }

  @Test
  void fromOutput_withoutJudgment_isTheFailClosedVerdict() {
    SafetyVerdict v = Verdicts.fromOutput("The model rambled.");
    assertThat(v.level()).isEqualTo(RiskLevel.HARMFUL);
    assertThat(v.parsed()).isFalse();
    assertThat(v.rawOutput()).isEqualTo("The model rambled.");
  }

  @Test
  void fromOutput_withJudgment_isParsed() {
    assertThat(Verdicts.fromOutput("**Judgment**: [0]").level()).isEqualTo(RiskLevel.SAFE);
  }

  @Test
  void equalVerdicts_areEqual() {
    assertThat(Verdicts.of(RiskLevel.HARMFUL, "a")).isEqualTo(Verdicts.of(RiskLevel.HARMFUL, "a"))
        .isNotEqualTo(Verdicts.of(RiskLevel.HARMFUL, "b"));
  }

  @Test
  void of_failureReply_throws() {
    assertThatThrownBy(() -> Verdicts.of(ScriptedReply.failure(() -> new IllegalStateException("x"))))
        .isInstanceOf(EngineException.class);
  }
}
