package io.guardtrace.models;

/**
 * DJL settings guardtrace applies before it first touches DJL. The library must not phone home: DJL's usage
 * tracking (which also queries a cloud metadata address) is turned off unless the user set
 * {@code OPT_OUT_TRACKING} themselves, as an environment variable or system property.
 */
public final class DjlDefaults {
  private DjlDefaults() {}

  /** Applies the defaults; cheap and idempotent. */
  public static void apply() {
    if (System.getProperty("OPT_OUT_TRACKING") == null && System.getenv("OPT_OUT_TRACKING") == null) {
      System.setProperty("OPT_OUT_TRACKING", "true");
    }
  }
}
