package io.guardtrace;

/**
 * Statistics of the verdict cache since the {@link GuardTrace} was built.
 *
 * @param hits requests answered from the cache (including ones that joined a running identical request)
 * @param misses requests that ran the model
 * @param size verdicts held now
 * @param enabled whether caching is on
 */
public record CacheStats(long hits, long misses, long size, boolean enabled) {
  /**
   * hits / (hits + misses), or 0 when there were no requests.
   *
   * @return hits / (hits + misses), or 0 when there were no requests
   */
  public double hitRate() {
    long n = hits + misses;
    return n == 0 ? 0 : (double) hits / n;
  }
}
