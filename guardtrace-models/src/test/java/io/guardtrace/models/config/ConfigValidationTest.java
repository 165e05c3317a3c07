package io.guardtrace.models.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.Fixtures;
import io.guardtrace.models.HostileModels;
import io.guardtrace.models.engine.Qwen25VlEngine;
import io.guardtrace.models.vision.VisionConfig;
import io.guardtrace.spi.EngineOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every configuration value the engine uses is range-checked when the model loads (issue 16, item 6): an
 * absurd value is a {@link ModelLoadException} naming the file and the field, never an out-of-memory error, a
 * division by zero on every image, a native error or a silently different model. The bounds still admit every
 * published Qwen2.5-VL size.
 */
class ConfigValidationTest {

  /**
   * One bad value per row: the file, the field (dots go into nested objects, which are created where absent),
   * the JSON value written there, and the name the message must give.
   */
  @ParameterizedTest(name = "{0} {1} = {2}")
  @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
      config.json | num_hidden_layers | 1000000000 | num_hidden_layers
      config.json | num_hidden_layers | -1 | num_hidden_layers
      config.json | num_hidden_layers | 0 | num_hidden_layers
      config.json | num_hidden_layers | 2.5 | num_hidden_layers
      config.json | num_hidden_layers | 1e9 | num_hidden_layers
      config.json | num_hidden_layers | "3" | num_hidden_layers
      config.json | text_config.num_hidden_layers | 0 | num_hidden_layers
      config.json | hidden_size | 0 | hidden_size
      config.json | hidden_size | -64 | hidden_size
      config.json | hidden_size | 3000000000 | hidden_size
      config.json | hidden_size | 99999999999999999999999 | hidden_size
      config.json | num_attention_heads | 0 | num_attention_heads
      config.json | num_attention_heads | 3 | num_attention_heads
      config.json | num_attention_heads | 64 | num_attention_heads
      config.json | num_key_value_heads | 0 | num_key_value_heads
      config.json | num_key_value_heads | 3 | num_key_value_heads
      config.json | num_key_value_heads | 8 | num_key_value_heads
      config.json | intermediate_size | 0 | intermediate_size
      config.json | intermediate_size | -1 | intermediate_size
      config.json | intermediate_size | 1000000000 | intermediate_size
      config.json | vocab_size | 0 | vocab_size
      config.json | vocab_size | -5 | vocab_size
      config.json | vocab_size | 1000000000000 | vocab_size
      config.json | max_position_embeddings | -1 | max_position_embeddings
      config.json | max_position_embeddings | 0 | max_position_embeddings
      config.json | max_position_embeddings | 10000000000 | max_position_embeddings
      config.json | rms_norm_eps | 0 | rms_norm_eps
      config.json | rms_norm_eps | -1 | rms_norm_eps
      config.json | rms_norm_eps | "tiny" | rms_norm_eps
      config.json | rope_theta | 0 | rope_theta
      config.json | rope_theta | -10000 | rope_theta
      config.json | rope_scaling.mrope_section | [-1, 6, 3] | mrope_section
      config.json | rope_scaling.mrope_section | [2, 3] | mrope_section
      config.json | rope_scaling.mrope_section | [2, 3, 3.5] | mrope_section
      config.json | rope_scaling.mrope_section | [2, 3, 4] | mrope_section
      config.json | tie_word_embeddings | "yes" | tie_word_embeddings
      config.json | image_token_id | 999999999 | image_token_id
      config.json | image_token_id | -1 | image_token_id
      config.json | vision_start_token_id | 151936 | vision_start_token_id
      config.json | video_token_id | "x" | video_token_id
      config.json | vocab_size | 151660 | vocab_size
      config.json | vision_config.depth | 1000000000 | vision_config.depth
      config.json | vision_config.depth | 0 | vision_config.depth
      config.json | vision_config.depth | -1 | vision_config.depth
      config.json | vision_config.hidden_size | 0 | vision_config.hidden_size
      config.json | vision_config.num_heads | 0 | vision_config.num_heads
      config.json | vision_config.num_heads | 3 | vision_config.num_heads
      config.json | vision_config.num_heads | 32 | vision_config.num_heads
      config.json | vision_config.window_size | 0 | vision_config.window_size
      config.json | vision_config.window_size | 100 | vision_config.window_size
      config.json | vision_config.window_size | -112 | vision_config.window_size
      config.json | vision_config.patch_size | 0 | vision_config.patch_size
      config.json | vision_config.spatial_merge_size | 0 | vision_config.spatial_merge_size
      config.json | vision_config.temporal_patch_size | 0 | vision_config.temporal_patch_size
      config.json | vision_config.fullatt_block_indexes | [1, 99] | vision_config.fullatt_block_indexes
      config.json | vision_config.fullatt_block_indexes | [-1] | vision_config.fullatt_block_indexes
      config.json | vision_config.intermediate_size | 0 | vision_config.intermediate_size
      config.json | vision_config.out_hidden_size | 128 | vision_config.out_hidden_size
      config.json | vision_config.in_chans | 4 | vision_config.in_chans
      config.json | vision_config.rms_norm_eps | -1 | vision_config.rms_norm_eps
      config.json | vision_config.hidden_act | "gelu" | vision_config.hidden_act
      preprocessor_config.json | min_pixels | 0 | min_pixels
      preprocessor_config.json | min_pixels | -1 | min_pixels
      preprocessor_config.json | max_pixels | 100 | max_pixels
      preprocessor_config.json | max_pixels | 1000000000000 | max_pixels
      preprocessor_config.json | patch_size | 0 | patch_size
      preprocessor_config.json | merge_size | 0 | merge_size
      preprocessor_config.json | temporal_patch_size | 0 | temporal_patch_size
      preprocessor_config.json | image_mean | [1, 2] | image_mean
      preprocessor_config.json | image_std | [0, 1, 1] | image_std
      preprocessor_config.json | image_std | ["a", 1, 1] | image_std
      preprocessor_config.json | rescale_factor | 0 | rescale_factor
      generation_config.json | eos_token_id | [999999999] | eos_token_id
      generation_config.json | eos_token_id | -5 | eos_token_id
      generation_config.json | eos_token_id | ["a"] | eos_token_id
      generation_config.json | pad_token_id | 999999999 | pad_token_id
      generation_config.json | repetition_penalty | 0 | repetition_penalty
      generation_config.json | repetition_penalty | -1 | repetition_penalty
      """)
  void absurdValue_isRefusedAtLoad_namingFileAndField(String file, String field, String json, String named,
      @TempDir Path dir) throws Exception {
    Path model = HostileModels.copyTiny(dir.resolve("model"));
    JsonNode value = Json.MAPPER.readTree(json);
    HostileModels.editJson(model.resolve(file), root -> set(root, field, value));
    // a value that slipped through could make the load run out of memory or hang on a huge loop
    assertTimeoutPreemptively(Duration.ofSeconds(120), () ->
        assertThatThrownBy(() -> Qwen25VlEngine.open(EngineOptions.of(model).withCpu()).close())
            .isInstanceOf(ModelLoadException.class)
            .hasMessageContaining(file)
            .hasMessageContaining(named));
  }

  private static void set(ObjectNode root, String dotted, JsonNode value) {
    String[] keys = dotted.split("\\.");
    ObjectNode node = root;
    for (int i = 0; i < keys.length - 1; i++) {
      node = node.has(keys[i]) ? (ObjectNode) node.get(keys[i]) : node.putObject(keys[i]);
    }
    node.set(keys[keys.length - 1], value);
  }

  /** Published Qwen2.5-VL sizes: hidden, layers, heads, kv heads, intermediate, vocab, vision intermediate. */
  @ParameterizedTest(name = "Qwen2.5-VL-{0}")
  @CsvSource({
      "3B, 2048, 36, 16, 2, 11008, 151936, 3420",
      "7B, 3584, 28, 28, 4, 18944, 152064, 3420",
      "32B, 5120, 64, 40, 8, 27648, 152064, 3456",
      "72B, 8192, 80, 64, 8, 29568, 152064, 3456"})
  void everyPublishedSize_isAccepted(String size, int hidden, int layers, int heads, int kvHeads, int intermediate,
      int vocab, int visionIntermediate, @TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.json");
    Files.copy(Fixtures.tinyModel().resolve("config.json"), file);
    HostileModels.editJson(file, root -> {
      root.put("hidden_size", hidden).put("num_hidden_layers", layers).put("num_attention_heads", heads)
          .put("num_key_value_heads", kvHeads).put("intermediate_size", intermediate).put("vocab_size", vocab)
          .put("max_position_embeddings", 128000);
      root.putObject("rope_scaling").put("type", "mrope").putArray("mrope_section").add(16).add(24).add(24);
      ObjectNode v = (ObjectNode) root.get("vision_config");
      v.put("depth", 32).put("hidden_size", 1280).put("num_heads", 16).put("intermediate_size", visionIntermediate)
          .put("out_hidden_size", hidden).put("window_size", 112);
      v.putArray("fullatt_block_indexes").add(7).add(15).add(23).add(31);
    });
    ModelConfig config = ModelConfig.load(file);
    assertThat(config.text().hiddenSize()).isEqualTo(hidden);
    assertThat(config.text().numLayers()).isEqualTo(layers);
    assertThat(config.text().headDim()).isEqualTo(128);
    assertThat(config.text().vocabSize()).isEqualTo(vocab);
    assertThat(config.text().maxPositionEmbeddings()).isEqualTo(128000);
    VisionConfig vision = VisionConfig.fromJson(config.visionConfig(), file);
    assertThat(vision.depth()).isEqualTo(32);
    assertThat(vision.headDim()).isEqualTo(80);
    assertThat(vision.outHiddenSize()).isEqualTo(hidden);
    assertThat(vision.fullAttBlockIndexes()).containsExactly(7, 15, 23, 31);
  }
}
