package io.guardtrace.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.guardtrace.models.config.TextConfig;
import java.util.Arrays;

/**
 * Checks, on this machine's kernels and this model's shapes, that a decode step computed for several sequences
 * at once gives every sequence exactly the bits it gets when computed alone.
 *
 * <p>Whether it does is a property of the matrix-multiply kernels, not of the model: a kernel may pick a
 * different accumulation order for one row than for several (libtorch 2.7.1's float32 CPU linear does, by
 * about 1e-6 relative; its bfloat16 oneDNN kernels on an AMX Xeon do not). Batching is only worth having if a
 * verdict cannot depend on what else the engine happens to be running, so {@link DecodeBatcher} is only used
 * where this probe passes. It runs layer 0 (whose shapes every layer shares) once per row alone and once per
 * batch size 2..max, over caches of different lengths, and the final norm and output head the same way, and
 * compares the float32 images of the results bit for bit. Cost: about {@code 2 * max} passes over one layer
 * and the output head.
 */
final class DecodeBatchProbe {
  private DecodeBatchProbe() {}

  /** Whether batches of 2..{@code maxBatch} sequences are bit-identical to single steps. */
  static boolean batchesMatchSingleSteps(TextDecoder decoder, int maxBatch) {
    VectorDecoder vector = decoder.vectorDecoder();
    return vector != null ? vectorBatchesMatch(decoder, vector, maxBatch) : torchBatchesMatch(decoder, maxBatch);
  }

  /**
   * The same check for the Java decode step ({@link VectorDecoder}), whose rows are computed alike alone and
   * in a batch by construction: this confirms it on the machine's JIT before batching is trusted.
   */
  private static boolean vectorBatchesMatch(TextDecoder decoder, VectorDecoder vector, int maxBatch) {
    TextConfig c = decoder.config();
    int h = c.hiddenSize();
    int hd = c.headDim();
    java.util.Random random = new java.util.Random(maxBatch);
    float[][] x = new float[maxBatch][h];
    float[][] cos = new float[maxBatch][hd];
    float[][] sin = new float[maxBatch][hd];
    for (int j = 0; j < maxBatch; j++) {
      for (int k = 0; k < h; k++) {
        x[j][k] = io.guardtrace.models.kernel.Bf16.round((float) random.nextGaussian());
      }
      for (int k = 0; k < hd; k++) {
        cos[j][k] = random.nextFloat() * 2 - 1;
        sin[j][k] = random.nextFloat() * 2 - 1;
      }
    }
    try (NDManager m = decoder.loader().manager().newSubManager()) {
      long[] starts = new long[maxBatch];
      KvCache[] caches = randomCaches(decoder, m, 0, starts);
      int[] positions = new int[maxBatch];
      for (int j = 0; j < maxBatch; j++) {
        positions[j] = (int) starts[j];
      }
      float[][] alone = new float[maxBatch][];
      for (int n = 2; n <= maxBatch; n++) {
        for (int j = 0; j < n; j++) {
          if (alone[j] == null) {
            alone[j] = vector.probe(0, new float[][] {x[j]}, new float[][] {cos[j]}, new float[][] {sin[j]},
                new KvCache[] {caches[j]}, new int[] {positions[j]})[0];
          }
        }
        float[][] together = vector.probe(0, Arrays.copyOf(x, n), Arrays.copyOf(cos, n), Arrays.copyOf(sin, n),
            Arrays.copyOf(caches, n), Arrays.copyOf(positions, n));
        for (int j = 0; j < n; j++) {
          if (!sameBits(alone[j], together[j], 0)) {
            return false;
          }
        }
      }
      return true;
    }
  }

  /**
   * One cache per sequence on {@code m}, sequence j with {@code 3 + 5j} random positions filled in layer
   * {@code layer}; {@code starts} receives each one's first free position.
   */
  private static KvCache[] randomCaches(TextDecoder decoder, NDManager m, int layer, long[] starts) {
    TextConfig c = decoder.config();
    var loader = decoder.loader();
    KvCache[] caches = new KvCache[starts.length];
    for (int j = 0; j < starts.length; j++) {
      starts[j] = 3 + 5L * j;
      caches[j] = decoder.newCache(m, (int) starts[j] + 1);
      NDIndex filled = new NDIndex(":, 0:{}, :", starts[j]);
      Shape kv = new Shape(c.numKvHeads(), starts[j], c.headDim());
      caches[j].keys(layer).set(filled, loader.toCompute(m.randomNormal(kv)));
      caches[j].values(layer).set(filled, loader.toCompute(m.randomNormal(kv)));
    }
    return caches;
  }

  private static boolean torchBatchesMatch(TextDecoder decoder, int maxBatch) {
    TextConfig c = decoder.config();
    int h = c.hiddenSize();
    int hd = c.headDim();
    int layer = 0;
    var loader = decoder.loader();
    try (NDManager m = loader.manager().newSubManager()) {
      // one cache per sequence; sequence j has 3 + 5j random positions already cached
      long[] starts = new long[maxBatch];
      KvCache[] caches = randomCaches(decoder, m, layer, starts);
      NDArray x = loader.toCompute(m.randomNormal(new Shape(maxBatch, h)));
      NDArray cos = loader.toCompute(m.randomUniform(-1, 1, new Shape(maxBatch, hd)));
      NDArray sin = loader.toCompute(m.randomUniform(-1, 1, new Shape(maxBatch, hd)));
      float[][] alone = new float[maxBatch][];
      float[][] aloneLogits = new float[maxBatch][];
      for (int n = 2; n <= maxBatch; n++) {
        // single steps only as far as needed: a precision whose kernels disagree fails at n = 2, cheaply
        for (int j = 0; j < n; j++) {
          if (alone[j] == null) {
            NDIndex row = new NDIndex("{}:{}", j, j + 1);
            NDArray out = decoder.ops().decoderLayer(x.get(row), decoder.layer(layer), caches[j].keys(layer),
                caches[j].values(layer), (int) starts[j], cos.get(row), sin.get(row), null, c.rmsNormEps(),
                c.numHeads());
            alone[j] = loader.toFloat32(out).toFloatArray();
            aloneLogits[j] = decoder.head(x.get(row)).toFloatArray();
          }
        }
        NDIndex rows = new NDIndex("0:{}", n);
        NDArray[] keys = new NDArray[n];
        NDArray[] values = new NDArray[n];
        for (int j = 0; j < n; j++) {
          keys[j] = caches[j].keys(layer);
          values[j] = caches[j].values(layer);
        }
        NDArray out = decoder.ops().decoderLayerBatch(x.get(rows), decoder.layer(layer), keys, values,
            Arrays.copyOf(starts, n), cos.get(rows), sin.get(rows), c.rmsNormEps(), c.numHeads());
        float[] together = loader.toFloat32(out).toFloatArray();
        float[] togetherLogits = decoder.head(x.get(rows)).toFloatArray();
        for (int j = 0; j < n; j++) {
          if (!sameBits(alone[j], together, j) || !sameBits(aloneLogits[j], togetherLogits, j)) {
            return false;
          }
        }
      }
      return true; // the caches and every intermediate go with m
    }
  }

  /** Whether row {@code j} of {@code rows} (rows of {@code expected.length}) has exactly the bits of expected. */
  private static boolean sameBits(float[] expected, float[] rows, int j) {
    int w = expected.length;
    for (int i = 0; i < w; i++) {
      if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(rows[j * w + i])) {
        return false;
      }
    }
    return true;
  }
}
