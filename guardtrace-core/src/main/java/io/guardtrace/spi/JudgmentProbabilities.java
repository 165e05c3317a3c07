package io.guardtrace.spi;

/**
 * Probabilities of the three judgment values, read from the model's own next-token distributions where it
 * wrote the judgment: {@code p(1)} at the judgment digit, {@code p(0) * p(not ".")} ... see the engine's
 * documentation for the exact computation. The three values sum to 1 (within float rounding).
 *
 * @param safe probability of judgment 0
 * @param potentiallyHarmful probability of judgment 0.5
 * @param harmful probability of judgment 1
 */
public record JudgmentProbabilities(double safe, double potentiallyHarmful, double harmful) {
  /**
   * Checks that each value is a probability.
   *
   * @param safe probability of judgment 0
   * @param potentiallyHarmful probability of judgment 0.5
   * @param harmful probability of judgment 1
   */
  public JudgmentProbabilities {
    check("safe", safe);
    check("potentiallyHarmful", potentiallyHarmful);
    check("harmful", harmful);
  }

  private static void check(String name, double p) {
    if (!(p >= 0.0 && p <= 1.0 + 1e-6)) {
      throw new IllegalArgumentException(name + " must be a probability, was " + p);
    }
  }
}
