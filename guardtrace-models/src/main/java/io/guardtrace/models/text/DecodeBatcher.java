package io.guardtrace.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Runs the decode steps of concurrent generations as one step over the weights.
 *
 * <p>A decode step of one sequence is bound by reading every weight once (6 GB for the 3B model in bfloat16);
 * the arithmetic is a rounding error next to it. When several requests are decoding at the same time, each
 * step they take separately reads the weights again, so n concurrent requests make every one of them about n
 * times slower. Here their next tokens go through the layers together ({@link TextDecoder#forwardBatch}): the
 * weights are read once per step for all of them, and each sequence still attends only to its own cache.
 *
 * <p>One worker thread runs the steps. A generation that is past its prefill {@linkplain #enter() enters},
 * submits each single-token step with {@link #step} and waits for it, and {@linkplain #leave() leaves} when
 * done. The worker takes the first waiting step, then gathers the others' for up to {@link #GATHER_MILLIS}
 * (never longer than it takes every entered generation to arrive), so two generations do not fall into
 * alternating single steps. A lone generation is not handed to the worker at all: its steps run on its own
 * thread through exactly {@link TextDecoder#forward}, as without a batcher.
 *
 * <p>Only built where {@link DecodeBatchProbe} found batched rows bit-identical to single steps on this
 * machine (see {@link #create}), so a verdict does not depend on what else is running.
 */
public final class DecodeBatcher implements AutoCloseable {
  /** Longest wait for the other entered generations to submit their step, in milliseconds. */
  static final long GATHER_MILLIS = 20;

  private final TextDecoder decoder;
  private final int maxBatch;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final AtomicInteger decoding = new AtomicInteger();
  private final AtomicLong sharedSteps = new AtomicLong();
  private final AtomicLong sequencesInSharedSteps = new AtomicLong();
  private final Thread worker;
  private volatile boolean closed;

  private record Pending(long token, float[] cos, float[] sin, KvCache cache, NDManager target,
      CompletableFuture<NDArray> result) {}

  private DecodeBatcher(TextDecoder decoder, int maxBatch) {
    this.decoder = decoder;
    this.maxBatch = maxBatch;
    this.worker = new Thread(this::loop, "guardtrace-decode-batcher");
    worker.setDaemon(true);
    worker.start();
  }

  /**
   * A batcher for up to {@code maxBatch} sequences per step (at most 8 when the Java decode kernels run them:
   * past that a shared step is compute-bound), or null when {@code maxBatch < 2} or when batched steps are not
   * bit-identical to single steps on this machine ({@link DecodeBatchProbe}).
   *
   * @param decoder the text decoder
   * @param maxBatch the most sequences per step
   * @return the batcher, or null
   */
  public static @Nullable DecodeBatcher create(TextDecoder decoder, int maxBatch) {
    if (decoder.vectorDecoder() != null) {
      // the Java kernels convert every weight once per sequence: past a few sequences a step is compute-bound,
      // where libtorch's GEMM kernels win, so shared steps stop at the batch sizes measured (docs/performance.md)
      maxBatch = Math.min(maxBatch, VectorDecoder.MAX_SHARED_ROWS);
    }
    if (maxBatch < 2 || !DecodeBatchProbe.batchesMatchSingleSteps(decoder, maxBatch)) {
      return null;
    }
    return new DecodeBatcher(decoder, maxBatch);
  }

  /**
   * The most sequences one step takes.
   *
   * @return the most sequences one step takes
   */
  public int maxBatch() {
    return maxBatch;
  }

  /**
   * Steps run so far for two or more sequences at once.
   *
   * @return steps run so far for two or more sequences at once
   */
  public long sharedSteps() {
    return sharedSteps.get();
  }

  /**
   * Sequences advanced by those shared steps (divided by {@link #sharedSteps}: the mean batch size).
   *
   * @return sequences advanced by those shared steps (divided by {@link #sharedSteps}: the mean batch size)
   */
  public long sequencesInSharedSteps() {
    return sequencesInSharedSteps.get();
  }

  /** Marks the calling generation as decoding (after its prefill): the worker may wait for its steps. */
  public void enter() {
    decoding.incrementAndGet();
  }

  /** The calling generation has stopped decoding. */
  public void leave() {
    decoding.decrementAndGet();
  }

  /**
   * Runs one decode step: feeds {@code token} at position {@code cache.length()} (rotary {@code cos}/{@code
   * sin}, {@code (headDim)}), writes its key and value into {@code cache} and returns the next token's float32
   * logits {@code (vocab)}, attached to {@code target}. Blocks until the step has run; {@code cos}, {@code sin}
   * and {@code cache} must not be touched meanwhile.
   *
   * @param target the manager that owns the returned logits
   * @param token the token to feed
   * @param cos the rotary cosines of its position
   * @param sin the rotary sines of its position
   * @param cache the sequence's cache
   * @return the logits of the next token
   */
  public NDArray step(NDManager target, long token, float[] cos, float[] sin, KvCache cache) {
    if (closed) {
      throw new IllegalStateException("decode batcher is closed");
    }
    if (decoding.get() <= 1) {
      // nobody to share with: run on the caller's thread, exactly as without a batcher (no hand-off)
      return Generator.tokenLogits(decoder, target, token, cos, sin, cache);
    }
    CompletableFuture<NDArray> result = new CompletableFuture<>();
    Pending pending = new Pending(token, cos, sin, cache, target, result);
    queue.add(pending);
    if (closed && queue.remove(pending)) {
      // closed while adding: the worker may already have drained the queue for the last time
      throw new IllegalStateException("decode batcher is closed");
    }
    try {
      return result.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw e;
    }
  }

  private void loop() {
    List<Pending> batch = new ArrayList<>(maxBatch);
    while (!closed) {
      try {
        Pending first = queue.poll(1, TimeUnit.SECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        gather(batch);
      } catch (InterruptedException e) {
        break;
      }
      try {
        run(batch);
      } catch (RuntimeException | Error e) {
        for (Pending p : batch) {
          p.result.completeExceptionally(e);
        }
      } finally {
        batch.clear();
      }
    }
    for (Pending p; (p = queue.poll()) != null; ) {
      p.result.completeExceptionally(new IllegalStateException("decode batcher is closed"));
    }
  }

  /** Adds the steps of the other entered generations that arrive within the gather window. */
  private void gather(List<Pending> batch) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GATHER_MILLIS);
    while (batch.size() < maxBatch) {
      queue.drainTo(batch, maxBatch - batch.size());
      if (batch.size() >= Math.min(maxBatch, decoding.get())) {
        return;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      Pending next = queue.poll(left, TimeUnit.NANOSECONDS);
      if (next != null) {
        batch.add(next);
      }
    }
  }

  private void run(List<Pending> batch) {
    // a sequence whose cache is full fails alone instead of failing everyone it was batched with
    batch.removeIf(p -> {
      if (p.cache.length() < p.cache.capacity()) {
        return false;
      }
      p.result.completeExceptionally(new IllegalStateException(
          "KV cache full: " + p.cache.length() + " + 1 > " + p.cache.capacity()));
      return true;
    });
    if (batch.size() == 1) {
      runAlone(batch.get(0));
      return;
    }
    if (batch.isEmpty()) {
      return;
    }
    int[] lengths = new int[batch.size()];
    for (int i = 0; i < lengths.length; i++) {
      lengths[i] = batch.get(i).cache.length();
    }
    try {
      runTogether(batch);
    } catch (RuntimeException e) {
      // each unfinished step is run again alone, from the cache length it came with: a fault that belongs
      // to one sequence then fails only that one
      for (int i = 0; i < lengths.length; i++) {
        Pending p = batch.get(i);
        if (!p.result.isDone()) {
          try {
            p.cache.truncate(lengths[i]);
            runAlone(p);
          } catch (RuntimeException alone) {
            p.result.completeExceptionally(alone);
          }
        }
      }
    }
  }

  /** One sequence's step, exactly as {@link Generator} runs it without a batcher. */
  private void runAlone(Pending p) {
    p.result.complete(Generator.tokenLogits(decoder, p.target, p.token, p.cos, p.sin, p.cache));
  }

  private void runTogether(List<Pending> batch) {
    int n = batch.size();
    long[] tokens = new long[n];
    float[][] cos = new float[n][];
    float[][] sin = new float[n][];
    KvCache[] caches = new KvCache[n];
    NDManager[] targets = new NDManager[n];
    for (int i = 0; i < n; i++) {
      Pending p = batch.get(i);
      tokens[i] = p.token;
      cos[i] = p.cos;
      sin[i] = p.sin;
      caches[i] = p.cache;
      targets[i] = p.target;
    }
    NDArray[] logits = Generator.tokensLogits(decoder, tokens, cos, sin, caches, targets);
    sharedSteps.incrementAndGet();
    sequencesInSharedSteps.addAndGet(n);
    for (int i = 0; i < n; i++) {
      batch.get(i).result.complete(logits[i]);
    }
  }


  /** Stops the worker; steps still waiting fail. Call only when no generation is running. */
  @Override
  public void close() {
    closed = true;
    worker.interrupt();
    try {
      worker.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
