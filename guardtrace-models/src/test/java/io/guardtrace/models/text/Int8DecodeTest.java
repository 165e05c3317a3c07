package io.guardtrace.models.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.Fixtures;
import io.guardtrace.models.config.ModelConfig;
import io.guardtrace.models.kernel.VectorKernels;
import io.guardtrace.models.weights.TensorLoader;
import io.guardtrace.models.weights.WeightStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Decode steps with int8 weights (the opt-in {@code int8} precision) on the tiny fixture model, against the
 * bfloat16 decode step of the same decoder (prefill, KV cache and everything but the linear layers' weights
 * are shared): logits close to bfloat16's, the same bits for a sequence stepped alone or in a batch.
 */
class Int8DecodeTest {
  static ModelConfig config;
  static WeightStore store;
  static TextDecoder int8;
  static TextDecoder bf16;
  static TextDecoder float32;
  static MRope rope;

  @BeforeAll
  static void load() {
    assumeTrue(VectorKernels.available(), VectorKernels.describe());
    config = ModelConfig.load(Fixtures.tinyModel().resolve("config.json"));
    store = WeightStore.open(Fixtures.tinyModel());
    int8 = new TextDecoder(config.text(), store, new TensorLoader(Fixtures.device(),
        TensorLoader.Precision.BFLOAT16), true);
    bf16 = new TextDecoder(config.text(), store, new TensorLoader(Fixtures.device(),
        TensorLoader.Precision.BFLOAT16), false);
    float32 = new TextDecoder(config.text(), store, new TensorLoader(Fixtures.device(),
        TensorLoader.Precision.FLOAT32));
    rope = new MRope(config.text().headDim(), config.text().ropeTheta(), config.text().mropeSection());
  }

  @AfterAll
  static void close() {
    if (int8 != null) {
      int8.close();
      bf16.close();
      float32.close();
      store.close();
    }
  }

  @Test
  void int8Decode_saysSo_andCountsHalfTheBytesPerToken() {
    assertThat(int8.decodeKernels()).startsWith("java-vector").contains("int8 weights");
    assertThat(bf16.decodeKernels()).doesNotContain("int8");
    // the tiny model's output head (151936 x 64) dominates: int8 reads a little over half of bf16's bytes
    assertThat((double) int8.weightBytesPerToken() / bf16.weightBytesPerToken()).isBetween(0.5, 0.56);
  }

  /**
   * Sixteen greedy steps after a prompt, every decoder following bfloat16's choice so their caches hold the
   * same tokens. Measured with L = 16 float lanes: int8 is at most 0.029 of the largest logit from bfloat16,
   * bfloat16 itself 0.016 from float32, and both pick bfloat16's token in 14 of 16 steps (the random tiny
   * model's logits lie close together; the 3B figures are in docs/performance.md). So int8 must stay within
   * 2.5 times bfloat16's own distance from float32 and agree with bfloat16 about as often as float32 does.
   */
  @Test
  void int8Logits_stayCloseToBfloat16s() {
    int hd = config.text().headDim();
    long[] prompt = DecodeBatcherTest.prompts(3)[2];
    int steps = 16;
    try (NDManager m = NDManager.newBaseManager(Fixtures.device(), "PyTorch")) {
      KvCache q = VectorDecoderTest.prefill(int8, m, prompt, steps);
      KvCache b = VectorDecoderTest.prefill(bf16, m, prompt, steps);
      KvCache f = VectorDecoderTest.prefill(float32, m, prompt, steps);
      long token = 11;
      double worst = 0;
      double worstBf16 = 0; // bfloat16's own distance from float32, for scale
      int same = 0;
      int sameBf16 = 0;
      for (int s = 0; s < steps; s++) {
        float[] cos = new float[hd];
        float[] sin = new float[hd];
        rope.tables(b.length(), cos, sin);
        float[] fromInt8;
        float[] fromBf16;
        float[] fromFloat32;
        try (NDArray x = Generator.tokenLogits(int8, m, token, cos, sin, q);
            NDArray y = Generator.tokenLogits(bf16, m, token, cos, sin, b);
            NDArray z = Generator.tokenLogits(float32, m, token, cos, sin, f)) {
          fromInt8 = x.toFloatArray();
          fromBf16 = y.toFloatArray();
          fromFloat32 = z.toFloatArray();
        }
        double largest = 0;
        double diff = 0;
        double diffBf16 = 0;
        for (int v = 0; v < fromBf16.length; v++) {
          largest = Math.max(largest, Math.abs(fromBf16[v]));
          diff = Math.max(diff, Math.abs(fromInt8[v] - fromBf16[v]));
          diffBf16 = Math.max(diffBf16, Math.abs(fromBf16[v] - fromFloat32[v]));
        }
        worst = Math.max(worst, diff / largest);
        worstBf16 = Math.max(worstBf16, diffBf16 / largest);
        int best = VectorDecoderTest.argMax(fromBf16);
        same += VectorDecoderTest.argMax(fromInt8) == best ? 1 : 0;
        sameBf16 += VectorDecoderTest.argMax(fromFloat32) == best ? 1 : 0;
        token = best;
      }
      System.out.printf("int8 vs bf16 decode (tiny model): worst logit difference %.4f of the largest logit, "
          + "same greedy token in %d of %d steps; bf16 vs float32: %.4f, %d of %d%n", worst, same, steps,
          worstBf16, sameBf16, steps);
      assertThat(worst).isGreaterThan(0).isLessThan(2.5 * worstBf16); // int8, not bf16 under another name
      assertThat(same).isGreaterThanOrEqualTo(sameBf16 - 1);
      q.close();
      b.close();
      f.close();
    }
  }

  @Test
  void aBatchedInt8Step_givesEverySequenceTheBitsOfItsStepAlone() {
    VectorDecoderTest.assertBatchedStepMatchesSingleSteps(int8, 3);
  }

  @Test
  void int8Weights_whereTheJavaKernelsCannotRun_areALoadError() {
    TensorLoader float32 = new TensorLoader(Fixtures.device(), TensorLoader.Precision.FLOAT32);
    try {
      assertThatThrownBy(() -> new TextDecoder(config.text(), store, float32, true))
          .isInstanceOf(ModelLoadException.class).hasMessageContaining("int8").hasMessageContaining("FLOAT32");
    } finally {
      float32.close();
    }
  }
}
