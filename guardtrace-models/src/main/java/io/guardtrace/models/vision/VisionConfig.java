package io.guardtrace.models.vision;

import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.config.Json;

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

  /**
   * Reads the {@code vision_config} object.
   *
   * @param v the {@code vision_config} object of {@code config.json}
   * @return the configuration
   */
  public static VisionConfig fromJson(JsonNode v) {
    int hidden = Json.intOr(v, "hidden_size", 1280);
    int heads = Json.intOr(v, "num_heads", 16);
    if (heads <= 0 || hidden % heads != 0) {
      throw new ModelLoadException("vision_config: hidden_size " + hidden + " is not divisible by num_heads " + heads);
    }
    String act = v.path("hidden_act").asText("silu");
    if (!act.equals("silu")) {
      throw new ModelLoadException("vision_config: hidden_act \"" + act + "\" is not supported (Qwen2.5-VL uses silu)");
    }
    JsonNode full = v.get("fullatt_block_indexes");
    int[] fullIdx = full == null ? new int[] {7, 15, 23, 31} : new int[full.size()];
    if (full != null) {
      for (int i = 0; i < fullIdx.length; i++) {
        fullIdx[i] = full.get(i).asInt();
      }
    }
    JsonNode channels = Json.first(v, "in_chans", "in_channels");
    JsonNode patch = Json.first(v, "patch_size", "spatial_patch_size");
    return new VisionConfig(
        Json.intOr(v, "depth", 32), hidden, Json.intOr(v, "intermediate_size", 3420), heads,
        channels == null ? 3 : channels.asInt(), Json.intOr(v, "out_hidden_size", 3584),
        patch == null ? 14 : patch.asInt(), Json.intOr(v, "spatial_merge_size", 2),
        Json.intOr(v, "temporal_patch_size", 2), Json.intOr(v, "window_size", 112), fullIdx,
        Json.doubleOr(v, "rms_norm_eps", 1e-6));
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
