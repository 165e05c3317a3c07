package io.guardtrace.examples.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.guardtrace.models.kernel.KernelThreads;
import io.guardtrace.models.kernel.MemoryRead;
import io.guardtrace.models.kernel.VectorKernels;

/**
 * Measures the memory read bandwidth a decode step can hope for: bytes per token divided by it is the fastest
 * possible decode step. On the CPU, with the Vector API, 1 GiB allocated by libtorch (as the weights are, huge
 * pages included) is read with full-width vector loads on the engine's threads, the way the decode kernels
 * stream weights (one stream per chunk or four side by side, the faster). Otherwise, and on a GPU, a float32 sum over 1 GiB through libtorch: on the development CPU it
 * reached only ~34 GB/s where llama.cpp's decode proves at least 43 (docs/performance.md), so it understates.
 */
final class MemoryBandwidth {
  private static final long BYTES = 1L << 30;

  /** A rate and how it was measured. */
  record Measurement(double gbPerSecond, String method) {}

  private MemoryBandwidth() {}

  static Measurement measure(Device device) {
    try (NDManager m = NDManager.newBaseManager(device, "PyTorch")) {
      NDArray data = m.ones(new Shape(BYTES / 4), DataType.FLOAT32); // written once: every page is mapped
      if (Device.Type.CPU.equals(device.getDeviceType()) && VectorKernels.available()) {
        int threads = Math.max(1, JniUtils.getNumThreads());
        try (KernelThreads pool = new KernelThreads(threads, "guardtrace-bandwidth")) {
          double rate = MemoryRead.gbPerSecond(JniUtils.getByteBuffer((PtNDArray) data, true), pool, 6);
          return new Measurement(rate, "vector read, " + threads + " threads, best of 1 and 4 streams each");
        }
      }
      double best = 0;
      for (int i = 0; i < 4; i++) {
        long t = System.nanoTime();
        try (NDArray s = data.sum()) {
          s.getFloat(); // waits for the device
        }
        best = Math.max(best, BYTES / ((System.nanoTime() - t) / 1e9) / 1e9);
      }
      return new Measurement(best, "libtorch float32 sum");
    }
  }
}
