package io.guardtrace.spring.boot;

import io.guardtrace.CacheStats;
import io.guardtrace.GuardTrace;
import io.guardtrace.GuardTraceOptions;
import java.util.Objects;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Reports the guard: UP while its model is loaded (the bean exists only once loading succeeded), DOWN once it
 * is closed. Details: the model's identity, device, dtype, active requests and cache statistics.
 */
public class GuardTraceHealthIndicator extends AbstractHealthIndicator {
  private final GuardTrace guard;

  /**
   * An indicator for {@code guard}.
   *
   * @param guard the guard to report
   */
  public GuardTraceHealthIndicator(GuardTrace guard) {
    super("GuardTrace health check failed");
    this.guard = Objects.requireNonNull(guard, "guard");
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    GuardTraceOptions options = guard.options();
    if (guard.isClosed()) {
      builder.down().withDetail("reason", "closed");
    } else {
      builder.up();
    }
    CacheStats cache = guard.cacheStats();
    builder.withDetail("model", guard.modelIdentity())
        .withDetail("device", options.device())
        .withDetail("dtype", options.dtype())
        .withDetail("activeRequests", guard.inFlightRequests())
        .withDetail("cacheEnabled", cache.enabled())
        .withDetail("cacheSize", cache.size())
        .withDetail("cacheHitRate", cache.hitRate());
  }
}
