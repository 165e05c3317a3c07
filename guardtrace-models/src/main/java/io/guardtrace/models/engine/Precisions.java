package io.guardtrace.models.engine;

import ai.djl.Device;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.weights.TensorLoader;
import java.util.Locale;

/** Picks the compute precision from the user's dtype string and the device. */
final class Precisions {
  private Precisions() {}

  static boolean cpuHasBf16() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("flags")) {
          return line.contains(" avx512_bf16") || line.contains(" amx_bf16");
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      return false;
    }
    return false;
  }

  static TensorLoader.Precision select(String dtype, Device device) {
    String d = dtype.trim().toLowerCase(Locale.ROOT);
    switch (d) {
      case "float32", "fp32", "f32" -> {
        return TensorLoader.Precision.FLOAT32;
      }
      case "bfloat16", "bf16" -> {
        return TensorLoader.Precision.BFLOAT16;
      }
      case "auto" -> {
        // bfloat16 where the hardware multiplies it natively (CUDA, or x86 with AVX512-BF16 / AMX), else float32
        return device.isGpu() || cpuHasBf16() ? TensorLoader.Precision.BFLOAT16 : TensorLoader.Precision.FLOAT32;
      }
      default -> throw new ModelLoadException("dtype '" + dtype + "' is not supported; use auto, float32 or bfloat16");
    }
  }
}
