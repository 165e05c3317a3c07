package io.guardtrace.models;

/**
 * DJL settings guardtrace applies before it first touches DJL. The library must not phone home: DJL's usage
 * tracking (which also queries a cloud metadata address) is turned off unless the user set
 * {@code OPT_OUT_TRACKING} themselves, as an environment variable or system property. TorchScript's graph
 * executor optimisation is turned off unless set (see {@code ai.djl.pytorch.graph_optimizer}).
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
  }
}
