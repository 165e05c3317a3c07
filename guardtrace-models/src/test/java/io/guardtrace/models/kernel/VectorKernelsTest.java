package io.guardtrace.models.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardtrace.models.Fixtures;
import io.guardtrace.models.config.ModelConfig;
import io.guardtrace.models.text.TextDecoder;
import io.guardtrace.models.weights.TensorLoader;
import io.guardtrace.models.weights.WeightStore;
import org.junit.jupiter.api.Test;

/**
 * Which decode kernels a JVM gets: the Java ones exactly when it was started with the Vector API module (the
 * models module's tests run twice, with and without it), libtorch's otherwise, and always for float32.
 */
class VectorKernelsTest {
  @Test
  void javaKernels_exactlyWhenTheJvmHasTheVectorApiModule() {
    boolean module = ModuleLayer.boot().findModule(VectorKernels.MODULE).isPresent();
    if (!module) {
      assertThat(VectorKernels.available()).isFalse();
      assertThat(VectorKernels.describe()).contains("--add-modules jdk.incubator.vector");
    } else if (VectorKernels.available()) {
      assertThat(VectorKernels.describe()).startsWith("java-vector");
    } else {
      // the only other reason on a JVM with the module: a CPU with vectors narrower than 256 bits
      assertThat(VectorKernels.describe()).contains("bits");
    }
    ModelConfig config = ModelConfig.load(Fixtures.tinyModel().resolve("config.json"));
    try (WeightStore store = WeightStore.open(Fixtures.tinyModel());
        TextDecoder bf16 = new TextDecoder(config.text(), store,
            new TensorLoader(Fixtures.device(), TensorLoader.Precision.BFLOAT16));
        TextDecoder f32 = new TextDecoder(config.text(), store,
            new TensorLoader(Fixtures.device(), TensorLoader.Precision.FLOAT32))) {
      assertThat(bf16.decodeKernels()).startsWith(VectorKernels.available() ? "java-vector" : "libtorch");
      assertThat(f32.decodeKernels()).isEqualTo("libtorch (float32)");
    }
  }
}
