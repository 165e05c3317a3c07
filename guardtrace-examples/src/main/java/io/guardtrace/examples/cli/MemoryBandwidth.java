package io.guardtrace.examples.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Measures the memory read bandwidth a decode step can hope for: the best of a few float32 sums over 1 GiB
 * through libtorch, on the engine's device and threads. A sum reads each byte once and does almost no
 * arithmetic, so its rate is the floor's denominator (weights read per token / bandwidth = fastest possible
 * decode step).
 */
final class MemoryBandwidth {
  private static final long BYTES = 1L << 30;

  private MemoryBandwidth() {}

  static double measureGbPerSecond(Device device) {
    try (NDManager m = NDManager.newBaseManager(device, "PyTorch")) {
      NDArray data = m.ones(new Shape(BYTES / 4), DataType.FLOAT32);
      double best = 0;
      for (int i = 0; i < 4; i++) {
        long t = System.nanoTime();
        try (NDArray s = data.sum()) {
          s.getFloat(); // waits for the device
        }
        best = Math.max(best, BYTES / ((System.nanoTime() - t) / 1e9) / 1e9);
      }
      return best;
    }
  }
}
