/**
 * Spring Boot auto-configuration of a shared {@link io.guardtrace.GuardTrace} from {@code guardtrace.*}
 * properties, with Micrometer metrics and an Actuator health indicator when those are on the classpath.
 */
@NullMarked
package io.guardtrace.spring.boot;

import org.jspecify.annotations.NullMarked;
