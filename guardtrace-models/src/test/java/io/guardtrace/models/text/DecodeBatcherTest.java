package io.guardtrace.models.text;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.guardtrace.models.Fixtures;
import io.guardtrace.models.config.ModelConfig;
import io.guardtrace.models.weights.TensorLoader;
import io.guardtrace.models.weights.WeightStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Decode steps of several sequences run together must give every sequence exactly what it gets alone: the
 * same logits, bit for bit, and so the same tokens. Checked through the whole tiny model, in both precisions,
 * on the decode paths the engine runs (libtorch, or the Java kernels when the JVM has the Vector API), against
 * {@link DecodeBatchProbe}'s verdict: where the probe allows batching, batched steps must be
 * bit-identical through every layer; where it does not, no batcher may be built.
 */
class DecodeBatcherTest {
  static ModelConfig config;
  static WeightStore store;

  @BeforeAll
  static void load() {
    config = ModelConfig.load(Fixtures.tinyModel().resolve("config.json"));
    store = WeightStore.open(Fixtures.tinyModel());
  }

  @AfterAll
  static void close() {
    store.close();
  }

  /** Prompts of different lengths (so the sequences sit at different cache positions). */
  static long[][] prompts(int n) {
    long[][] out = new long[n][];
    for (int i = 0; i < n; i++) {
      out[i] = new long[5 + 7 * i];
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] = 100 + (j * 31 + i * 977) % 5000;
      }
    }
    return out;
  }

  static RopeIndex textPositions(int length) {
    long[][] pos = new long[3][length];
    for (int k = 0; k < 3; k++) {
      for (int i = 0; i < length; i++) {
        pos[k][i] = i;
      }
    }
    return new RopeIndex(pos, 0);
  }

  @ParameterizedTest
  @EnumSource(TensorLoader.Precision.class)
  void batchedStepsEqualSingleSteps_bitForBit_whereTheProbeAllowsBatching(TensorLoader.Precision precision) {
    int n = 4;
    int steps = 6;
    try (TextDecoder decoder = new TextDecoder(config.text(), store, new TensorLoader(Fixtures.device(), precision));
        NDManager m = NDManager.newBaseManager(Fixtures.device(), "PyTorch")) {
      boolean probe = DecodeBatchProbe.batchesMatchSingleSteps(decoder, n);
      try (DecodeBatcher batcher = DecodeBatcher.create(decoder, n)) {
        assertThat(batcher != null).as("a batcher exactly where the probe passes").isEqualTo(probe);
      }
      MRope rope = new MRope(config.text().headDim(), config.text().ropeTheta(), config.text().mropeSection());
      long[][] prompts = prompts(n);
      KvCache[] alone = new KvCache[n];
      KvCache[] together = new KvCache[n];
      long[] next = new long[n];
      for (int i = 0; i < n; i++) {
        alone[i] = prefill(decoder, m, rope, prompts[i], steps);
        together[i] = prefill(decoder, m, rope, prompts[i], steps);
        next[i] = 7 + i;
      }
      int hd = config.text().headDim();
      boolean allEqual = true;
      for (int s = 0; s < steps; s++) {
        float[][] cosRows = new float[n][];
        float[][] sinRows = new float[n][];
        float[][] single = new float[n][];
        for (int i = 0; i < n; i++) {
          float[] cos = new float[hd];
          float[] sin = new float[hd];
          rope.tables(alone[i].length(), cos, sin);
          try (NDArray logits = Generator.tokenLogits(decoder, m, next[i], cos, sin, alone[i])) {
            single[i] = logits.toFloatArray();
          }
          cosRows[i] = cos;
          sinRows[i] = sin;
        }
        float[] batched;
        try (NDManager sm = m.newSubManager()) {
          NDManager[] targets = new NDManager[n];
          java.util.Arrays.fill(targets, sm);
          NDArray[] rows = Generator.tokensLogits(decoder, next, cosRows, sinRows, together, targets);
          batched = NDArrays.stack(new NDList(rows)).toFloatArray();
        }
        int vocab = single[0].length;
        for (int i = 0; i < n; i++) {
          assertThat(together[i].length()).isEqualTo(alone[i].length());
          int best = 0;
          for (int v = 0; v < vocab; v++) {
            if (Float.floatToRawIntBits(single[i][v]) != Float.floatToRawIntBits(batched[i * vocab + v])) {
              allEqual = false;
            }
            if (single[i][v] > single[i][best]) {
              best = v;
            }
          }
          next[i] = best; // greedy, so the sequences follow the model
        }
      }
      if (probe) {
        assertThat(allEqual).as("batched decode bit-identical through all layers (probe passed)").isTrue();
      }
      for (int i = 0; i < n; i++) {
        alone[i].close();
        together[i].close();
      }
    }
  }

  private static KvCache prefill(TextDecoder decoder, NDManager m, MRope rope, long[] ids, int room) {
    KvCache cache = decoder.newCache(m, ids.length + room);
    int hd = config.text().headDim();
    float[] cos = new float[ids.length * hd];
    float[] sin = new float[ids.length * hd];
    rope.tables(textPositions(ids.length).positions(), 0, ids.length, cos, sin);
    try (NDArray x = decoder.embed(m, ids);
        NDArray logits = Generator.lastLogits(decoder, m, x, cos, sin, ids.length, cache)) {
      return cache;
    }
  }

  /**
   * Concurrent generations through one batcher produce the tokens each produces alone, and did share steps
   * (bfloat16, where this machine's probe allows batching; float32 batches are checked above).
   */
  @ParameterizedTest
  @EnumSource(TensorLoader.Precision.class)
  void concurrentGenerations_shareSteps_andMatchSoloRuns(TensorLoader.Precision precision) throws Exception {
    int n = 4;
    int newTokens = 12;
    try (TextDecoder decoder = new TextDecoder(config.text(), store, new TensorLoader(Fixtures.device(), precision));
        NDManager m = NDManager.newBaseManager(Fixtures.device(), "PyTorch");
        DecodeBatcher batcher = DecodeBatcher.create(decoder, n)) {
      long[][] prompts = prompts(n);
      Generator solo = new Generator(decoder);
      List<List<Integer>> expected = new ArrayList<>();
      for (long[] p : prompts) {
        expected.add(generate(solo, decoder, m, p, newTokens));
      }
      if (batcher == null) {
        // this machine's kernels round batched rows differently in this precision; nothing to share
        return;
      }
      Generator shared = new Generator(decoder, batcher);
      ExecutorService pool = Executors.newFixedThreadPool(n);
      CyclicBarrier start = new CyclicBarrier(n);
      try {
        List<Future<List<Integer>>> got = new ArrayList<>();
        for (long[] p : prompts) {
          got.add(pool.submit(() -> {
            try (NDManager own = m.newSubManager()) {
              // every generation waits at its first token (past its prefill, entered in the batcher) for the
              // others, so their later steps are pending together however the threads are scheduled
              return generate(shared, decoder, own, p, newTokens, step -> {
                if (step == 0) {
                  await(start);
                }
              });
            }
          }));
        }
        for (int i = 0; i < n; i++) {
          assertThat(got.get(i).get(60, TimeUnit.SECONDS)).as("sequence %d", i).isEqualTo(expected.get(i));
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(batcher.sharedSteps()).as("steps run for several sequences at once").isPositive();
      assertThat(batcher.sequencesInSharedSteps()).isGreaterThanOrEqualTo(2 * batcher.sharedSteps());
    }
  }

  /** A step that cannot run (its cache is full) fails alone; the step it was batched with still runs. */
  @org.junit.jupiter.api.Test
  void aFullCacheFailsOnlyItsOwnStep() throws Exception {
    try (TextDecoder decoder = new TextDecoder(config.text(), store,
            new TensorLoader(Fixtures.device(), TensorLoader.Precision.BFLOAT16));
        NDManager m = NDManager.newBaseManager(Fixtures.device(), "PyTorch");
        DecodeBatcher batcher = DecodeBatcher.create(decoder, 2)) {
      org.junit.jupiter.api.Assumptions.assumeTrue(batcher != null, "batching is not exact on this machine");
      MRope rope = new MRope(config.text().headDim(), config.text().ropeTheta(), config.text().mropeSection());
      long[][] prompts = prompts(2);
      KvCache full = prefill(decoder, m, rope, prompts[0], 0);
      KvCache roomy = prefill(decoder, m, rope, prompts[1], 1);
      KvCache reference = prefill(decoder, m, rope, prompts[1], 1);
      int hd = config.text().headDim();
      float[] cos = new float[hd];
      float[] sin = new float[hd];
      rope.tables(roomy.length(), cos, sin);
      float[] expected;
      try (NDArray logits = Generator.tokenLogits(decoder, m, 42, cos, sin, reference)) {
        expected = logits.toFloatArray();
      }
      ExecutorService pool = Executors.newFixedThreadPool(2);
      CyclicBarrier start = new CyclicBarrier(2);
      try {
        java.util.function.Function<KvCache, Future<float[]>> stepOn = cache -> pool.submit(() -> {
          batcher.enter();
          try (NDManager own = m.newSubManager()) {
            start.await(); // both have entered: the steps go to the batcher's worker together
            return batcher.step(own, 42, cos.clone(), sin.clone(), cache).toFloatArray();
          } finally {
            batcher.leave();
          }
        });
        Future<float[]> ok = stepOn.apply(roomy);
        Future<float[]> failing = stepOn.apply(full);
        assertThat(ok.get(60, TimeUnit.SECONDS)).containsExactly(expected);
        assertThat(roomy.length()).isEqualTo(reference.length());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> failing.get(60, TimeUnit.SECONDS))
            .hasCauseInstanceOf(IllegalStateException.class).hasMessageContaining("KV cache full");
      } finally {
        pool.shutdownNow();
      }
    }
  }

  private static List<Integer> generate(Generator g, TextDecoder decoder, NDManager m, long[] ids, int newTokens) {
    return generate(g, decoder, m, ids, newTokens, step -> {});
  }

  private static List<Integer> generate(Generator g, TextDecoder decoder, NDManager m, long[] ids, int newTokens,
      java.util.function.IntConsumer onStep) {
    try (NDArray embeds = decoder.embed(m, ids)) {
      return g.generate(m, embeds, ids, textPositions(ids.length), newTokens, Set.of(), true, 1.0,
          (step, token, logits, lookAhead) -> {
            onStep.accept(step);
            return true;
          }, () -> false);
    }
  }

  static void await(CyclicBarrier barrier) {
    try {
      barrier.await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
