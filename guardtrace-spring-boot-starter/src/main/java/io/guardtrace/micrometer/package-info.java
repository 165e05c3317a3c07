/**
 * Micrometer metrics for {@link io.guardtrace.GuardTrace}: {@link io.guardtrace.micrometer.GuardTraceMetrics}.
 * Usable with or without Spring Boot.
 */
@NullMarked
package io.guardtrace.micrometer;

import org.jspecify.annotations.NullMarked;
