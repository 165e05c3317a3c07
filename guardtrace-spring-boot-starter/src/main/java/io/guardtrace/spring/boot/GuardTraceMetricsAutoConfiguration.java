package io.guardtrace.spring.boot;

import io.guardtrace.GuardTrace;
import io.guardtrace.micrometer.GuardTraceMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer metrics for the guard, when Micrometer is on the classpath and a {@link MeterRegistry} exists:
 * the auto-configured guard gets {@link GuardTraceMetrics} as its verdict listener, and every
 * {@code GuardTrace} bean (an application's own included) gets the cache and active-request gauges. An
 * application that builds its own guard adds the listener itself:
 * {@code GuardTrace.builder().listener(metrics)}.
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"})
@ConditionalOnClass({GuardTrace.class, MeterRegistry.class})
@ConditionalOnBean(MeterRegistry.class)
@ConditionalOnBooleanProperty(name = "guardtrace.enabled", matchIfMissing = true)
public class GuardTraceMetricsAutoConfiguration {
  /** Creates the configuration; Spring calls it. */
  public GuardTraceMetricsAutoConfiguration() {}

  /**
   * The recorder.
   *
   * @param registry the application's registry
   * @return the recorder
   */
  @Bean
  @ConditionalOnMissingBean
  public GuardTraceMetrics guardTraceMetrics(MeterRegistry registry) {
    return new GuardTraceMetrics(registry);
  }

  /**
   * Registers the recorder as the auto-configured guard's verdict listener.
   *
   * @param metrics the recorder
   * @return the customizer
   */
  @Bean
  public GuardTraceBuilderCustomizer guardTraceMetricsListener(GuardTraceMetrics metrics) {
    return builder -> builder.listener(metrics);
  }

  /**
   * Adds the state gauges of every guard once all singletons exist, so that it neither creates a guard early
   * nor misses one the application defined.
   *
   * @param guards the guards of the context
   * @param metrics the recorder
   * @return the binder
   */
  @Bean
  public SmartInitializingSingleton guardTraceGauges(ObjectProvider<GuardTrace> guards,
      GuardTraceMetrics metrics) {
    return () -> guards.orderedStream().forEach(metrics::monitor);
  }
}
