package io.guardtrace.models.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.guardtrace.spi.JudgmentProbabilities;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads the probabilities of the three judgments from the model's own next-token distributions while it
 * writes {@code "Judgment": X}, at no extra forward pass.
 *
 * <p>Qwen's tokenizer writes digits one per token, so the judgment is the token sequence {@code 0}, {@code 1},
 * or {@code 0 . 5}. When the text generated so far ends with the judgment key (any quoting, emphasis or
 * bracket the parser accepts), the softmax of the raw logits at that step gives {@code p0 = P("0")} and
 * {@code p1 = P("1")}. If the model then writes {@code 0}, the next step gives {@code pDot = P(".")}, and after
 * a {@code .} the next gives {@code p5 = P("5")}. Then
 *
 * <pre>
 *   harmful             = p1
 *   potentially harmful = p0 * pDot * p5
 *   safe                = p0 * (1 - pDot * p5)
 * </pre>
 *
 * renormalised over the three so they sum to 1 (mass on other tokens at the digit is dropped). When the model
 * wrote {@code 1}, the continuation after a {@code 0} was not observed; the split of {@code p0} between safe
 * and potentially harmful then uses the engine's look-ahead (two extra decode steps) when available, else it
 * is all counted as safe. The last judgment written wins, as in the verdict parser.
 */
final class JudgmentTracker {
  private static final Pattern KEY =
      Pattern.compile("Judg(?:e)?ment[\\s\"'“”‘’*_`]*[:：][\\s\"'“”‘’*_`\\[(]*$", Pattern.CASE_INSENSITIVE);

  private final int zero;
  private final int one;
  private final int dot;
  private final int five;

  private enum State { SEARCH, AFTER_ZERO, AFTER_DOT }

  private State state = State.SEARCH;
  private double p0;
  private double p1;
  private double pDot;
  private double p5;
  private boolean observedZeroBranch;
  private @Nullable JudgmentProbabilities result;

  JudgmentTracker(int zero, int one, int dot, int five) {
    this.zero = zero;
    this.one = one;
    this.dot = dot;
    this.five = five;
  }

  /** Whether the token ids needed are known (single tokens in this tokenizer). */
  boolean usable() {
    return zero >= 0 && one >= 0 && dot >= 0 && five >= 0;
  }

  /**
   * Observes one step.
   *
   * @param textBefore the decoded text generated before this step's token
   * @param chosen the token chosen at this step
   * @param rawLogits the step's float32 logits {@code (vocab)}
   * @return true when the model just chose a digit other than 0 at the judgment and the 0-branch should be
   *     looked ahead with {@link #lookAhead}
   */
  boolean onStep(String textBefore, int chosen, NDArray rawLogits) {
    if (!usable()) {
      return false;
    }
    switch (state) {
      case SEARCH -> {
        if (KEY.matcher(tail(textBefore)).find()) {
          float[] p = probs(rawLogits, zero, one);
          p0 = p[0];
          p1 = p[1];
          pDot = 0;
          p5 = 0;
          observedZeroBranch = chosen == zero;
          if (chosen == zero) {
            state = State.AFTER_ZERO;
          } else {
            finish();
            return p0 > 0;
          }
        }
      }
      case AFTER_ZERO -> {
        pDot = probs(rawLogits, dot)[0];
        if (chosen == dot) {
          state = State.AFTER_DOT;
        } else {
          finish();
        }
      }
      case AFTER_DOT -> {
        p5 = probs(rawLogits, five)[0];
        finish();
      }
    }
    return false;
  }

  /** Supplies the look-ahead probabilities P(".") after "0" and P("5") after "0." when not observed. */
  void lookAhead(double dotAfterZero, double fiveAfterDot) {
    pDot = dotAfterZero;
    p5 = fiveAfterDot;
    finish();
  }

  /** Token ids of "0", ".", "5" for the look-ahead. */
  int[] lookAheadIds() {
    return new int[] {zero, dot, five};
  }

  private void finish() {
    double pot = p0 * pDot * p5;
    double safe = p0 - pot;
    double sum = safe + pot + p1;
    result = sum > 0 ? new JudgmentProbabilities(safe / sum, pot / sum, p1 / sum) : null;
    state = State.SEARCH;
  }

  /** The probabilities of the last judgment written, or null when none was. */
  @Nullable JudgmentProbabilities result() {
    return result;
  }

  /** Whether the last judgment's zero branch was observed on the greedy path. */
  boolean observedZeroBranch() {
    return observedZeroBranch;
  }

  private static String tail(String s) {
    return s.length() > 64 ? s.substring(s.length() - 64) : s;
  }

  static float[] probs(NDArray logits, int... ids) {
    try (NDScope scope = new NDScope()) {
      NDArray sm = logits.softmax(-1);
      float[] out = new float[ids.length];
      for (int i = 0; i < ids.length; i++) {
        out[i] = sm.getFloat(ids[i]);
      }
      return out;
    }
  }
}
