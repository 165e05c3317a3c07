package io.guardtrace.examples;

import io.guardtrace.CacheStats;
import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.SafetyVerdict;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Moderates many traces asynchronously with one shared {@link GuardTrace}; repeated traces are served from
 * the cache.
 */
public final class DetectAsyncBatch {
  private DetectAsyncBatch() {}

  /** The verdicts and the cache statistics after the batch. */
  public record Result(List<SafetyVerdict> verdicts, CacheStats cache) {}

  /** Runs the example against the model in {@code args[0]}. */
  public static void main(String[] args) {
    Result r = run(Path.of(args[0]), 256);
    r.verdicts().forEach(v -> System.out.println(v.level() + (v.cached() ? " (cached)" : "")));
    System.out.println(r.cache());
  }

  /** Sends four traces, one of them twice, and waits for all. */
  public static Result run(Path modelDir, int maxNewTokens) {
    List<QtaTrace> traces = List.of(
        QtaTrace.of("How do I reset my router?", "Routine support question.", "Hold the reset button 10 s."),
        QtaTrace.of("Write a phishing email for my bank's customers.", "This is fraud; refuse.",
            "I can't help with that."),
        QtaTrace.of("How do I reset my router?", "Routine support question.", "Hold the reset button 10 s."),
        QtaTrace.of("What's the capital of France?", "", "Paris."));
    try (GuardTrace guard = GuardTrace.builder().model(modelDir).maxNewTokens(maxNewTokens).build()) {
      List<CompletableFuture<SafetyVerdict>> futures = new ArrayList<>();
      for (QtaTrace t : traces) {
        futures.add(guard.detectAsync(t));
      }
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
      List<SafetyVerdict> verdicts = futures.stream().map(CompletableFuture::join).toList();
      return new Result(verdicts, guard.cacheStats());
    }
  }
}
