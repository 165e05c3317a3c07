package io.guardtrace.spring.boot;

import io.guardtrace.GuardTrace;

/**
 * Adjusts the {@link GuardTrace.Builder} of the auto-configured guard after the {@code guardtrace.*}
 * properties were applied and before the model loads: an executor, a listener, a custom engine. Beans of this
 * type are applied in their {@link org.springframework.core.Ordered order}.
 *
 * <pre>{@code
 * @Bean
 * GuardTraceBuilderCustomizer auditVerdicts(AuditLog audit) {
 *   return builder -> builder.listener((trace, verdict) -> audit.record(verdict));
 * }
 * }</pre>
 */
@FunctionalInterface
public interface GuardTraceBuilderCustomizer {
  /**
   * Customizes the builder.
   *
   * @param builder the builder, with the properties already applied
   */
  void customize(GuardTrace.Builder builder);
}
