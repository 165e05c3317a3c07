package io.guardtrace;

/**
 * The model's own confidence in each judgment, read from its next-token distributions where it wrote the
 * judgment (see the engine documentation). The three sum to 1.
 *
 * @param safe probability of judgment 0
 * @param potentiallyHarmful probability of judgment 0.5
 * @param harmful probability of judgment 1
 */
public record Probabilities(double safe, double potentiallyHarmful, double harmful) {

  /**
   * The probability of {@code level}.
   *
   * @param level a risk level
   * @return the probability of {@code level}
   */
  public double of(RiskLevel level) {
    return switch (level) {
      case SAFE -> safe;
      case POTENTIALLY_HARMFUL -> potentiallyHarmful;
      case HARMFUL -> harmful;
    };
  }

  /**
   * The probability that the content is unsafe (0.5 or 1), as the paper counts harm.
   *
   * @return the probability that the content is unsafe (0.5 or 1), as the paper counts harm
   */
  public double unsafe() {
    return potentiallyHarmful + harmful;
  }
}
