package io.guardtrace.testing;

import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.RiskLevel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Builds a real {@link GuardTrace} whose model answers from a script: for each trace, the first line whose
 * condition holds says what the model writes. Use it to unit-test code that moderates with guardtrace,
 * without the model on disk.
 *
 * <pre>{@code
 * try (GuardTrace guard = ScriptedGuard.builder()
 *     .when(trace -> trace.thinking().contains("detonator"), RiskLevel.HARMFUL, "explains a detonator")
 *     .whenRaw(trace -> trace.question().contains("garbled"), "no judgment here")   // fails closed
 *     .failWhen(trace -> trace.answer().isEmpty(), () -> new IllegalStateException("engine down"))
 *     .otherwise(RiskLevel.SAFE, "harmless")
 *     .configure(guard -> guard.requestTimeout(Duration.ofSeconds(2)))
 *     .build()) {
 *   SafetyVerdict v = guard.detect(QtaTrace.of("How do I wire this?", "First the detonator...", "I can't."));
 * }
 * }</pre>
 *
 * <p>The returned guard is the production {@link GuardTrace}: the verdict cache, the failure policy, request
 * timeouts, cancellation, {@code close()}, {@code detectAll} and {@code monitor()} (whose checks are answered by
 * the same script, for the partial trace) all run guardtrace's own code; only the model is scripted. The
 * conditions see the trace as the model would (after the token budget cut the middle of a long thinking).
 * Images are decoded and checked as the real engine checks them: see {@link ScriptedEngine}.
 */
public final class ScriptedGuard {
  private ScriptedGuard() {}

  /**
   * A new, empty script.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The script and the guard's settings. Lines are tried in the order they were added. Not thread-safe;
   * {@link #build()} may be called more than once (each call builds a new guard with its own engine).
   */
  public static final class Builder {
    private final List<ScriptedEngine.Rule> rules = new ArrayList<>();
    private final List<Consumer<GuardTrace.Builder>> settings = new ArrayList<>();
    private @Nullable ScriptedReply otherwise;
    private @Nullable Duration latency;
    private String identity = "scripted";

    private Builder() {}

    /**
     * When {@code condition} holds for a trace, the model judges it {@code level} with {@code analysis}.
     *
     * @param condition tested on the trace as the model sees it
     * @param level the judgment
     * @param analysis the analysis the model writes
     * @return this builder
     */
    public Builder when(Predicate<QtaTrace> condition, RiskLevel level, String analysis) {
      return when(condition, ScriptedReply.verdict(level, analysis));
    }

    /**
     * When {@code condition} holds for a trace, the model does what {@code reply} says.
     *
     * @param condition tested on the trace as the model sees it
     * @param reply what the model does
     * @return this builder
     */
    public Builder when(Predicate<QtaTrace> condition, ScriptedReply reply) {
      rules.add(new ScriptedEngine.Rule(Objects.requireNonNull(condition, "condition"),
          Objects.requireNonNull(reply, "reply")));
      return this;
    }

    /**
     * {@link #when(Predicate, RiskLevel, String)} under a name Kotlin can call without backticks
     * ({@code when} is a Kotlin keyword).
     *
     * @param condition tested on the trace as the model sees it
     * @param level the judgment
     * @param analysis the analysis the model writes
     * @return this builder
     */
    public Builder whenever(Predicate<QtaTrace> condition, RiskLevel level, String analysis) {
      return when(condition, level, analysis);
    }

    /**
     * {@link #when(Predicate, ScriptedReply)} under a name Kotlin can call without backticks.
     *
     * @param condition tested on the trace as the model sees it
     * @param reply what the model does
     * @return this builder
     */
    public Builder whenever(Predicate<QtaTrace> condition, ScriptedReply reply) {
      return when(condition, reply);
    }

    /**
     * When {@code condition} holds, the model writes exactly {@code output}: to test what output without a
     * readable judgment becomes under the {@link io.guardtrace.FailurePolicy} (by default a HARMFUL, unparsed
     * verdict).
     *
     * @param condition tested on the trace as the model sees it
     * @param output the model's whole output
     * @return this builder
     */
    public Builder whenRaw(Predicate<QtaTrace> condition, String output) {
      return when(condition, ScriptedReply.raw(output));
    }

    /**
     * When {@code condition} holds, the engine fails with the exception {@code failure} supplies (wrapped in an
     * {@link io.guardtrace.EngineException} unless it is a {@link io.guardtrace.GuardTraceException}, as the
     * real engine reports its failures).
     *
     * @param condition tested on the trace as the model sees it
     * @param failure supplies the exception, once per request
     * @return this builder
     */
    public Builder failWhen(Predicate<QtaTrace> condition, Supplier<? extends RuntimeException> failure) {
      return when(condition, ScriptedReply.failure(failure));
    }

    /**
     * What the model does when no line matches: judges the trace {@code level} with {@code analysis}. Without
     * it, an unmatched trace fails the request with an {@link AssertionError}.
     *
     * @param level the judgment
     * @param analysis the analysis the model writes
     * @return this builder
     */
    public Builder otherwise(RiskLevel level, String analysis) {
      return otherwise(ScriptedReply.verdict(level, analysis));
    }

    /**
     * What the model does when no line matches.
     *
     * @param reply what the model does
     * @return this builder
     */
    public Builder otherwise(ScriptedReply reply) {
      this.otherwise = Objects.requireNonNull(reply, "reply");
      return this;
    }

    /**
     * How long the model works on each trace before it answers, for replies that set no latency of their own
     * ({@link ScriptedReply#after(Duration)}). Default none. The wait stops within a few milliseconds when the
     * request times out, is cancelled or the guard is closed.
     *
     * @param latency the time per request, zero or more
     * @return this builder
     */
    public Builder latency(Duration latency) {
      Objects.requireNonNull(latency, "latency");
      if (latency.isNegative()) {
        throw new IllegalArgumentException("latency must not be negative, was " + latency);
      }
      this.latency = latency;
      return this;
    }

    /**
     * The engine's identity, part of every cache key ({@link GuardTrace#modelIdentity()}). Default
     * {@code "scripted"}.
     *
     * @param identity a non-blank name
     * @return this builder
     */
    public Builder identity(String identity) {
      Objects.requireNonNull(identity, "identity");
      if (identity.isBlank()) {
        throw new IllegalArgumentException("identity must not be blank");
      }
      this.identity = identity;
      return this;
    }

    /**
     * Settings of the guard {@link #build()} returns, applied to its {@link GuardTrace.Builder} in order: cache,
     * failure policy, request timeout, token budget, system prompt, executor... The image settings
     * ({@code minPixels}, {@code maxPixels}, {@code maxImagePixels}) reach the scripted engine as they reach the
     * real one. Do not set {@code engine} or {@code model} here.
     *
     * @param guardSettings applies settings to the guard's builder
     * @return this builder
     */
    public Builder configure(Consumer<GuardTrace.Builder> guardSettings) {
      settings.add(Objects.requireNonNull(guardSettings, "guardSettings"));
      return this;
    }

    /**
     * The scripted engine alone, with GuardTrace-VL's image settings, to pass to
     * {@link GuardTrace.Builder#engine} and to inspect the requests it received. {@link #configure} settings do
     * not apply to it.
     *
     * @return a new engine
     */
    public ScriptedEngine buildEngine() {
      return new ScriptedEngine(rules, otherwise, latency, identity);
    }

    /**
     * A new guard on a new scripted engine, with the {@link #configure} settings. Close it after use, as any
     * {@link GuardTrace}.
     *
     * @return the guard
     */
    public GuardTrace build() {
      ScriptedEngine engine = buildEngine();
      GuardTrace.Builder guard = GuardTrace.builder();
      for (Consumer<GuardTrace.Builder> s : settings) {
        s.accept(guard);
      }
      GuardTrace built = guard.engine(engine).build();
      engine.useImageSettings(built.options());
      return built;
    }
  }
}
