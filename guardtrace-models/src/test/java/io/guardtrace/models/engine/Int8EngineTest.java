package io.guardtrace.models.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.Fixtures;
import io.guardtrace.models.kernel.VectorKernels;
import io.guardtrace.spi.EngineOptions;
import io.guardtrace.spi.EngineResult;
import org.junit.jupiter.api.Test;

/**
 * The opt-in {@code int8} dtype through the whole engine: it loads and generates where the Java decode kernels
 * run, its verdicts are cached apart from bfloat16's, and where it cannot run it is a load error that says why
 * (never a quiet fallback to another precision). Runs in both surefire executions: with the Vector API module
 * and without it.
 */
class Int8EngineTest {
  private static EngineOptions options(String dtype) {
    return new EngineOptions(Fixtures.tinyModel(), "cpu", dtype, null, null,
        EngineOptions.DEFAULT_MAX_DECODED_PIXELS, 0, true);
  }

  @Test
  void int8_generatesWithInt8DecodeWeights_andIsCachedApartFromBfloat16() {
    assumeTrue(VectorKernels.available(), VectorKernels.describe());
    String bf16Identity;
    EngineResult bf16;
    try (Qwen25VlEngine engine = Qwen25VlEngine.open(options("bfloat16"))) {
      bf16Identity = engine.identity();
      bf16 = engine.generate(ConcurrentDecodeTest.request(1));
    }
    try (Qwen25VlEngine engine = Qwen25VlEngine.open(options("int8"))) {
      assertThat(engine.identity()).isNotEqualTo(bf16Identity).contains("int8");
      EngineResult int8 = engine.generate(ConcurrentDecodeTest.request(1));
      assertThat(int8.generatedTokenIds()).isNotEmpty();
      assertThat(int8.promptTokens()).isEqualTo(bf16.promptTokens());
      // the first token comes from the bfloat16 prefill, so it is bfloat16's
      assertThat(int8.generatedTokenIds().get(0)).isEqualTo(bf16.generatedTokenIds().get(0));
      assertThat(engine.generate(ConcurrentDecodeTest.request(1)).generatedTokenIds())
          .as("deterministic").isEqualTo(int8.generatedTokenIds());
    }
  }

  @Test
  void int8_withoutTheVectorApiModule_isALoadErrorThatSaysHowToGetIt() {
    assumeFalse(VectorKernels.available(), "the Vector API is available here");
    assertThatThrownBy(() -> Qwen25VlEngine.open(options("int8")))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("int8")
        .hasMessageContaining("--add-modules " + VectorKernels.MODULE);
  }

  @Test
  void int8_onAGpu_isALoadError() {
    assertThatThrownBy(() -> Precisions.select("int8", Device.gpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("CPU only");
    assertThat(Precisions.select("int8", Device.cpu())).isEqualTo(io.guardtrace.models.weights.TensorLoader
        .Precision.BFLOAT16);
    assertThat(Precisions.int8Decode("INT8")).isTrue();
    assertThat(Precisions.int8Decode("bfloat16")).isFalse();
  }
}
