package io.guardtrace;

/**
 * Hears every verdict a {@link GuardTrace} hands to a caller, for metrics, audit logs or alerts.
 *
 * <p>Called once per caller: for each {@link GuardTrace#detect}/{@link GuardTrace#detectAsync} result (cache
 * hits included, with {@link SafetyVerdict#cached()} set) and for each {@link TraceMonitor#check()}. It runs on
 * the thread that completes the request, before the caller sees the result, so keep it short and
 * non-blocking. An exception it throws is swallowed: a listener never changes a verdict. Implementations must
 * be thread-safe.
 *
 * <pre>{@code
 * GuardTrace guard = GuardTrace.builder()
 *     .listener((trace, verdict) -> audit.record(trace.question(), verdict.level()))
 *     .build();
 * }</pre>
 */
@FunctionalInterface
public interface VerdictListener {
  /**
   * A verdict was returned.
   *
   * @param trace the trace as the caller passed it (for a monitor, the trace at the time of the check)
   * @param verdict the verdict the caller receives
   */
  void onVerdict(QtaTrace trace, SafetyVerdict verdict);

  /**
   * A request failed (invalid input, unparsable output under {@link FailurePolicy#THROW}, timeout,
   * cancellation, engine failure, close). Does nothing by default.
   *
   * @param trace the trace as the caller passed it
   * @param failure the exception the caller receives
   */
  default void onFailure(QtaTrace trace, Throwable failure) {}
}
