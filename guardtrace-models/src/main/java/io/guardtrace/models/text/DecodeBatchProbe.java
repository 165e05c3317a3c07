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
    TextConfig c = decoder.config();
    int h = c.hiddenSize();
    int hd = c.headDim();
    int layer = 0;
    var loader = decoder.loader();
    try (NDManager m = loader.manager().newSubManager()) {
      // one cache per sequence; sequence j has 3 + 5j random positions already cached
      KvCache[] caches = new KvCache[maxBatch];
      long[] starts = new long[maxBatch];
      for (int j = 0; j < maxBatch; j++) {
        starts[j] = 3 + 5L * j;
        caches[j] = decoder.newCache(m, (int) starts[j] + 1);
        NDIndex filled = new NDIndex(":, 0:{}, :", starts[j]);
        Shape kv = new Shape(c.numKvHeads(), starts[j], hd);
        caches[j].keys(layer).set(filled, loader.toCompute(m.randomNormal(kv)));
        caches[j].values(layer).set(filled, loader.toCompute(m.randomNormal(kv)));
      }
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
