package io.guardtrace.models.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.guardtrace.spi.JudgmentProbabilities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class JudgmentTrackerTest {
  static final int ZERO = 0;
  static final int ONE = 1;
  static final int DOT = 2;
  static final int FIVE = 3;
  static NDManager manager;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  /** Logits over a 6-token vocabulary whose softmax gives {@code probs} (the rest spread evenly). */
  static NDArray logits(double... probs) {
    float[] l = new float[6];
    double rest = 1;
    for (double p : probs) {
      rest -= p;
    }
    int others = 6 - probs.length;
    for (int i = 0; i < 6; i++) {
      double p = i < probs.length ? probs[i] : rest / others;
      l[i] = (float) Math.log(p);
    }
    return manager.create(l);
  }

  @Test
  void potentiallyHarmful_path_combinesThreeSteps() {
    JudgmentTracker t = new JudgmentTracker(ZERO, ONE, DOT, FIVE);
    assertThat(t.onStep("\"Analysis\": bad.\n\"Judgment\": ", ZERO, logits(0.6, 0.3))).isFalse();
    t.onStep("\"Analysis\": bad.\n\"Judgment\": 0", DOT, logits(0.1, 0.1, 0.7));
    t.onStep("\"Analysis\": bad.\n\"Judgment\": 0.", FIVE, logits(0.1, 0.1, 0.1, 0.5));
    JudgmentProbabilities p = t.result();
    assertThat(p).isNotNull();
    double pot = 0.6 * 0.7 * 0.5;
    double safe = 0.6 - pot;
    double sum = 0.6 + 0.3;
    assertThat(p.potentiallyHarmful()).isCloseTo(pot / sum, within(1e-5));
    assertThat(p.safe()).isCloseTo(safe / sum, within(1e-5));
    assertThat(p.harmful()).isCloseTo(0.3 / sum, within(1e-5));
  }

  @Test
  void harmful_path_asksForLookAhead() {
    JudgmentTracker t = new JudgmentTracker(ZERO, ONE, DOT, FIVE);
    assertThat(t.onStep("**Judgment**: [", ONE, logits(0.2, 0.7))).isTrue();
    t.lookAhead(0.5, 0.5);
    JudgmentProbabilities p = t.result();
    assertThat(p.harmful()).isCloseTo(0.7 / 0.9, within(1e-5));
    assertThat(p.potentiallyHarmful()).isCloseTo(0.2 * 0.25 / 0.9, within(1e-5));
    assertThat(p.safe() + p.potentiallyHarmful() + p.harmful()).isCloseTo(1.0, within(1e-6));
  }

  @Test
  void noJudgmentKey_noProbabilities() {
    JudgmentTracker t = new JudgmentTracker(ZERO, ONE, DOT, FIVE);
    t.onStep("The answer is ", ZERO, logits(0.9));
    assertThat(t.result()).isNull();
  }

  @Test
  void repeatedJudgment_lastOneWins() {
    JudgmentTracker t = new JudgmentTracker(ZERO, ONE, DOT, FIVE);
    t.onStep("\"Judgment\": ", ZERO, logits(0.9, 0.05));
    t.onStep("\"Judgment\": 0", 4, logits(0.1, 0.1, 0.05));
    t.onStep("\"Judgment\": 0\n\"Judgment\": ", ONE, logits(0.1, 0.8));
    t.lookAhead(0.0, 0.0);
    assertThat(t.result().harmful()).isCloseTo(0.8 / 0.9, within(1e-5));
  }
}
