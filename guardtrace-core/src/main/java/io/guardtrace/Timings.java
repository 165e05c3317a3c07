package io.guardtrace;

import java.time.Duration;
import java.util.Objects;

/**
 * Where the time of one detection went.
 *
 * @param preprocess image decoding and preprocessing
 * @param vision the vision tower
 * @param prefill the prompt's forward pass, up to the first generated token
 * @param decode the remaining generated tokens
 * @param total the whole call, tokenization and parsing included
 */
public record Timings(Duration preprocess, Duration vision, Duration prefill, Duration decode, Duration total) {
  /** All zero (a cache hit). */
  public static final Timings ZERO = new Timings(Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO,
      Duration.ZERO);

  /**
   * Requires every duration to be non-null.
   *
   * @param preprocess image decoding and preprocessing
   * @param vision the vision tower
   * @param prefill the prompt's forward pass, up to the first generated token
   * @param decode the remaining generated tokens
   * @param total the whole call, tokenization and parsing included
   */
  public Timings {
    Objects.requireNonNull(preprocess, "preprocess");
    Objects.requireNonNull(vision, "vision");
    Objects.requireNonNull(prefill, "prefill");
    Objects.requireNonNull(decode, "decode");
    Objects.requireNonNull(total, "total");
  }
}
