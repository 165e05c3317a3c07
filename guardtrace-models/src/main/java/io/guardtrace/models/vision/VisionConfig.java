package io.guardtrace.models.vision;

import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.config.ConfigFields;
import io.guardtrace.models.config.TextConfig;
import io.guardtrace.models.config.Untrusted;
import java.nio.file.Path;

/**
 * {@code vision_config} of a Qwen2.5-VL {@code config.json} (transformers' Qwen2_5_VLVisionConfig; absent
 * keys take its defaults).
 *
 * @param depth transformer blocks
 * @param hiddenSize block width
 * @param intermediateSize SwiGLU inner width
 * @param numHeads attention heads
 * @param inChannels image channels (3)
 * @param outHiddenSize merger output width (the language model's hidden size)
 * @param patchSize spatial patch size
 * @param spatialMergeSize patches merged per side
 * @param temporalPatchSize frames per patch
 * @param windowSize window attention span in pixels (112 = 4x4 merged units of 28 pixels)
 * @param fullAttBlockIndexes blocks that attend over the whole image instead of windows
 * @param rmsNormEps RMSNorm epsilon
 */
public record VisionConfig(
    int depth,
    int hiddenSize,
    int intermediateSize,
    int numHeads,
    int inChannels,
    int outHiddenSize,
    int patchSize,
    int spatialMergeSize,
    int temporalPatchSize,
    int windowSize,
    int[] fullAttBlockIndexes,
    double rmsNormEps) {

  /** Largest spatial patch side in pixels (Qwen2.5-VL: 14). */
  public static final int MAX_PATCH = 128;
  /** Most patches merged per side (2), frames per patch (2). */
  public static final int MAX_MERGE = 16;
  /** Widest attention window in pixels (112). */
  public static final int MAX_WINDOW = 1 << 16;

  /**
   * Reads the {@code vision_config} object, naming {@code config.json} in messages (for tests).
   *
   * @param v the {@code vision_config} object
   * @return the configuration
   */
  public static VisionConfig fromJson(JsonNode v) {
    return fromJson(v, Path.of("config.json"));
  }

  /**
   * Reads the {@code vision_config} object of {@code file}, range-checking every value: sizes within the
   * bounds of {@link TextConfig}, a head width divisible by 4 (the 2D rotary splits it in four), a window
   * that is a whole number of merged patches, full-attention blocks that exist.
   *
   * @param v the {@code vision_config} object
   * @param file the file it came from, for messages
   * @return the configuration
   * @throws ModelLoadException naming the file and the field at fault
   */
  public static VisionConfig fromJson(JsonNode v, Path file) {
    ConfigFields f = new ConfigFields(v, file, "vision_config.");
    int depth = f.intOr("depth", 32, 1, TextConfig.MAX_LAYERS);
    int hidden = f.intOr("hidden_size", 1280, 1, TextConfig.MAX_WIDTH);
    int heads = f.intOr("num_heads", 16, 1, TextConfig.MAX_HEADS);
    if (hidden % heads != 0 || hidden / heads % 4 != 0) {
      throw f.fail("num_heads", "is " + heads + ", which does not divide \"hidden_size\" " + hidden
          + " into heads of a width divisible by 4");
    }
    JsonNode actNode = f.get("hidden_act");
    String act = actNode == null ? "silu" : actNode.asText();
    if (!act.equals("silu")) {
      throw f.fail("hidden_act", "is " + Untrusted.quote(act) + "; only silu is supported (Qwen2.5-VL uses it)");
    }
    JsonNode full = f.arrayOr("fullatt_block_indexes", 0, depth);
    int[] fullIdx = full == null ? new int[] {7, 15, 23, 31} : new int[full.size()];
    if (full != null) {
      for (int i = 0; i < fullIdx.length; i++) {
        fullIdx[i] = f.checkInt("fullatt_block_indexes", full.get(i), 0, depth - 1);
      }
    }
    String channelsKey = f.get("in_chans") != null ? "in_chans" : "in_channels";
    String patchKey = f.get("patch_size") != null ? "patch_size" : "spatial_patch_size";
    int patch = f.intOr(patchKey, 14, 1, MAX_PATCH);
    int merge = f.intOr("spatial_merge_size", 2, 1, MAX_MERGE);
    int window = f.intOr("window_size", 112, 1, MAX_WINDOW);
    if (window % (patch * merge) != 0) {
      throw f.fail("window_size", "is " + window + ", which is not a whole number of merged patches ("
          + "patch_size x spatial_merge_size = " + patch * merge + " pixels)");
    }
    return new VisionConfig(
        depth, hidden, f.intOr("intermediate_size", 3420, 1, TextConfig.MAX_INTERMEDIATE), heads,
        // the image preprocessor produces RGB patches only
        f.intOr(channelsKey, 3, 3, 3), f.intOr("out_hidden_size", 3584, 1, TextConfig.MAX_WIDTH),
        patch, merge, f.intOr("temporal_patch_size", 2, 1, MAX_MERGE), window, fullIdx,
        f.doubleOr("rms_norm_eps", 1e-6, 0, 1));
  }

  /**
   * Head width.
   *
   * @return head width
   */
  public int headDim() {
    return hiddenSize / numHeads;
  }

  /**
   * Patches per merged token (4).
   *
   * @return patches per merged token (4)
   */
  public int mergeUnit() {
    return spatialMergeSize * spatialMergeSize;
  }

  /**
   * Values per patch row (channels x frames x patch x patch).
   *
   * @return values per patch row (channels x frames x patch x patch)
   */
  public int patchRowLength() {
    return inChannels * temporalPatchSize * patchSize * patchSize;
  }

  /**
   * Whether block {@code i} attends over the whole image.
   *
   * @param i a block's index
   * @return whether it uses full attention
   */
  public boolean fullAttention(int i) {
    for (int b : fullAttBlockIndexes) {
      if (b == i) {
        return true;
      }
    }
    return false;
  }
}
