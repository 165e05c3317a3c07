package io.guardtrace.models.engine;

import ai.djl.Device;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.CpuFlags;
import io.guardtrace.models.weights.TensorLoader;
import java.util.Locale;

/** Picks the compute precision from the user's dtype string and the device. */
final class Precisions {
  private Precisions() {}

  /**
   * Whether {@code dtype} asks for int8 decode weights: bfloat16 compute, with the decode step's linear layers
   * and output head read as per-row int8 (opt-in; docs/performance.md measures the logit error).
   */
  static boolean int8Decode(String dtype) {
    return "int8".equals(dtype.trim().toLowerCase(Locale.ROOT));
  }

  static TensorLoader.Precision select(String dtype, Device device) {
    String d = dtype.trim().toLowerCase(Locale.ROOT);
    switch (d) {
      case "int8" -> {
        if (device.isGpu()) {
          throw new ModelLoadException("dtype int8 (int8 decode weights) runs on the CPU only, not on " + device
              + "; use bfloat16 there");
        }
        return TensorLoader.Precision.BFLOAT16;
      }
      case "float32", "fp32", "f32" -> {
        return TensorLoader.Precision.FLOAT32;
      }
      case "bfloat16", "bf16" -> {
        return TensorLoader.Precision.BFLOAT16;
      }
      case "auto" -> {
        // bfloat16 where the hardware multiplies it natively (CUDA, or x86 with AVX512-BF16 / AMX), else float32
        return device.isGpu() || CpuFlags.bf16() ? TensorLoader.Precision.BFLOAT16 : TensorLoader.Precision.FLOAT32;
      }
      default -> throw new ModelLoadException(
          "dtype '" + dtype + "' is not supported; use auto, float32, bfloat16 or int8");
    }
  }
}
