package io.guardtrace.micrometer;

import io.guardtrace.CacheStats;
import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.SafetyVerdict;
import io.guardtrace.Timings;
import io.guardtrace.VerdictListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Records what a {@link GuardTrace} does as Micrometer meters. It is a {@link VerdictListener}: register it
 * on the builder ({@code GuardTrace.builder().listener(metrics)}; the Spring Boot starter does this for the
 * guard it creates) and it hears every verdict and failure, including cache hits and monitor checks;
 * {@link #monitor(GuardTrace)} adds the gauges that read the guard's state. Thread-safe.
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what</th></tr>
 *   <tr><td>{@value #VERDICTS}</td><td>counter</td><td>level, parsed, cached</td><td>verdicts returned</td></tr>
 *   <tr><td>{@value #FAILURES}</td><td>counter</td><td>exception</td><td>requests that failed</td></tr>
 *   <tr><td>{@value #DURATION}</td><td>timer</td><td>phase</td><td>time per phase of verdicts the model
 *       computed: preprocess, vision, prefill, decode, total</td></tr>
 *   <tr><td>{@value #GENERATED_TOKENS}</td><td>summary</td><td></td><td>tokens generated per computed
 *       verdict</td></tr>
 *   <tr><td>{@value #PROMPT_TOKENS}</td><td>summary</td><td></td><td>prompt tokens per computed verdict</td></tr>
 *   <tr><td>{@value #CACHE_HITS}, {@value #CACHE_MISSES}</td><td>function counter</td><td></td><td>verdict
 *       cache lookups</td></tr>
 *   <tr><td>{@value #CACHE_SIZE}</td><td>gauge</td><td></td><td>verdicts cached now</td></tr>
 *   <tr><td>{@value #ACTIVE_REQUESTS}</td><td>gauge</td><td></td><td>requests queued or running on the
 *       model</td></tr>
 * </table>
 *
 * <p>Tag values are lower case: level {@code safe}, {@code potentially_harmful}, {@code harmful}; parsed and
 * cached {@code true}/{@code false}. Cache hits carry no timings, so the timer and summaries count only
 * verdicts the model computed.
 */
public final class GuardTraceMetrics implements VerdictListener {
  /** Counter of verdicts, tagged level, parsed, cached. */
  public static final String VERDICTS = "guardtrace.verdicts";
  /** Counter of failed requests, tagged exception (the exception's simple class name). */
  public static final String FAILURES = "guardtrace.failures";
  /** Timer of computed verdicts, tagged phase: preprocess, vision, prefill, decode, total. */
  public static final String DURATION = "guardtrace.verdict.duration";
  /** Distribution of generated tokens per computed verdict. */
  public static final String GENERATED_TOKENS = "guardtrace.generated.tokens";
  /** Distribution of prompt tokens (images included) per computed verdict. */
  public static final String PROMPT_TOKENS = "guardtrace.prompt.tokens";
  /** Function counter of verdict-cache hits. */
  public static final String CACHE_HITS = "guardtrace.cache.hits";
  /** Function counter of verdict-cache misses. */
  public static final String CACHE_MISSES = "guardtrace.cache.misses";
  /** Gauge of verdicts held in the cache. */
  public static final String CACHE_SIZE = "guardtrace.cache.size";
  /** Gauge of requests queued or running on the model. */
  public static final String ACTIVE_REQUESTS = "guardtrace.requests.active";

  private final MeterRegistry registry;
  private final Tags tags;
  private final Timer preprocess;
  private final Timer vision;
  private final Timer prefill;
  private final Timer decode;
  private final Timer total;
  private final DistributionSummary generatedTokens;
  private final DistributionSummary promptTokens;

  /**
   * Metrics recorded into {@code registry}.
   *
   * @param registry where the meters live
   */
  public GuardTraceMetrics(MeterRegistry registry) {
    this(registry, Tags.empty());
  }

  /**
   * Metrics recorded into {@code registry}, every meter carrying {@code tags} (for example the guard's name
   * when an application runs several).
   *
   * @param registry where the meters live
   * @param tags common tags
   */
  public GuardTraceMetrics(MeterRegistry registry, Iterable<Tag> tags) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.tags = Tags.of(tags);
    this.preprocess = phase("preprocess");
    this.vision = phase("vision");
    this.prefill = phase("prefill");
    this.decode = phase("decode");
    this.total = phase("total");
    this.generatedTokens = DistributionSummary.builder(GENERATED_TOKENS).tags(this.tags).baseUnit("tokens")
        .description("Tokens the guard model generated per computed verdict").register(registry);
    this.promptTokens = DistributionSummary.builder(PROMPT_TOKENS).tags(this.tags).baseUnit("tokens")
        .description("Prompt tokens per computed verdict, images included").register(registry);
  }

  private Timer phase(String phase) {
    return Timer.builder(DURATION).tags(tags).tag("phase", phase)
        .description("Time per phase of verdicts the guard model computed").register(registry);
  }

  /**
   * Records one verdict (the guard calls this for every caller when this is registered as its listener).
   *
   * @param trace the judged trace (not recorded)
   * @param verdict the verdict
   */
  @Override
  public void onVerdict(QtaTrace trace, SafetyVerdict verdict) {
    Counter.builder(VERDICTS).tags(tags)
        .tag("level", verdict.level().name().toLowerCase(Locale.ROOT))
        .tag("parsed", Boolean.toString(verdict.parsed()))
        .tag("cached", Boolean.toString(verdict.cached()))
        .description("Verdicts returned by the guard").register(registry).increment();
    if (verdict.cached()) {
      return;
    }
    Timings t = verdict.timings();
    record(preprocess, t.preprocess());
    record(vision, t.vision());
    record(prefill, t.prefill());
    record(decode, t.decode());
    record(total, t.total());
    generatedTokens.record(verdict.generatedTokens());
    promptTokens.record(verdict.promptTokens());
  }

  private static void record(Timer timer, Duration d) {
    timer.record(d);
  }

  /**
   * Records one failed request.
   *
   * @param trace the trace (not recorded)
   * @param failure the exception the caller received
   */
  @Override
  public void onFailure(QtaTrace trace, Throwable failure) {
    Counter.builder(FAILURES).tags(tags).tag("exception", failure.getClass().getSimpleName())
        .description("Guard requests that failed").register(registry).increment();
  }

  /**
   * Registers the gauges and function counters that read {@code guard}'s state: cache hits, misses and size,
   * and active requests. The meters hold the guard weakly.
   *
   * @param guard the guard to watch
   * @return this
   */
  public GuardTraceMetrics monitor(GuardTrace guard) {
    Objects.requireNonNull(guard, "guard");
    FunctionCounter.builder(CACHE_HITS, guard, g -> cacheStats(g).hits()).tags(tags)
        .description("Verdict cache hits").register(registry);
    FunctionCounter.builder(CACHE_MISSES, guard, g -> cacheStats(g).misses()).tags(tags)
        .description("Verdict cache misses").register(registry);
    Gauge.builder(CACHE_SIZE, guard, g -> cacheStats(g).size()).tags(tags)
        .description("Verdicts held in the cache").register(registry);
    Gauge.builder(ACTIVE_REQUESTS, guard, GuardTrace::inFlightRequests).tags(tags)
        .description("Requests queued or running on the guard model").register(registry);
    return this;
  }

  private static CacheStats cacheStats(GuardTrace guard) {
    return guard.cacheStats();
  }
}
