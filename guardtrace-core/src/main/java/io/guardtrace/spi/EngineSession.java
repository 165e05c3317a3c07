package io.guardtrace.spi;

/**
 * A conversation whose prompt grows between requests (a trace being streamed), keeping the keys and values of
 * the prompt's tokens between calls. Each {@link #generate} runs exactly what {@link Engine#generate} would run
 * for the same request, but only the tokens after the longest prefix shared with the previous request's prompt
 * are prefilled; generated tokens are dropped from the cache afterwards.
 *
 * <p>The images must stay the same for the whole session (they are encoded once). Not thread-safe: callers
 * serialise calls. {@link #close()} frees the cache.
 */
public interface EngineSession extends AutoCloseable {

  /**
   * As {@link Engine#generate}, reusing the cached prefix.
   *
   * @param request the prompt and generation settings
   * @return the generated text, token ids and timings
   */
  EngineResult generate(EngineRequest request);

  /**
   * Prompt tokens currently held in the cache.
   *
   * @return prompt tokens currently held in the cache
   */
  int cachedTokens();

  /** Frees the session's native memory. Idempotent. */
  @Override
  void close();
}
