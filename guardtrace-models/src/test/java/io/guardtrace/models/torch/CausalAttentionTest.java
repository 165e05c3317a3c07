package io.guardtrace.models.torch;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link TorchOps#causalAttention}, which prompts' decoder layers run, against one masked attention call over
 * all keys: the same bits in float32 and bfloat16, for prompts within one of libtorch's key blocks, across
 * several, starting at a block boundary or inside one, and with a cache offset. Fails if the key blocks it cuts
 * at stop matching the flash kernel's.
 */
class CausalAttentionTest {
  private static final int KV_HEADS = 2;
  private static final int GROUPS = 3;
  private static final int HEAD_DIM = 64;

  @ParameterizedTest(name = "start {0}, {1} queries, bf16 {2}")
  @CsvSource({
      "0, 300, false", "0, 300, true", // one key block: the unsplit call
      "0, 1030, false", "0, 1030, true", // three blocks from position 0
      "37, 1200, false", "37, 1200, true", // a cache offset inside the first block
      "500, 600, true", // queries starting near a block's end
      "1020, 10, false", "1020, 10, true", // a short chunk crossing a boundary (incremental prefill)
      "512, 513, true"}) // starting exactly on a boundary
  void matchesOneMaskedCallBitForBit(int start, int length, boolean bf16) {
    try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
      TorchOps ops = TorchOps.on(Device.cpu());
      Random random = new Random(start * 31L + length);
      int total = start + length;
      NDArray q = values(m, random, new Shape(KV_HEADS, GROUPS * length, HEAD_DIM), 1.5f);
      NDArray k = values(m, random, new Shape(KV_HEADS, total, HEAD_DIM), 1.5f);
      NDArray v = values(m, random, new Shape(KV_HEADS, total, HEAD_DIM), 1f);
      NDArray mask = TorchOps.causalMask(m, GROUPS, length, start);
      if (bf16) {
        q = ops.toBf16(q);
        k = ops.toBf16(k);
        v = ops.toBf16(v);
        mask = ops.toBf16(mask);
      }
      double scale = 1 / Math.sqrt(HEAD_DIM);
      float[] whole = floats(ops, ops.attention(q, k, v, mask, scale), bf16);
      float[] blocked = floats(ops, ops.causalAttention(q, k, v, mask, start, scale), bf16);

      assertThat(blocked).hasSize(KV_HEADS * GROUPS * length * HEAD_DIM);
      // Arrays.mismatch compares floats by their bits: -1 when every element matches
      assertThat(Arrays.mismatch(blocked, whole)).as("first element that differs").isEqualTo(-1);
      assertThat(allFinite(blocked)).isTrue();
    }
  }

  private static NDArray values(NDManager m, Random random, Shape shape, float spread) {
    float[] f = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) random.nextGaussian() * spread;
    }
    return m.create(f, shape);
  }

  private static float[] floats(TorchOps ops, NDArray x, boolean bf16) {
    return (bf16 ? ops.toF32(x) : x).toFloatArray();
  }

  private static boolean allFinite(float[] f) {
    for (float x : f) {
      if (!Float.isFinite(x)) {
        return false;
      }
    }
    return true;
  }
}
