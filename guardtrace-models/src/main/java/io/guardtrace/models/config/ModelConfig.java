package io.guardtrace.models.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.ModelLoadException;
import java.nio.file.Path;

/**
 * The parts of {@code config.json} the engine needs: the model type, the text shape, the vision config (kept
 * as JSON for the vision tower to read) and the special token ids.
 *
 * @param modelType {@code qwen2_5_vl}
 * @param text the language model's shape
 * @param visionConfig the {@code vision_config} object
 * @param imageTokenId id of {@code <|image_pad|>}
 * @param videoTokenId id of {@code <|video_pad|>}
 * @param visionStartTokenId id of {@code <|vision_start|>}
 * @param visionEndTokenId id of {@code <|vision_end|>}
 */
public record ModelConfig(
    String modelType,
    TextConfig text,
    JsonNode visionConfig,
    int imageTokenId,
    int videoTokenId,
    int visionStartTokenId,
    int visionEndTokenId) {

  /** The model types this engine implements. */
  public static final String QWEN2_5_VL = "qwen2_5_vl";

  /**
   * Reads {@code config.json}, range-checking every value the engine uses (the vision part is checked by
   * the vision tower's config).
   *
   * @param file the model's {@code config.json}
   * @return the configuration
   * @throws ModelLoadException naming the file and the field at fault
   */
  public static ModelConfig load(Path file) {
    JsonNode root = Json.read(file);
    JsonNode typeNode = root.path("model_type");
    String type = typeNode.isTextual() ? typeNode.asText() : "";
    if (!type.equals(QWEN2_5_VL)) {
      throw new ModelLoadException(file + ": model_type " + Untrusted.quote(type) + " is not supported; guardtrace"
          + " runs Qwen2.5-VL models (model_type \"" + QWEN2_5_VL + "\") such as GuardTrace-VL-3B");
    }
    JsonNode vision = root.get("vision_config");
    if (vision == null || !vision.isObject()) {
      throw new ModelLoadException(file + ": vision_config is missing");
    }
    TextConfig text = TextConfig.fromJson(root, file);
    JsonNode ids = root.has("text_config") ? root.get("text_config") : root;
    return new ModelConfig(
        type,
        text,
        vision,
        tokenId(root, ids, "image_token_id", file, text.vocabSize()),
        tokenId(root, ids, "video_token_id", file, text.vocabSize()),
        tokenId(root, ids, "vision_start_token_id", file, text.vocabSize()),
        tokenId(root, ids, "vision_end_token_id", file, text.vocabSize()));
  }

  /** A token id from the top level, else from {@code text_config}: a row of the embedding. */
  private static int tokenId(JsonNode root, JsonNode nested, String key, Path file, int vocabSize) {
    JsonNode v = Json.first(root, key);
    ConfigFields fields = ConfigFields.of(root, file);
    if (v == null && nested.isObject()) {
      v = Json.first(nested, key);
      fields = fields.nested("text_config", nested);
    }
    if (v == null) {
      throw new ModelLoadException(file + ": required token id \"" + key + "\" is missing");
    }
    return fields.checkInt(key, v, 0, vocabSize - 1);
  }
}
