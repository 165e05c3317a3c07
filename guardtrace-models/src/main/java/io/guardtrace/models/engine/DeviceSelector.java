package io.guardtrace.models.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.guardtrace.ModelLoadException;
import java.util.Locale;

/**
 * Turns the user's device string ({@code auto}, {@code cpu}, {@code gpu}, {@code gpu:N}) into a DJL device. Asks
 * DJL for the GPU count only when the answer matters ({@code cpu} never probes CUDA).
 */
final class DeviceSelector {
  private DeviceSelector() {}

  static Device select(String spec) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    if (s.equals("cpu")) {
      return Device.cpu();
    }
    int gpus = Engine.getEngine("PyTorch").getGpuCount();
    if (s.equals("auto")) {
      return gpus > 0 ? Device.gpu(0) : Device.cpu();
    }
    if (s.equals("gpu") || s.equals("cuda") || s.startsWith("gpu:") || s.startsWith("cuda:")) {
      int index = 0;
      int colon = s.indexOf(':');
      if (colon >= 0) {
        try {
          index = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
          throw new ModelLoadException("device '" + spec + "' is not valid; use auto, cpu, gpu or gpu:N");
        }
      }
      if (gpus == 0) {
        throw new ModelLoadException("device '" + spec + "' was requested but the PyTorch engine sees no CUDA "
            + "GPU (is a CUDA build of libtorch installed? see docs/gpu.md); use device cpu or auto");
      }
      if (index < 0 || index >= gpus) {
        throw new ModelLoadException("device '" + spec + "' does not exist; this machine has " + gpus + " GPU(s): "
            + "gpu:0.." + "gpu:" + (gpus - 1));
      }
      return Device.gpu(index);
    }
    throw new ModelLoadException("device '" + spec + "' is not valid; use auto, cpu, gpu or gpu:N");
  }
}
