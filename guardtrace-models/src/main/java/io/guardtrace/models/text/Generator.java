package io.guardtrace.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.guardtrace.GuardTraceCancelledException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Greedy decoding with a KV cache, as {@code GenerationMixin.generate(do_sample=False)} does it: prefill the
 * whole prompt, then one token at a time; the repetition penalty of {@code RepetitionPenaltyLogitsProcessor}
 * (every distinct id of the sequence so far, prompt and image pads included: a negative score is multiplied
 * by the penalty, a positive one divided) is applied before the arg-max, in Java over the step's logits read
 * back once (seven libtorch calls over the vocabulary cost more than the read: ~4 ms a step on the 3B).
 */
public final class Generator {
  private final TextDecoder decoder;
  private final MRope rope;
  private final @Nullable DecodeBatcher batcher;

  /**
   * A generator over {@code decoder} that runs every step itself.
   *
   * @param decoder the text decoder
   */
  public Generator(TextDecoder decoder) {
    this(decoder, null);
  }

  /**
   * A generator over {@code decoder} whose single-token steps go through {@code batcher} (when non-null), to
   * be run together with those of other concurrent generations.
   *
   * @param decoder the text decoder
   * @param batcher the step batcher, or null
   */
  public Generator(TextDecoder decoder, @Nullable DecodeBatcher batcher) {
    this.decoder = decoder;
    this.batcher = batcher;
    var c = decoder.config();
    this.rope = new MRope(c.headDim(), c.ropeTheta(), c.mropeSection());
  }

  /** Observes generation: each chosen token, and the logits it was chosen from (float32, {@code (vocab)}). */
  public interface StepListener {
    /**
     * Called after each step. {@code rawLogits} is valid only during the call.
     *
     * @param step the step's index, from 0
     * @param tokenId the token chosen
     * @param rawLogits the step's logits before the penalty
     * @param lookAhead probes tokens after this one
     * @return false to stop generating
     */
    boolean onStep(int step, int tokenId, NDArray rawLogits, LookAhead lookAhead);
  }

  /**
   * Runs a short hypothetical continuation on the request's cache and forgets it: feeds {@code tokens[i]} in
   * turn and returns the softmax probability of {@code probes[i]} after each. Costs one decode step per token.
   */
  @FunctionalInterface
  public interface LookAhead {
    /**
     * Feeds {@code tokens} in turn after the sequence so far and reads a probability after each.
     *
     * @param tokens the hypothetical tokens, in order
     * @param probes the token whose probability is read after each of {@code tokens}
     * @return the softmax probability of {@code probes[i]} after {@code tokens[i]}
     */
    float[] probe(int[] tokens, int[] probes);
  }

  /** Polled between steps. */
  @FunctionalInterface
  public interface Cancelled {
    /**
     * Whether generation must stop now.
     *
     * @return true to stop
     */
    boolean get();
  }

  /**
   * Generates up to {@code maxNewTokens} tokens.
   *
   * @param manager the request's manager (every intermediate is closed before returning)
   * @param inputsEmbeds {@code (L, hidden)} prompt embeddings (image embeddings already written in)
   * @param promptIds the prompt's ids (for the repetition penalty)
   * @param positions the prompt's rotary positions
   * @param eos stop ids (ignored when {@code ignoreEos})
   * @param penalty repetition penalty, 1.0 for none
   * @param maxNewTokens the most tokens to generate
   * @param ignoreEos whether to generate exactly {@code maxNewTokens}
   * @param listener hears each step
   * @param cancelled polled before each step
   * @return the generated ids, the stop token included if one was produced
   */
  public List<Integer> generate(NDManager manager, NDArray inputsEmbeds, long[] promptIds, RopeIndex positions,
      int maxNewTokens, Set<Integer> eos, boolean ignoreEos, double penalty, StepListener listener,
      Cancelled cancelled) {
    return generate(manager, inputsEmbeds, promptIds, positions, null, maxNewTokens, eos, ignoreEos, penalty,
        listener, cancelled);
  }

  /**
   * As {@link #generate(NDManager, NDArray, long[], RopeIndex, int, Set, boolean, double, StepListener,
   * Cancelled)}, starting from {@code prefix}: a cache holding the keys and values of the prompt's first
   * {@code prefix.length()} tokens (a shared system prompt), so only the rest of the prompt is prefilled.
   * The prefix must be text at positions {@code 0..n-1} (no images), as a system prompt is.
   *
   * @param manager the request's manager
   * @param inputsEmbeds the prompt's embeddings
   * @param promptIds the prompt's ids
   * @param positions the prompt's rotary positions
   * @param prefix a cache of the prompt's first tokens, or null
   * @param maxNewTokens the most tokens to generate
   * @param eos the end-of-sequence ids
   * @param ignoreEos whether to generate exactly {@code maxNewTokens}
   * @param penalty the repetition penalty (1: none)
   * @param listener hears each step
   * @param cancelled polled before each step
   * @return the generated ids
   */
  public List<Integer> generate(NDManager manager, NDArray inputsEmbeds, long[] promptIds, RopeIndex positions,
      @Nullable KvCache prefix, int maxNewTokens, Set<Integer> eos, boolean ignoreEos, double penalty,
      StepListener listener, Cancelled cancelled) {
    int length = promptIds.length;
    var c = decoder.config();
    try (NDManager m = manager.newSubManager();
        KvCache cache = decoder.newCache(m, length + maxNewTokens + 2)) {
      int from = 0;
      if (prefix != null && prefix.length() < length) {
        cache.loadPrefix(prefix);
        from = prefix.length();
      }
      if (from == 0) {
        return run(m, cache, inputsEmbeds, promptIds, positions, maxNewTokens, eos, ignoreEos, penalty, listener,
            cancelled);
      }
      try (NDArray tail = inputsEmbeds.get("{}:, :", from)) {
        return run(m, cache, tail, promptIds, positions, maxNewTokens, eos, ignoreEos, penalty, listener,
            cancelled);
      }
    }
  }

  /**
   * Continues on a caller-owned cache that already holds the keys and values of the prompt's first
   * {@code cache.length()} tokens: prefills {@code tailEmbeds} (the rest of the prompt) and generates. On return
   * the cache also holds the generated tokens; the caller truncates it back to what it wants to keep. The
   * cache must have room for the tail, {@code maxNewTokens} and two look-ahead tokens.
   *
   * @param manager the request's manager
   * @param cache the caller's cache, holding the prompt's first {@code cache.length()} tokens
   * @param tailEmbeds the embeddings of the prompt's remaining tokens
   * @param promptIds the whole prompt's ids
   * @param positions the prompt's rotary positions
   * @param maxNewTokens the most tokens to generate
   * @param eos the end-of-sequence ids
   * @param ignoreEos whether to generate exactly {@code maxNewTokens}
   * @param penalty the repetition penalty (1: none)
   * @param listener hears each step
   * @param cancelled polled before each step
   * @return the generated ids
   */
  public List<Integer> continueFrom(NDManager manager, KvCache cache, NDArray tailEmbeds, long[] promptIds,
      RopeIndex positions, int maxNewTokens, Set<Integer> eos, boolean ignoreEos, double penalty,
      StepListener listener, Cancelled cancelled) {
    try (NDManager m = manager.newSubManager()) {
      return run(m, cache, tailEmbeds, promptIds, positions, maxNewTokens, eos, ignoreEos, penalty, listener,
          cancelled);
    }
  }

  private List<Integer> run(NDManager m, KvCache cache, NDArray tail, long[] promptIds, RopeIndex positions,
      int maxNewTokens, Set<Integer> eos, boolean ignoreEos, double penalty, StepListener listener,
      Cancelled cancelled) {
    var c = decoder.config();
    int vocab = c.vocabSize();
    int hd = c.headDim();
    int from = cache.length();
    int rest = promptIds.length - from;
    if (rest < 1 || tail.getShape().get(0) != rest) {
      throw new IllegalArgumentException("tail of " + tail.getShape() + " rows does not continue a cache of "
          + from + " for a prompt of " + promptIds.length);
    }
    List<Integer> out = new ArrayList<>();
    boolean[] seen = null;
    if (penalty != 1.0) {
      seen = new boolean[vocab];
      for (long id : promptIds) {
        if (id >= 0 && id < vocab) {
          seen[(int) id] = true;
        }
      }
    }
    float[] cos = new float[rest * hd];
    float[] sin = new float[rest * hd];
    rope.tables(positions.positions(), from, rest, cos, sin);
    NDArray logits = step(m, tail, cos, sin, rest, cache);
    float[] cos1 = new float[hd];
    float[] sin1 = new float[hd];
    if (batcher != null) {
      batcher.enter();
    }
    try {
      for (int stepIndex = 0; stepIndex < maxNewTokens; stepIndex++) {
        int next = choose(logits, seen, (float) penalty);
        out.add(next);
        final NDManager fm = m;
        LookAhead la = (tokens, probes) -> lookAhead(fm, cache, positions.ropeDelta(), tokens, probes);
        boolean go = listener.onStep(stepIndex, next, logits, la);
        logits.close();
        if (!go || (!ignoreEos && eos.contains(next)) || stepIndex == maxNewTokens - 1) {
          break;
        }
        if (cancelled.get()) {
          throw new GuardTraceCancelledException("generation cancelled after " + out.size() + " tokens");
        }
        if (seen != null && next < seen.length) {
          seen[next] = true;
        }
        rope.tables(cache.length() + positions.ropeDelta(), cos1, sin1);
        logits = decodeStep(m, next, cos1, sin1, cache);
      }
    } finally {
      if (batcher != null) {
        batcher.leave();
      }
    }
    return out;
  }

  /** Runs the decoder on {@code x} and returns float32 logits of the last position, {@code (vocab)}. */
  private NDArray step(NDManager m, NDArray x, float[] cos, float[] sin, int length, KvCache cache) {
    return lastLogits(decoder, m, x, cos, sin, length, cache);
  }

  /**
   * Feeds one token: through the batcher when there is one (the step may then run together with other
   * generations' steps, with bit-identical results), else directly.
   */
  private NDArray decodeStep(NDManager m, long token, float[] cos, float[] sin, KvCache cache) {
    if (batcher != null) {
      return batcher.step(m, token, cos, sin, cache);
    }
    return tokenLogits(decoder, m, token, cos, sin, cache);
  }

  /**
   * Feeds one {@code token} at position {@code cache.length()} (rotary tables {@code (headDim)}) and returns
   * float32 logits of the next token, {@code (vocab)}, on {@code m}: a decode step of one sequence alone.
   */
  static NDArray tokenLogits(TextDecoder decoder, NDManager m, long token, float[] cos, float[] sin,
      KvCache cache) {
    VectorDecoder vector = decoder.vectorDecoder();
    if (vector != null) {
      return vector.step(new long[] {token}, new float[][] {cos}, new float[][] {sin}, new KvCache[] {cache},
          new NDManager[] {m})[0];
    }
    try (NDArray x = decoder.embed(m, new long[] {token})) {
      return lastLogits(decoder, m, x, cos, sin, 1, cache);
    }
  }

  /**
   * One decode step of several sequences in one pass over the weights: {@code tokens[i]} at position
   * {@code caches[i].length()} with rotary tables {@code cos[i]}/{@code sin[i]} ({@code (headDim)}); returns
   * each sequence's float32 logits {@code (vocab)} on {@code targets[i]}. Whether each row is bit-identical to
   * {@link #tokenLogits} of that sequence alone depends on the kernels ({@link DecodeBatchProbe}).
   */
  static NDArray[] tokensLogits(TextDecoder decoder, long[] tokens, float[][] cos, float[][] sin, KvCache[] caches,
      NDManager[] targets) {
    VectorDecoder vector = decoder.vectorDecoder();
    if (vector != null) {
      return vector.step(tokens, cos, sin, caches, targets);
    }
    int n = tokens.length;
    int hd = decoder.config().headDim();
    float[] cosAll = new float[n * hd];
    float[] sinAll = new float[n * hd];
    for (int i = 0; i < n; i++) {
      System.arraycopy(cos[i], 0, cosAll, i * hd, hd);
      System.arraycopy(sin[i], 0, sinAll, i * hd, hd);
    }
    try (NDManager m = decoder.loader().manager().newSubManager()) {
      NDArray x = decoder.embed(m, tokens);
      NDArray hidden = decoder.forwardBatch(x, table(decoder, m, cosAll, n), table(decoder, m, sinAll, n), caches);
      NDArray logits = decoder.logits(hidden);
      NDArray[] rows = new NDArray[n];
      for (int i = 0; i < n; i++) {
        rows[i] = logits.get(i);
        rows[i].attach(targets[i]);
      }
      return rows;
    }
  }

  /**
   * Runs {@code decoder} on {@code x} ({@code (length, hidden)}) with rotary tables {@code (length * headDim)}
   * and returns float32 logits of the last position, {@code (vocab)}, on {@code m}.
   */
  static NDArray lastLogits(TextDecoder decoder, NDManager m, NDArray x, float[] cos, float[] sin, int length,
      KvCache cache) {
    try (NDScope scope = new NDScope()) {
      NDArray cosA = table(decoder, m, cos, length);
      NDArray sinA = table(decoder, m, sin, length);
      NDArray hidden = decoder.forward(x, cosA, sinA, cache, null);
      NDArray logits = decoder.logits(hidden.get("{}:", length - 1)).reshape(-1);
      NDScope.unregister(logits);
      return logits;
    }
  }

  /**
   * Prefills {@code embeds} ({@code (n, hidden)}, text at positions 0..n-1) into a new cache of exactly
   * {@code n} positions on {@code manager}, for reuse as a prefix by later requests.
   *
   * @param manager where the cache is allocated
   * @param embeds the prompt's embeddings
   * @return the cache
   */
  public KvCache prefill(NDManager manager, NDArray embeds) {
    var c = decoder.config();
    int n = Math.toIntExact(embeds.getShape().get(0));
    long[][] pos = new long[3][n];
    for (int k = 0; k < 3; k++) {
      for (int i = 0; i < n; i++) {
        pos[k][i] = i;
      }
    }
    float[] cos = new float[n * c.headDim()];
    float[] sin = new float[n * c.headDim()];
    rope.tables(pos, 0, n, cos, sin);
    KvCache cache = decoder.newCache(manager, n);
    try (NDScope scope = new NDScope()) {
      NDScope.unregister(cache.arrays());
      decoder.forward(embeds, table(decoder, manager, cos, n), table(decoder, manager, sin, n), cache, null);
    }
    return cache;
  }

  private float[] lookAhead(NDManager m, KvCache cache, long ropeDelta, int[] tokens, int[] probes) {
    int keep = cache.length();
    int hd = decoder.config().headDim();
    float[] cos = new float[hd];
    float[] sin = new float[hd];
    float[] out = new float[tokens.length];
    try {
      for (int i = 0; i < tokens.length && cache.length() < cache.capacity(); i++) {
        rope.tables(cache.length() + ropeDelta, cos, sin);
        try (NDScope scope = new NDScope()) {
          NDArray logits = decodeStep(m, tokens[i], cos, sin, cache);
          out[i] = logits.softmax(-1).getFloat(probes[i]);
          logits.close();
        }
      }
    } finally {
      cache.truncate(keep);
    }
    return out;
  }

  /** A rotary table {@code (length, headDim)} in the compute dtype (the reference casts cos/sin to it). */
  private static NDArray table(TextDecoder decoder, NDManager m, float[] values, int length) {
    return decoder.loader().toCompute(m.create(values, new Shape(length, decoder.config().headDim())));
  }

  /**
   * The arg-max of the logits after the repetition penalty on {@code seen} ids (null: no penalty), as
   * {@code where(seen, where(logits < 0, logits * penalty, logits / penalty), logits).argmax()} computes it in
   * float32: the first maximum, a NaN winning as in libtorch.
   */
  static int choose(NDArray logits, boolean @Nullable [] seen, float penalty) {
    float[] l = logits.toFloatArray();
    int best = 0;
    float bestValue = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < l.length; i++) {
      float v = l[i];
      if (seen != null && seen[i]) {
        v = v < 0 ? v * penalty : v / penalty;
      }
      if (v > bestValue || (Float.isNaN(v) && !Float.isNaN(bestValue))) {
        best = i;
        bestValue = v;
      }
    }
    return best;
  }
}
