package io.guardtrace.spring.boot;

import io.guardtrace.GuardTrace;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code guardTrace} health component, when Spring Boot's health support (Actuator) is on the classpath
 * and {@code management.health.guardtrace.enabled} is not false.
 */
@AutoConfiguration(after = GuardTraceAutoConfiguration.class)
@ConditionalOnClass({GuardTrace.class, HealthIndicator.class})
@ConditionalOnSingleCandidate(GuardTrace.class)
@ConditionalOnEnabledHealthIndicator("guardtrace")
public class GuardTraceHealthAutoConfiguration {
  /** Creates the configuration; Spring calls it. */
  public GuardTraceHealthAutoConfiguration() {}

  /**
   * The health indicator.
   *
   * @param guard the guard
   * @return the indicator, shown as {@code guardTrace}
   */
  @Bean
  @ConditionalOnMissingBean(name = "guardTraceHealthIndicator")
  public GuardTraceHealthIndicator guardTraceHealthIndicator(GuardTrace guard) {
    return new GuardTraceHealthIndicator(guard);
  }
}
