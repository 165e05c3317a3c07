package io.guardtrace.spi;

import java.nio.file.Path;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Settings an engine is opened with. Built by {@code GuardTrace.Builder}; engines read what they support.
 *
 * @param modelDir a local directory in Hugging Face layout (core resolves ids to directories before this)
 * @param device {@code "auto"}, {@code "cpu"}, {@code "gpu"} or {@code "gpu:N"}
 * @param dtype {@code "auto"}, {@code "float32"}, {@code "bfloat16"} or {@code "int8"} (bfloat16 with int8
 *     decode weights)
 * @param minPixels overrides {@code preprocessor_config.json}'s min_pixels, or null
 * @param maxPixels overrides {@code preprocessor_config.json}'s max_pixels, or null
 * @param maxDecodedPixels images declaring more pixels than this (width x height, from the header) are
 *     rejected before decoding
 * @param threads intra-op threads for the CPU, 0 for the engine's default
 * @param prefixCache whether the engine may cache the KV of a system-prompt prefix shared by requests
 */
public record EngineOptions(
    Path modelDir,
    String device,
    String dtype,
    @Nullable Integer minPixels,
    @Nullable Integer maxPixels,
    long maxDecodedPixels,
    int threads,
    boolean prefixCache) {

  /** Default bound on decoded image size: 50 megapixels. */
  public static final long DEFAULT_MAX_DECODED_PIXELS = 50_000_000L;

  /**
   * Checks that the settings are present and the pixel limit positive.
   *
   * @param modelDir a local directory in Hugging Face layout (core resolves ids to directories before this)
   * @param device {@code "auto"}, {@code "cpu"}, {@code "gpu"} or {@code "gpu:N"}
   * @param dtype {@code "auto"}, {@code "float32"}, {@code "bfloat16"} or {@code "int8"} (bfloat16 with int8
   *     decode weights)
   * @param minPixels overrides {@code preprocessor_config.json}'s min_pixels, or null
   * @param maxPixels overrides {@code preprocessor_config.json}'s max_pixels, or null
   * @param maxDecodedPixels images declaring more pixels than this (width x height, from the header) are
   *     rejected before decoding
   * @param threads intra-op threads for the CPU, 0 for the engine's default
   * @param prefixCache whether the engine may cache the KV of a system-prompt prefix shared by requests
   */
  public EngineOptions {
    Objects.requireNonNull(modelDir, "modelDir");
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(dtype, "dtype");
    if (maxDecodedPixels < 1) {
      throw new IllegalArgumentException("maxDecodedPixels must be positive, was " + maxDecodedPixels);
    }
  }

  /**
   * Defaults for {@code modelDir}: auto device and dtype, the model's pixel budget, prefix cache on.
   *
   * @param modelDir the model directory
   * @return the options
   */
  public static EngineOptions of(Path modelDir) {
    return new EngineOptions(modelDir, "auto", "auto", null, null, DEFAULT_MAX_DECODED_PIXELS, 0, true);
  }

  /**
   * A copy on the CPU in float32 (tests and tools).
   *
   * @return the copy
   */
  public EngineOptions withCpu() {
    return new EngineOptions(modelDir, "cpu", "float32", minPixels, maxPixels, maxDecodedPixels, threads, prefixCache);
  }
}
