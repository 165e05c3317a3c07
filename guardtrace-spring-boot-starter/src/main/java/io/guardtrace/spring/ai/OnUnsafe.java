package io.guardtrace.spring.ai;

/** What {@link GuardTraceAdvisor} does with a response whose verdict reaches its threshold. */
public enum OnUnsafe {
  /** Replace the answer with the configured refusal (in a stream: end the stream with it). */
  REFUSE,
  /** Fail the call (in a stream: end the stream with the error) with {@link UnsafeResponseException}. */
  THROW
}
