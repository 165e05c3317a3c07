package io.guardtrace.models;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.util.Locale;

/**
 * DJL settings guardtrace applies before it first touches DJL. The library must not phone home: DJL's usage
 * tracking (which also queries a cloud metadata address) is turned off unless the user set
 * {@code OPT_OUT_TRACKING} themselves, as an environment variable or system property. TorchScript's graph
 * executor optimisation is turned off unless set (see {@code ai.djl.pytorch.graph_optimizer}).
 *
 * <p>On Linux, libtorch is asked to back its large allocations with transparent huge pages
 * ({@code THP_MEM_ALLOC_ENABLE=1}, read by c10's CPU allocator at its first allocation, so it is set in the
 * process environment before libtorch loads). A decode step streams every weight once; with 4 KiB pages the
 * hardware prefetchers stop at every page boundary, and 2 MiB pages made decode layers about 11 % faster on the
 * development machine (docs/performance.md). A value the user set wins; {@code -Dguardtrace.hugePages=false}
 * leaves the environment alone.
 *
 * <p>CUDA is probed once, before DJL probes it; on a machine without a usable GPU the result is logged once at
 * DEBUG and DJL's repeated probe warnings are turned off (see {@code CudaProbe};
 * {@code -Dguardtrace.quietCudaProbe=false} keeps them).
 */
public final class DjlDefaults {
  private DjlDefaults() {}

  /** Applies the defaults; cheap and idempotent. Must run before DJL's PyTorch engine starts. */
  public static void apply() {
    // TorchScript's profiling graph executor re-specialises the helper module for every new tensor shape (the
    // key length grows every decode step): with it on, a bf16 attention call took ~30 ms instead of ~1 ms
    if (System.getProperty("ai.djl.pytorch.graph_optimizer") == null) {
      System.setProperty("ai.djl.pytorch.graph_optimizer", "false");
    }
    if (System.getProperty("OPT_OUT_TRACKING") == null && System.getenv("OPT_OUT_TRACKING") == null) {
      System.setProperty("OPT_OUT_TRACKING", "true");
    }
    if (!hugePagesRequested && !"false".equalsIgnoreCase(System.getProperty("guardtrace.hugePages"))) {
      hugePagesRequested = true;
      requestHugePages();
    }
    CudaProbe.probeOnce();
  }

  private static volatile boolean hugePagesRequested;

  /** The one libc function used: setenv(3), which does not overwrite a value already set when told so. */
  private interface LibC extends Library {
    int setenv(String name, String value, int overwrite);
  }

  private static void requestHugePages() {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
        || System.getenv("THP_MEM_ALLOC_ENABLE") != null) {
      return;
    }
    try {
      Native.load("c", LibC.class).setenv("THP_MEM_ALLOC_ENABLE", "1", 0);
    } catch (LinkageError | RuntimeException e) {
      // only a speed-up: without it libtorch uses ordinary pages
      org.slf4j.LoggerFactory.getLogger(DjlDefaults.class)
          .debug("could not request transparent huge pages for libtorch: {}", e.toString());
    }
  }
}
