package io.guardtrace.models.image;

import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.config.ConfigFields;
import io.guardtrace.models.config.Json;
import io.guardtrace.models.vision.VisionConfig;
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
   * Largest resized area accepted from a model's file, in pixels: 5 times Qwen2.5-VL's own 12845056, and
   * small enough that one image's patch rows (6 floats per pixel) stay far inside a Java array.
   */
  public static final int MAX_PIXELS = 1 << 26;

  /**
   * Reads {@code preprocessor_config.json}; absent keys take the Qwen2-VL processor's defaults. Every value is
   * range-checked: sizes positive and bounded, three finite means, three finite positive deviations.
   *
   * @param file the model's {@code preprocessor_config.json}
   * @return the configuration
   * @throws ModelLoadException naming the file and the field at fault
   */
  public static ImageProcessorConfig load(Path file) {
    if (!Files.exists(file)) {
      throw new ModelLoadException("model file preprocessor_config.json is missing from " + file.getParent());
    }
    ConfigFields f = ConfigFields.of(Json.read(file), file);
    JsonNode size = f.get("size");
    ConfigFields sizes = f.nested("size", size != null && size.isObject() ? size : Json.MAPPER.createObjectNode());
    int min = f.get("min_pixels") != null ? f.requireInt("min_pixels", 1, MAX_PIXELS)
        : sizes.intOr("shortest_edge", 56 * 56, 1, MAX_PIXELS);
    int max = f.get("max_pixels") != null ? f.requireInt("max_pixels", min, MAX_PIXELS)
        : sizes.intOr("longest_edge", 28 * 28 * 1280, min, MAX_PIXELS);
    float[] mean = floats(f, "image_mean", new float[] {0.48145466f, 0.4578275f, 0.40821073f},
        -Double.MAX_VALUE);
    float[] std = floats(f, "image_std", new float[] {0.26862954f, 0.26130258f, 0.27577711f}, 0);
    return new ImageProcessorConfig(min, max, f.intOr("patch_size", 14, 1, VisionConfig.MAX_PATCH),
        f.intOr("temporal_patch_size", 2, 1, VisionConfig.MAX_MERGE),
        f.intOr("merge_size", 2, 1, VisionConfig.MAX_MERGE), mean, std,
        f.doubleOr("rescale_factor", 1.0 / 255, 0, 1));
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

  /** Three finite numbers greater than {@code minExclusive}, one per channel. */
  private static float[] floats(ConfigFields f, String key, float[] fallback, double minExclusive) {
    JsonNode v = f.arrayOr(key, 3, 3);
    if (v == null) {
      return fallback;
    }
    float[] out = new float[3];
    for (int i = 0; i < 3; i++) {
      // the reference keeps the JSON doubles and numpy casts them to float32 against the float32 image
      out[i] = (float) f.checkDouble(key, v.get(i), minExclusive, Double.MAX_VALUE);
      if (!Float.isFinite(out[i]) || (minExclusive >= 0 && out[i] == 0)) {
        throw f.fail(key, "has a value outside the range of a float32");
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return "ImageProcessorConfig[minPixels=" + minPixels + ", maxPixels=" + maxPixels + ", patchSize=" + patchSize
        + ", temporalPatchSize=" + temporalPatchSize + ", mergeSize=" + mergeSize + "]";
  }
}
