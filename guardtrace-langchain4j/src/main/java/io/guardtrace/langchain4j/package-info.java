/**
 * LangChain4j integration: {@link io.guardtrace.langchain4j.GuardTraceOutputGuardrail} judges an AI service's
 * question, the model's thinking and its answer; {@link io.guardtrace.langchain4j.GuardedTokenStream} cuts a
 * streaming AI service's token stream on the first unsafe check.
 */
@NullMarked
package io.guardtrace.langchain4j;

import org.jspecify.annotations.NullMarked;
