package io.guardtrace;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Verdicts by everything that decides them, in a Caffeine cache of futures: concurrent identical requests
 * share one running computation (an atomic compute-if-absent), and a failed or cancelled computation is
 * removed rather than cached. (Futures are stored in a plain {@link Cache} rather than an AsyncCache so that
 * a request that fails for its own reasons, such as a corrupt image, is not logged as a cache error.)
 */
final class VerdictCache {
  /**
   * Everything that decides a verdict. Texts and image bytes enter by their SHA-256 only (each field on its
   * own, so text moved from one field to another is another key): a cache of 10 000 verdicts of megabyte
   * traces holds a few hundred bytes per key, not the traces. Computing a key reads the trace's image files,
   * so it runs inside the request, on the executor.
   */
  record Key(String engine, String systemPromptSha256, int maxNewTokens, int tokenBudget,
      boolean missingImageNotice, String questionSha256, String thinkingSha256, String answerSha256,
      List<String> imageSha256s) {
    static Key of(String engine, String systemPromptSha256, int maxNewTokens, int tokenBudget,
        boolean missingImageNotice, QtaTrace trace) {
      // whether the prompt carries the missing-image notice, from the option or from the trace
      boolean notice = trace.imageUnavailable() || trace.images().isEmpty() && missingImageNotice;
      return new Key(engine, systemPromptSha256, maxNewTokens, tokenBudget, notice,
          Sha256.ofText(trace.question()), Sha256.ofText(trace.thinking()), Sha256.ofText(trace.answer()),
          trace.images().stream().map(TraceImage::sha256).toList());
    }
  }

  /** A lookup: the shared future, and whether this caller started it. */
  record Lookup(CompletableFuture<SafetyVerdict> future, boolean started) {}

  private final Cache<Key, CompletableFuture<SafetyVerdict>> cache;
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();

  VerdictCache(long maximumSize, @Nullable Duration ttl) {
    Caffeine<Object, Object> b = Caffeine.newBuilder().maximumSize(maximumSize);
    if (ttl != null) {
      b.expireAfterWrite(ttl);
    }
    this.cache = b.build();
  }

  /** The cached or running verdict of {@code key}, starting {@code compute} when there is none. */
  Lookup get(Key key, Supplier<CompletableFuture<SafetyVerdict>> compute) {
    boolean[] started = {false};
    CompletableFuture<SafetyVerdict> f;
    while (true) {
      f = cache.asMap().computeIfAbsent(key, k -> {
        started[0] = true;
        return compute.get();
      });
      // A computation that has just failed may still be mapped: its removal below runs as a dependent of the
      // future and can lag behind the caller that saw the failure. A later caller never joins a failure.
      if (started[0] || !f.isCompletedExceptionally()) {
        break;
      }
      cache.asMap().remove(key, f);
    }
    (started[0] ? misses : hits).increment();
    if (started[0]) {
      CompletableFuture<SafetyVerdict> mine = f;
      mine.whenComplete((v, e) -> {
        if (e != null) {
          cache.asMap().remove(key, mine);
        }
      });
    }
    return new Lookup(f, started[0]);
  }

  /** Forgets {@code key} if it still maps to {@code future} (a cancelled computation). */
  void invalidate(Key key, CompletableFuture<SafetyVerdict> future) {
    cache.asMap().remove(key, future);
  }

  CacheStats stats() {
    return new CacheStats(hits.sum(), misses.sum(), cache.estimatedSize(), true);
  }

  void clear() {
    cache.invalidateAll();
  }
}
