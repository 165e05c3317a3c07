package io.guardtrace.models.engine;

import ai.djl.Device;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.weights.TensorLoader;
import java.util.Locale;

/** Picks the compute precision from the user's dtype string and the device. */
final class Precisions {
  private Precisions() {}

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
        return TensorLoader.Precision.FLOAT32;
      }
      default -> throw new ModelLoadException("dtype '" + dtype + "' is not supported; use auto, float32 or bfloat16");
    }
  }
}
