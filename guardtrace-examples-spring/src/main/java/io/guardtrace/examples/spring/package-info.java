/**
 * A minimal Spring Boot chatbot backend guarded by GuardTrace: one REST endpoint, a {@code ChatClient} with
 * {@link io.guardtrace.spring.ai.GuardTraceAdvisor}, and a scripted reasoning model standing in for the LLM.
 */
@NullMarked
package io.guardtrace.examples.spring;

import org.jspecify.annotations.NullMarked;
