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

  /** Widest model width, vision width included (Qwen2.5-VL-72B: 8192). */
  public static final int MAX_WIDTH = 1 << 16;
  /** Most decoder layers or vision blocks (72B: 80 layers; every size: 32 vision blocks). */
  public static final int MAX_LAYERS = 1024;
  /** Most attention heads (72B: 64). */
  public static final int MAX_HEADS = 1024;
  /** Widest MLP (72B: 29568). */
  public static final int MAX_INTERMEDIATE = 1 << 20;
  /** Largest vocabulary (Qwen2.5-VL: 151936 or 152064). */
  public static final int MAX_VOCAB = 1 << 22;
  /** Longest context (Qwen2.5-VL: 128000; long-context variants reach about a million). */
  public static final int MAX_CONTEXT = 1 << 24;

  /**
   * Reads the text part of {@code config.json} ({@code root}), from {@code file} for messages. Every value is
   * range-checked; the bounds above lie far beyond every published Qwen2.5-VL size, yet keep every weight
   * shape, and the product of its dims, well inside a long.
   *
   * @param root the parsed {@code config.json}
   * @param file the file it came from, for messages
   * @return the text model's configuration
   * @throws ModelLoadException naming the file and the field at fault
   */
  public static TextConfig fromJson(JsonNode root, Path file) {
    JsonNode nested = root.get("text_config");
    JsonNode t = nested != null && nested.isObject() ? merged(root) : root;
    ConfigFields f = ConfigFields.of(t, file);
    int hidden = f.requireInt("hidden_size", 1, MAX_WIDTH);
    int heads = f.requireInt("num_attention_heads", 1, MAX_HEADS);
    if (hidden % heads != 0 || hidden / heads % 2 != 0) {
      throw f.fail("num_attention_heads", "is " + heads + ", which does not divide \"hidden_size\" " + hidden
          + " into heads of an even width");
    }
    int kvHeads = f.intOr("num_key_value_heads", heads, 1, heads);
    if (heads % kvHeads != 0) {
      throw f.fail("num_key_value_heads", "is " + kvHeads + ", which does not divide \"num_attention_heads\" "
          + heads);
    }
    int headDim = hidden / heads;
    JsonNode scaling = Json.first(t, "rope_scaling", "rope_parameters");
    if (scaling == null) {
      scaling = root.get("rope_scaling");
    }
    if (scaling == null || !scaling.isObject() || !scaling.has("mrope_section")) {
      throw new ModelLoadException(file + ": rope_scaling.mrope_section is missing; not a Qwen2.5-VL config");
    }
    ConfigFields rope = f.nested("rope_scaling", scaling);
    JsonNode ms = rope.arrayOr("mrope_section", 3, 3);
    int[] section = new int[3];
    for (int i = 0; i < section.length; i++) {
      section[i] = rope.checkInt("mrope_section", ms.get(i), 0, headDim / 2);
    }
    if (Arrays.stream(section).sum() != headDim / 2) {
      throw rope.fail("mrope_section", Arrays.toString(section) + " must have 3 parts summing to head_dim/2 = "
          + headDim / 2);
    }
    return new TextConfig(
        hidden,
        f.requireInt("num_hidden_layers", 1, MAX_LAYERS),
        heads,
        kvHeads,
        headDim,
        f.requireInt("intermediate_size", 1, MAX_INTERMEDIATE),
        f.requireInt("vocab_size", 1, MAX_VOCAB),
        f.doubleOr("rms_norm_eps", 1e-6, 0, 1),
        f.doubleOr("rope_theta", 1_000_000.0, 0, 1e12),
        section,
        ConfigFields.of(root, file).boolOr("tie_word_embeddings", f.boolOr("tie_word_embeddings", false)),
        f.intOr("max_position_embeddings", 32768, 1, MAX_CONTEXT));
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
