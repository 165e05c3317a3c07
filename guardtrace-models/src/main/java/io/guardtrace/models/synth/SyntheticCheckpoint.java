package io.guardtrace.models.synth;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.guardtrace.models.config.Json;
import io.guardtrace.models.safetensors.Dtype;
import io.guardtrace.models.safetensors.Dtypes;
import io.guardtrace.models.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Writes a complete Qwen2.5-VL checkpoint in standard Hugging Face layout with seeded random bfloat16 weights
 * and a generated tokenizer: {@code config.json}, {@code generation_config.json},
 * {@code preprocessor_config.json}, {@code tokenizer.json}, {@code tokenizer_config.json}, and the weights (one
 * {@code model.safetensors}, or shards with {@code model.safetensors.index.json} above the shard size, as
 * published checkpoints are). Keys use the original layout ({@code model.layers.N.*}, {@code visual.*}), the
 * output head is tied. Its outputs are meaningless; it exists to run the pipeline and measure speed at full
 * size without the real weights.
 */
public final class SyntheticCheckpoint {
  /** Sizes of a preset. */
  public record Shape(int hidden, int layers, int heads, int kvHeads, int intermediate, int[] mropeSection,
      int visionDepth, int visionHidden, int visionHeads, int visionIntermediate, int[] fullAttBlocks,
      boolean realVocab) {}

  /** Qwen2.5-VL-3B-Instruct. */
  public static final Shape QWEN25_VL_3B = new Shape(2048, 36, 16, 2, 11008, new int[] {16, 24, 24}, 32, 1280,
      16, 3420, new int[] {7, 15, 23, 31}, true);

  /** The tiny shape of the test fixtures (hidden 64, 3 layers, vision depth 4). */
  public static final Shape TINY = new Shape(64, 3, 4, 2, 128, new int[] {2, 3, 3}, 4, 64, 4, 128,
      new int[] {1, 3}, false);

  /** Published checkpoints cut shards near this size. */
  public static final long DEFAULT_SHARD_BYTES = 4_000_000_000L;

  private SyntheticCheckpoint() {}

  /**
   * The preset named {@code tiny} or {@code 3b}.
   *
   * @param name {@code tiny} or {@code 3b}
   * @return the preset's shape
   */
  public static Shape preset(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "3b" -> QWEN25_VL_3B;
      case "tiny" -> TINY;
      default -> throw new IllegalArgumentException("unknown config '" + name + "'; use tiny or 3b");
    };
  }

  /**
   * Writes the checkpoint into {@code dir} (created if needed).
   *
   * @param dir the directory to write
   * @param s the model's shape
   * @param seed the random seed of the weights
   * @param maxShardBytes the largest weights file; bigger checkpoints are sharded
   */
  public static void write(Path dir, Shape s, long seed, long maxShardBytes) {
    try {
      Files.createDirectories(dir);
      ByteLevelTokenizer tok = tokenizer(s);
      int vocab = s.realVocab() ? 151936 : (tok.size() + 63) / 64 * 64;
      Files.writeString(dir.resolve("tokenizer.json"), tok.json());
      Files.writeString(dir.resolve("config.json"), config(s, tok, vocab));
      Files.writeString(dir.resolve("generation_config.json"), generationConfig(tok));
      Files.writeString(dir.resolve("preprocessor_config.json"), preprocessorConfig());
      Files.writeString(dir.resolve("tokenizer_config.json"), tokenizerConfig());
      writeWeights(dir, tensors(s, vocab, seed), maxShardBytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the synthetic checkpoint to " + dir, e);
    }
  }

  /**
   * The generated tokenizer of a preset: with Qwen's vocabulary size, the special tokens at Qwen's ids (151643
   * on), otherwise right after the generated vocabulary.
   */
  static ByteLevelTokenizer tokenizer(Shape s) {
    return ByteLevelTokenizer.build(s.realVocab() ? 151643 : -1);
  }

  /** Every weight of the checkpoint with its initialisation. */
  static List<SafetensorsWriter.Spec> tensors(Shape s, int vocab, long seed) {
    List<SafetensorsWriter.Spec> t = new ArrayList<>();
    int h = s.hidden();
    int hd = h / s.heads();
    int kv = s.kvHeads() * hd;
    t.add(normal("model.embed_tokens.weight", seed, 0.02, vocab, h));
    for (int i = 0; i < s.layers(); i++) {
      String p = "model.layers." + i + ".";
      t.add(norm(p + "input_layernorm.weight", seed, h));
      t.add(norm(p + "post_attention_layernorm.weight", seed, h));
      t.add(linear(p + "self_attn.q_proj.weight", seed, h, h));
      t.add(normal(p + "self_attn.q_proj.bias", seed, 0.05, h));
      t.add(linear(p + "self_attn.k_proj.weight", seed, kv, h));
      t.add(normal(p + "self_attn.k_proj.bias", seed, 0.05, kv));
      t.add(linear(p + "self_attn.v_proj.weight", seed, kv, h));
      t.add(normal(p + "self_attn.v_proj.bias", seed, 0.05, kv));
      t.add(linear(p + "self_attn.o_proj.weight", seed, h, h));
      t.add(linear(p + "mlp.gate_proj.weight", seed, s.intermediate(), h));
      t.add(linear(p + "mlp.up_proj.weight", seed, s.intermediate(), h));
      t.add(linear(p + "mlp.down_proj.weight", seed, h, s.intermediate()));
    }
    t.add(norm("model.norm.weight", seed, h));
    int vh = s.visionHidden();
    int vi = s.visionIntermediate();
    t.add(normal("visual.patch_embed.proj.weight", seed, 0.04, vh, 3, 2, 14, 14));
    for (int i = 0; i < s.visionDepth(); i++) {
      String p = "visual.blocks." + i + ".";
      t.add(norm(p + "norm1.weight", seed, vh));
      t.add(norm(p + "norm2.weight", seed, vh));
      t.add(linear(p + "attn.qkv.weight", seed, 3 * vh, vh));
      t.add(normal(p + "attn.qkv.bias", seed, 0.05, 3 * vh));
      t.add(linear(p + "attn.proj.weight", seed, vh, vh));
      t.add(normal(p + "attn.proj.bias", seed, 0.05, vh));
      t.add(linear(p + "mlp.gate_proj.weight", seed, vi, vh));
      t.add(normal(p + "mlp.gate_proj.bias", seed, 0.05, vi));
      t.add(linear(p + "mlp.up_proj.weight", seed, vi, vh));
      t.add(normal(p + "mlp.up_proj.bias", seed, 0.05, vi));
      t.add(linear(p + "mlp.down_proj.weight", seed, vh, vi));
      t.add(normal(p + "mlp.down_proj.bias", seed, 0.05, vh));
    }
    t.add(norm("visual.merger.ln_q.weight", seed, vh));
    t.add(linear("visual.merger.mlp.0.weight", seed, 4 * vh, 4 * vh));
    t.add(normal("visual.merger.mlp.0.bias", seed, 0.05, 4 * vh));
    t.add(linear("visual.merger.mlp.2.weight", seed, h, 4 * vh));
    t.add(normal("visual.merger.mlp.2.bias", seed, 0.05, h));
    return t;
  }

  private static SafetensorsWriter.Spec linear(String name, long seed, long out, long in) {
    return normal(name, seed, 1.0 / Math.sqrt(in), out, in);
  }

  private static SafetensorsWriter.Spec norm(String name, long seed, long size) {
    return random(name, seed, 1.0, 0.1, size);
  }

  private static SafetensorsWriter.Spec normal(String name, long seed, double std, long... shape) {
    return random(name, seed, 0.0, std, shape);
  }

  /** Seeded per tensor (so tensors are independent of order): mean + std * an approximately normal value. */
  private static SafetensorsWriter.Spec random(String name, long seed, double mean, double std, long... shape) {
    long tensorSeed = seed * 0x9E3779B97F4A7C15L ^ name.hashCode();
    return new SafetensorsWriter.Spec(name, Dtype.BF16, shape, (ByteBuffer out, long offset) -> {
      SplittableRandom r = new SplittableRandom(tensorSeed + offset * 0x632BE59BD9B4E019L);
      while (out.remaining() >= 2) {
        long bits = r.nextLong();
        // four 16-bit uniforms summed: mean 2, variance 4/12; scaled to unit variance (Irwin-Hall)
        double u = ((bits & 0xffff) + ((bits >>> 16) & 0xffff) + ((bits >>> 32) & 0xffff) + (bits >>> 48))
            / 65536.0 - 2.0;
        out.putShort(Dtypes.floatToBf16((float) (mean + std * u * 1.7320508075688772)));
      }
    });
  }

  private static void writeWeights(Path dir, List<SafetensorsWriter.Spec> tensors, long maxShard) throws IOException {
    long total = tensors.stream().mapToLong(SyntheticCheckpoint::bytes).sum();
    if (total <= maxShard) {
      SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors);
      return;
    }
    List<List<SafetensorsWriter.Spec>> shards = new ArrayList<>();
    List<SafetensorsWriter.Spec> current = new ArrayList<>();
    long size = 0;
    for (SafetensorsWriter.Spec t : tensors) {
      if (!current.isEmpty() && size + bytes(t) > maxShard) {
        shards.add(current);
        current = new ArrayList<>();
        size = 0;
      }
      current.add(t);
      size += bytes(t);
    }
    shards.add(current);
    ObjectNode index = Json.MAPPER.createObjectNode();
    index.putObject("metadata").put("total_size", total);
    ObjectNode map = index.putObject("weight_map");
    for (int i = 0; i < shards.size(); i++) {
      String name = String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, shards.size());
      SafetensorsWriter.write(dir.resolve(name), shards.get(i));
      for (SafetensorsWriter.Spec t : shards.get(i)) {
        map.put(t.name(), name);
      }
    }
    Files.writeString(dir.resolve("model.safetensors.index.json"), index.toPrettyString());
  }

  private static long bytes(SafetensorsWriter.Spec t) {
    long n = t.dtype().bytes();
    for (long d : t.shape()) {
      n *= d;
    }
    return n;
  }

  private static String config(Shape s, ByteLevelTokenizer tok, int vocab) {
    ObjectNode c = Json.MAPPER.createObjectNode();
    c.putArray("architectures").add("Qwen2_5_VLForConditionalGeneration");
    c.put("model_type", "qwen2_5_vl");
    c.put("bos_token_id", tok.special("<|endoftext|>"));
    c.put("eos_token_id", tok.special("<|im_end|>"));
    c.put("vision_start_token_id", tok.special("<|vision_start|>"));
    c.put("vision_end_token_id", tok.special("<|vision_end|>"));
    c.put("vision_token_id", tok.special("<|vision_pad|>"));
    c.put("image_token_id", tok.special("<|image_pad|>"));
    c.put("video_token_id", tok.special("<|video_pad|>"));
    c.put("hidden_act", "silu");
    c.put("hidden_size", s.hidden());
    c.put("intermediate_size", s.intermediate());
    c.put("max_position_embeddings", 128000);
    c.put("num_attention_heads", s.heads());
    c.put("num_hidden_layers", s.layers());
    c.put("num_key_value_heads", s.kvHeads());
    c.put("rms_norm_eps", 1e-6);
    c.put("rope_theta", 1000000.0);
    ObjectNode rope = c.putObject("rope_scaling").put("type", "mrope");
    ArrayNode sec = rope.putArray("mrope_section");
    for (int v : s.mropeSection()) {
      sec.add(v);
    }
    c.put("tie_word_embeddings", true);
    c.put("torch_dtype", "bfloat16");
    c.put("use_cache", true);
    c.put("vocab_size", vocab);
    ObjectNode v = c.putObject("vision_config");
    v.put("depth", s.visionDepth()).put("hidden_act", "silu").put("hidden_size", s.visionHidden())
        .put("intermediate_size", s.visionIntermediate()).put("num_heads", s.visionHeads()).put("in_chans", 3)
        .put("out_hidden_size", s.hidden()).put("patch_size", 14).put("spatial_merge_size", 2)
        .put("spatial_patch_size", 14).put("window_size", 112).put("tokens_per_second", 2)
        .put("temporal_patch_size", 2);
    ArrayNode full = v.putArray("fullatt_block_indexes");
    for (int b : s.fullAttBlocks()) {
      full.add(b);
    }
    return c.toPrettyString();
  }

  private static String generationConfig(ByteLevelTokenizer tok) {
    ObjectNode g = Json.MAPPER.createObjectNode();
    g.put("bos_token_id", tok.special("<|endoftext|>"));
    g.put("pad_token_id", tok.special("<|endoftext|>"));
    g.putArray("eos_token_id").add(tok.special("<|im_end|>")).add(tok.special("<|endoftext|>"));
    g.put("repetition_penalty", 1.05);
    return g.toPrettyString();
  }

  private static String preprocessorConfig() {
    return """
        {
          "min_pixels": 3136,
          "max_pixels": 12845056,
          "patch_size": 14,
          "temporal_patch_size": 2,
          "merge_size": 2,
          "image_mean": [0.48145466, 0.4578275, 0.40821073],
          "image_std": [0.26862954, 0.26130258, 0.27577711],
          "image_processor_type": "Qwen2VLImageProcessor"
        }
        """;
  }

  private static String tokenizerConfig() {
    return """
        {
          "add_prefix_space": false,
          "bos_token": null,
          "eos_token": "<|im_end|>",
          "pad_token": "<|endoftext|>",
          "model_max_length": 131072,
          "tokenizer_class": "Qwen2Tokenizer",
          "split_special_tokens": false
        }
        """;
  }
}
