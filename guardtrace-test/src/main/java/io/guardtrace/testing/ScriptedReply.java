package io.guardtrace.testing;

import io.guardtrace.RiskLevel;
import io.guardtrace.spi.JudgmentProbabilities;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * What the scripted model does with a trace: write a verdict in GuardTrace-VL's output format, write any other
 * output (to exercise the parser and the failure policy), or fail. Immutable; {@link #after(Duration)} and
 * {@link #withProbabilities} return modified copies.
 *
 * <pre>{@code
 * ScriptedReply.verdict(RiskLevel.HARMFUL, "gives the dose").after(Duration.ofSeconds(5))
 * ScriptedReply.raw("I cannot judge this.")                       // no judgment: fail-closed HARMFUL
 * ScriptedReply.failure(() -> new IllegalStateException("GPU lost"))  // detect throws EngineException
 * }</pre>
 */
public final class ScriptedReply {
  private final String output;
  private final @Nullable Supplier<? extends RuntimeException> failure;
  private final @Nullable Duration latency;
  private final @Nullable JudgmentProbabilities probabilities;

  private ScriptedReply(String output, @Nullable Supplier<? extends RuntimeException> failure,
      @Nullable Duration latency, @Nullable JudgmentProbabilities probabilities) {
    this.output = output;
    this.failure = failure;
    this.latency = latency;
    this.probabilities = probabilities;
  }

  /**
   * The model writes {@code "Analysis": <analysis>} and {@code "Judgment": 0|0.5|1}, as GuardTrace-VL does, and
   * reports full confidence in that judgment as its {@linkplain #withProbabilities probabilities}. The verdict's
   * {@code analysis()} is what guardtrace's parser reads back (surrounding quotes and spaces trimmed).
   *
   * @param level the judgment the model writes
   * @param analysis the analysis the model writes
   * @return the reply
   */
  public static ScriptedReply verdict(RiskLevel level, String analysis) {
    Objects.requireNonNull(level, "level");
    Objects.requireNonNull(analysis, "analysis");
    String judgment = level == RiskLevel.POTENTIALLY_HARMFUL ? "0.5" : level == RiskLevel.HARMFUL ? "1" : "0";
    double[] p = new double[3];
    p[level.ordinal()] = 1.0;
    return new ScriptedReply("\"Analysis\": " + analysis + "\n\"Judgment\": " + judgment, null, null,
        new JudgmentProbabilities(p[0], p[1], p[2]));
  }

  /**
   * The model writes exactly {@code output}. Output without a readable judgment becomes a
   * {@link io.guardtrace.RiskLevel#HARMFUL}, unparsed verdict under the default failure policy, or a
   * {@link io.guardtrace.VerdictParseException} under {@link io.guardtrace.FailurePolicy#THROW}. No
   * probabilities unless {@link #withProbabilities} sets them.
   *
   * @param output the model's whole output
   * @return the reply
   */
  public static ScriptedReply raw(String output) {
    return new ScriptedReply(Objects.requireNonNull(output, "output"), null, null, null);
  }

  /**
   * The engine fails with the exception {@code failure} supplies. As with the real engine, a
   * {@link io.guardtrace.GuardTraceException} reaches the caller as it is and any other exception wrapped in an
   * {@link io.guardtrace.EngineException}.
   *
   * @param failure supplies the exception, once per request
   * @return the reply
   */
  public static ScriptedReply failure(Supplier<? extends RuntimeException> failure) {
    return new ScriptedReply("", Objects.requireNonNull(failure, "failure"), null, null);
  }

  /**
   * A copy that takes {@code latency} before it answers (or fails), as a slow model would: a request timeout,
   * a cancelled future or a closed guard stops it within a few milliseconds, with the same exception the real
   * engine gives.
   *
   * @param latency how long the model works on the trace, zero or more
   * @return the copy
   */
  public ScriptedReply after(Duration latency) {
    Objects.requireNonNull(latency, "latency");
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative, was " + latency);
    }
    return new ScriptedReply(output, failure, latency, probabilities);
  }

  /**
   * A copy whose model reports these probabilities of the three judgments (they become the verdict's
   * {@code probabilities()} whenever the output holds a judgment).
   *
   * @param safe probability of judgment 0
   * @param potentiallyHarmful probability of judgment 0.5
   * @param harmful probability of judgment 1
   * @return the copy
   * @throws IllegalArgumentException when a value is not a probability or they do not sum to 1
   */
  public ScriptedReply withProbabilities(double safe, double potentiallyHarmful, double harmful) {
    JudgmentProbabilities p = new JudgmentProbabilities(safe, potentiallyHarmful, harmful);
    if (Math.abs(safe + potentiallyHarmful + harmful - 1.0) > 1e-6) {
      throw new IllegalArgumentException("probabilities must sum to 1, were " + safe + " + " + potentiallyHarmful
          + " + " + harmful);
    }
    return new ScriptedReply(output, failure, latency, p);
  }

  /**
   * The text the model writes (empty for a failure).
   *
   * @return the model output
   */
  public String output() {
    return output;
  }

  /**
   * How long the model works before it answers, or null when the guard's default latency applies.
   *
   * @return the latency or null
   */
  public @Nullable Duration latency() {
    return latency;
  }

  /**
   * The probabilities the model reports, or null.
   *
   * @return the probabilities or null
   */
  public @Nullable JudgmentProbabilities probabilities() {
    return probabilities;
  }

  /**
   * Whether the engine fails instead of answering.
   *
   * @return true for a {@link #failure} reply
   */
  public boolean isFailure() {
    return failure != null;
  }

  /** Throws this reply's failure, if it has one. */
  void throwFailure() {
    Supplier<? extends RuntimeException> f = failure;
    if (f != null) {
      RuntimeException e = f.get();
      throw e != null ? e : new NullPointerException("the failure supplier returned null");
    }
  }

  @Override
  public String toString() {
    return "ScriptedReply[" + (failure != null ? "failure" : output) + (latency != null ? ", after " + latency : "")
        + "]";
  }
}
