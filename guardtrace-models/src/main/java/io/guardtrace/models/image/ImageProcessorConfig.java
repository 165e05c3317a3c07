package io.guardtrace.models.image;

import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.config.Json;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code preprocessor_config.json} of a Qwen2-VL / Qwen2.5-VL image processor.
 *
 * @param minPixels smallest resized area
 * @param maxPixels largest resized area
 * @param patchSize spatial patch size (14)
 * @param temporalPatchSize frames per patch (2; a still image is repeated)
 * @param mergeSize patches merged per side into one token (2)
 * @param mean per-channel normalisation mean
 * @param std per-channel normalisation standard deviation
 * @param rescaleFactor the factor applied to uint8 values before normalising (1/255)
 */
public record ImageProcessorConfig(
    int minPixels,
    int maxPixels,
    int patchSize,
    int temporalPatchSize,
    int mergeSize,
    float[] mean,
    float[] std,
    double rescaleFactor) {

  /**
   * The resize factor: sides are multiples of patch size times merge size (28).
   *
   * @return the resize factor: sides are multiples of patch size times merge size (28)
   */
  public int factor() {
    return patchSize * mergeSize;
  }

  /**
   * Values per patch row of {@code pixel_values}: channels x frames x patch x patch (1176).
   *
   * @return values per patch row of {@code pixel_values}: channels x frames x patch x patch (1176)
   */
  public int patchRowLength() {
    return 3 * temporalPatchSize * patchSize * patchSize;
  }

  /**
   * Qwen2.5-VL-3B-Instruct's published settings.
   *
   * @return the configuration
   */
  public static ImageProcessorConfig qwen25vl() {
    return new ImageProcessorConfig(3136, 12845056, 14, 2, 2, new float[] {0.48145466f, 0.4578275f, 0.40821073f},
        new float[] {0.26862954f, 0.26130258f, 0.27577711f}, 1.0 / 255);
  }

  /**
   * Reads {@code preprocessor_config.json}; absent keys take the Qwen2-VL processor's defaults.
   *
   * @param file the model's {@code preprocessor_config.json}
   * @return the configuration
   */
  public static ImageProcessorConfig load(Path file) {
    if (!Files.exists(file)) {
      throw new ModelLoadException("model file preprocessor_config.json is missing from " + file.getParent());
    }
    JsonNode n = Json.read(file);
    JsonNode size = n.path("size");
    int min = Json.intOr(n, "min_pixels", size.path("shortest_edge").asInt(56 * 56));
    int max = Json.intOr(n, "max_pixels", size.path("longest_edge").asInt(28 * 28 * 1280));
    float[] mean = floats(n, "image_mean", new float[] {0.48145466f, 0.4578275f, 0.40821073f}, file);
    float[] std = floats(n, "image_std", new float[] {0.26862954f, 0.26130258f, 0.27577711f}, file);
    ImageProcessorConfig c = new ImageProcessorConfig(min, max, Json.intOr(n, "patch_size", 14),
        Json.intOr(n, "temporal_patch_size", 2), Json.intOr(n, "merge_size", 2), mean, std,
        Json.doubleOr(n, "rescale_factor", 1.0 / 255));
    if (c.minPixels() <= 0 || c.maxPixels() < c.minPixels() || c.patchSize() <= 0 || c.mergeSize() <= 0
        || c.temporalPatchSize() <= 0) {
      throw new ModelLoadException(file + ": inconsistent image processor settings " + c);
    }
    return c;
  }

  /**
   * A copy with the pixel budget overridden where the argument is non-null.
   *
   * @param minOverride a new min_pixels, or null to keep this one's
   * @param maxOverride a new max_pixels, or null to keep this one's
   * @return the copy
   */
  public ImageProcessorConfig withPixels(Integer minOverride, Integer maxOverride) {
    return new ImageProcessorConfig(minOverride == null ? minPixels : minOverride,
        maxOverride == null ? maxPixels : maxOverride, patchSize, temporalPatchSize, mergeSize, mean, std,
        rescaleFactor);
  }

  private static float[] floats(JsonNode n, String key, float[] fallback, Path file) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isArray() || v.size() != 3) {
      throw new ModelLoadException(file + ": \"" + key + "\" must be a list of 3 numbers");
    }
    float[] out = new float[3];
    for (int i = 0; i < 3; i++) {
      // the reference keeps the JSON doubles and numpy casts them to float32 against the float32 image
      out[i] = (float) v.get(i).asDouble();
    }
    return out;
  }

  @Override
  public String toString() {
    return "ImageProcessorConfig[minPixels=" + minPixels + ", maxPixels=" + maxPixels + ", patchSize=" + patchSize
        + ", temporalPatchSize=" + temporalPatchSize + ", mergeSize=" + mergeSize + "]";
  }
}
