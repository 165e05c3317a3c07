package io.guardtrace.langchain4j;

import io.guardtrace.RiskLevel;
import java.util.Objects;

/** Argument checks the guardrail's and the stream gate's builders share. */
final class Checks {
  private Checks() {}

  /** A threshold that blocks something: SAFE would block every output. */
  static RiskLevel threshold(RiskLevel threshold) {
    Objects.requireNonNull(threshold, "threshold");
    if (threshold == RiskLevel.SAFE) {
      throw new IllegalArgumentException("threshold must be POTENTIALLY_HARMFUL or HARMFUL; SAFE would block "
          + "every output");
    }
    return threshold;
  }

  /** A non-blank text. */
  static String text(String s, String name) {
    Objects.requireNonNull(s, name);
    if (s.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
    return s;
  }
}
