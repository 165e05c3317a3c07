package io.guardtrace.models;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes CUDA once, before DJL does, and keeps DJL from repeating a useless warning. DJL asks
 * {@code ai.djl.util.cuda.CudaUtils.getGpuCount()} at every native-library lookup (PyTorch, twice, and the
 * tokenizers, twice), and on a machine with a CUDA runtime but no usable driver or GPU each call logs
 * "Failed to detect GPU count" at WARN: four warnings per start on a CPU-only machine. guardtrace asks the
 * runtime once itself, says what it found at DEBUG, and when no GPU is usable turns off the logging of DJL's
 * probe (DJL's own switch, which its forked probe process uses) so the answer is not repeated. Where GPUs are
 * usable DJL is left as it is (its probe then logs nothing). {@code -Dguardtrace.quietCudaProbe=false} leaves
 * DJL's logging alone everywhere.
 */
final class CudaProbe {
  private static final Logger LOG = LoggerFactory.getLogger(CudaProbe.class);
  /** cudaSuccess and cudaErrorNoDevice. */
  private static final int SUCCESS = 0;
  private static final int NO_DEVICE = 100;
  private static boolean done;

  private CudaProbe() {}

  /** The two CUDA runtime functions the probe needs. */
  private interface CudaRuntime extends Library {
    int cudaGetDeviceCount(int[] count);

    String cudaGetErrorString(int error);
  }

  /** Probes once per JVM; later calls return at once. */
  static synchronized void probeOnce() {
    if (done) {
      return;
    }
    done = true;
    if ("false".equalsIgnoreCase(System.getProperty("guardtrace.quietCudaProbe"))
        || Boolean.getBoolean("ai.djl.util.cuda.fork")) {
      return;
    }
    CudaRuntime runtime;
    try {
      runtime = Native.load("cudart", CudaRuntime.class);
    } catch (LinkageError | RuntimeException e) {
      // no CUDA runtime: DJL's probe finds none either and stays silent
      LOG.debug("CUDA: no CUDA runtime library (cudart) found; running on CPU");
      return;
    }
    int[] count = new int[1];
    int code;
    String error;
    try {
      code = runtime.cudaGetDeviceCount(count);
      error = code == SUCCESS ? "" : runtime.cudaGetErrorString(code);
    } catch (LinkageError | RuntimeException e) {
      LOG.debug("CUDA: the runtime library could not be called ({}); running on CPU", e.toString());
      return;
    }
    if (code == SUCCESS && count[0] > 0) {
      LOG.debug("CUDA: {} GPU(s) visible", count[0]);
      return;
    }
    boolean quieted = quietDjlProbe();
    LOG.debug("CUDA: no usable GPU ({}); running on CPU{}",
        code == SUCCESS || code == NO_DEVICE ? "no device" : error + " (" + code + ")",
        quieted ? "; DJL's repeated probe messages are off" : "");
  }

  private static boolean quietDjlProbe() {
    try {
      Field logging = Class.forName("ai.djl.util.cuda.CudaUtils").getDeclaredField("logging");
      logging.setAccessible(true);
      logging.setBoolean(null, false);
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      // another DJL version: its probe may warn, nothing else changes
      LOG.debug("CUDA: cannot turn off DJL's probe logging: {}", e.toString());
      return false;
    }
  }
}
