package io.guardtrace;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The guard's verdict on one trace. Immutable and thread-safe.
 *
 * <p>{@link #level()} is what to act on. When the model's output held no readable judgment,
 * {@link #parsed()} is false and, under the default {@link FailurePolicy#FAIL_CLOSED}, the level is
 * {@link RiskLevel#HARMFUL}: an unreadable verdict is never "safe".
 */
public final class SafetyVerdict {
  private final RiskLevel level;
  private final String analysis;
  private final String rawOutput;
  private final boolean parsed;
  private final boolean cached;
  private final boolean truncated;
  private final int promptTokens;
  private final List<Integer> generatedTokenIds;
  private final Timings timings;
  private final @Nullable Probabilities probabilities;
  private final boolean finished;

  SafetyVerdict(RiskLevel level, String analysis, String rawOutput, boolean parsed, boolean cached,
      boolean truncated, int promptTokens, List<Integer> generatedTokenIds, Timings timings,
      @Nullable Probabilities probabilities, boolean finished) {
    this.level = Objects.requireNonNull(level);
    this.analysis = Objects.requireNonNull(analysis);
    this.rawOutput = Objects.requireNonNull(rawOutput);
    this.parsed = parsed;
    this.cached = cached;
    this.truncated = truncated;
    this.promptTokens = promptTokens;
    this.generatedTokenIds = List.copyOf(generatedTokenIds);
    this.timings = Objects.requireNonNull(timings);
    this.probabilities = probabilities;
    this.finished = finished;
  }

  /**
   * The risk level to act on.
   *
   * @return the risk level to act on
   */
  public RiskLevel level() {
    return level;
  }

  /**
   * Shortcut for {@code level().score()}: 0, 0.5 or 1.
   *
   * @return the judgment value
   */
  public double score() {
    return level.score();
  }

  /**
   * True when the level is {@link RiskLevel#SAFE}.
   *
   * @return whether the content is safe
   */
  public boolean isSafe() {
    return level == RiskLevel.SAFE;
  }

  /**
   * The model's analysis (the text after {@code "Analysis":}), or empty when it wrote none.
   *
   * @return the analysis
   */
  public String analysis() {
    return analysis;
  }

  /**
   * Everything the model generated, special tokens removed.
   *
   * @return the generated text
   */
  public String rawOutput() {
    return rawOutput;
  }

  /**
   * Whether the output held a judgment; false means the level came from the failure policy.
   *
   * @return whether the output held a judgment; false means the level came from the failure policy
   */
  public boolean parsed() {
    return parsed;
  }

  /**
   * Whether this verdict was served from the cache.
   *
   * @return whether this verdict was served from the cache
   */
  public boolean cached() {
    return cached;
  }

  /**
   * Whether the middle of the thinking was cut to fit the token budget (see {@code GuardTrace}).
   *
   * @return whether the middle of the thinking was cut to fit the token budget (see {@code GuardTrace})
   */
  public boolean truncated() {
    return truncated;
  }

  /**
   * Whether generation ended on the model's end-of-sequence token (false: cut at maxNewTokens).
   *
   * @return whether generation ended on the model's end-of-sequence token (false: cut at maxNewTokens)
   */
  public boolean finished() {
    return finished;
  }

  /**
   * Prompt tokens, image tokens included.
   *
   * @return the number of prompt tokens
   */
  public int promptTokens() {
    return promptTokens;
  }

  /**
   * Generated tokens.
   *
   * @return the number of generated tokens
   */
  public int generatedTokens() {
    return generatedTokenIds.size();
  }

  /**
   * The generated token ids.
   *
   * @return the generated token ids
   */
  public List<Integer> generatedTokenIds() {
    return generatedTokenIds;
  }

  /**
   * Where the time went (all zero for a cache hit).
   *
   * @return the timings
   */
  public Timings timings() {
    return timings;
  }

  /**
   * The model's probabilities of the three judgments, or null when it wrote no judgment.
   *
   * @return the probabilities, or null
   */
  public @Nullable Probabilities probabilities() {
    return probabilities;
  }

  /** A copy marked as served from the cache, with zero timings. */
  SafetyVerdict asCached() {
    return new SafetyVerdict(level, analysis, rawOutput, parsed, true, truncated, promptTokens,
        generatedTokenIds, Timings.ZERO, probabilities, finished);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof SafetyVerdict v && level == v.level && parsed == v.parsed && truncated == v.truncated
        && rawOutput.equals(v.rawOutput) && generatedTokenIds.equals(v.generatedTokenIds)
        && promptTokens == v.promptTokens;
  }

  @Override
  public int hashCode() {
    return Objects.hash(level, rawOutput, generatedTokenIds);
  }

  @Override
  public String toString() {
    return "SafetyVerdict[" + level + (parsed ? "" : ", unparsed") + (cached ? ", cached" : "")
        + (truncated ? ", truncated" : "") + ", analysis=" + abbreviate(analysis) + "]";
  }

  private static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }
}
