package io.guardtrace.models.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.ModelLoadException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The language model's shape, from {@code config.json}. Published Qwen2.5-VL checkpoints keep these keys at
 * the top level; checkpoints saved by newer transformers nest them under {@code text_config}. Both are read,
 * the nested value winning.
 *
 * @param hiddenSize model width (2048 for 3B)
 * @param numLayers decoder layers
 * @param numHeads query heads
 * @param numKvHeads key/value heads (grouped-query attention)
 * @param headDim hidden / heads
 * @param intermediateSize SwiGLU inner width
 * @param vocabSize rows of the embedding and the output head
 * @param rmsNormEps RMSNorm epsilon
 * @param ropeTheta rotary base
 * @param mropeSection the rotary half-dims given to time, height and width (sums to headDim / 2)
 * @param tieWordEmbeddings whether the output head is the embedding matrix
 * @param maxPositionEmbeddings the longest sequence the model was configured for
 */
public record TextConfig(
    int hiddenSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    int intermediateSize,
    int vocabSize,
    double rmsNormEps,
    double ropeTheta,
    int[] mropeSection,
    boolean tieWordEmbeddings,
    int maxPositionEmbeddings) {

  /**
   * Reads the text part of {@code config.json} ({@code root}), from {@code file} for messages.
   *
   * @param root the parsed {@code config.json}
   * @param file the file it came from, for messages
   * @return the text model's configuration
   */
  public static TextConfig fromJson(JsonNode root, Path file) {
    JsonNode t = root.has("text_config") && root.get("text_config").isObject() ? merged(root) : root;
    int hidden = Json.requireInt(t, "hidden_size", file);
    int heads = Json.requireInt(t, "num_attention_heads", file);
    int kvHeads = Json.intOr(t, "num_key_value_heads", heads);
    if (heads <= 0 || hidden % heads != 0 || kvHeads <= 0 || heads % kvHeads != 0) {
      throw new ModelLoadException(file + ": hidden_size " + hidden + ", num_attention_heads " + heads
          + " and num_key_value_heads " + kvHeads + " are inconsistent");
    }
    int headDim = hidden / heads;
    JsonNode scaling = Json.first(t, "rope_scaling", "rope_parameters");
    if (scaling == null) {
      scaling = root.get("rope_scaling");
    }
    if (scaling == null || !scaling.has("mrope_section")) {
      throw new ModelLoadException(file + ": rope_scaling.mrope_section is missing; not a Qwen2.5-VL config");
    }
    JsonNode ms = scaling.get("mrope_section");
    int[] section = new int[ms.size()];
    for (int i = 0; i < section.length; i++) {
      section[i] = ms.get(i).asInt();
    }
    if (section.length != 3 || Arrays.stream(section).sum() != headDim / 2) {
      throw new ModelLoadException(file + ": mrope_section " + Arrays.toString(section)
          + " must have 3 parts summing to head_dim/2 = " + headDim / 2);
    }
    return new TextConfig(
        hidden,
        Json.requireInt(t, "num_hidden_layers", file),
        heads,
        kvHeads,
        headDim,
        Json.requireInt(t, "intermediate_size", file),
        Json.requireInt(t, "vocab_size", file),
        Json.doubleOr(t, "rms_norm_eps", 1e-6),
        Json.doubleOr(t, "rope_theta", 1_000_000.0),
        section,
        Json.boolOr(root, "tie_word_embeddings", Json.boolOr(t, "tie_word_embeddings", false)),
        Json.intOr(t, "max_position_embeddings", 32768));
  }

  private static JsonNode merged(JsonNode root) {
    com.fasterxml.jackson.databind.node.ObjectNode out = root.deepCopy();
    out.remove("text_config");
    root.get("text_config").fields().forEachRemaining(e -> out.set(e.getKey(), e.getValue()));
    return out;
  }

  /**
   * Query heads served by each key/value head.
   *
   * @return query heads served by each key/value head
   */
  public int groups() {
    return numHeads / numKvHeads;
  }
}
