/**
 * A Spring AI advisor that moderates each exchange's question, the model's reasoning and its answer with
 * GuardTrace: {@link io.guardtrace.spring.ai.GuardTraceAdvisor}. Works with or without Spring Boot.
 */
@NullMarked
package io.guardtrace.spring.ai;

import org.jspecify.annotations.NullMarked;
