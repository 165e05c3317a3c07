package io.guardtrace.models.synth;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.models.Fixtures;
import io.guardtrace.models.config.Json;
import io.guardtrace.models.engine.Qwen25VlEngine;
import io.guardtrace.models.safetensors.SafetensorsFile;
import io.guardtrace.models.safetensors.TensorInfo;
import io.guardtrace.models.text.QwenTokenizer;
import io.guardtrace.models.weights.WeightStore;
import io.guardtrace.spi.EngineOptions;
import io.guardtrace.spi.EngineRequest;
import io.guardtrace.spi.EngineResult;
import io.guardtrace.spi.PromptPart;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticCheckpointTest {

  @Test
  void tiny_hasTheFixtureKeysAndShapes_andRunsInTheEngine(@TempDir Path dir) throws Exception {
    SyntheticCheckpoint.write(dir, SyntheticCheckpoint.TINY, 7, SyntheticCheckpoint.DEFAULT_SHARD_BYTES);
    JsonNode keys = Json.read(Fixtures.root().resolve("meta.json")).get("model").get("safetensors_keys");
    int vocab = Json.read(dir.resolve("config.json")).get("vocab_size").asInt();
    try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
      assertThat(f.tensors()).hasSize(keys.size());
      for (Iterator<Map.Entry<String, JsonNode>> it = keys.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        TensorInfo info = f.info(e.getKey());
        long[] expected = new long[e.getValue().size()];
        for (int i = 0; i < expected.length; i++) {
          expected[i] = e.getValue().get(i).asLong();
        }
        if (e.getKey().equals("model.embed_tokens.weight")) {
          expected[0] = vocab; // the generated tokenizer is smaller than Qwen's
        }
        assertThat(info.shape()).as(e.getKey()).isEqualTo(expected);
      }
    }
    try (Qwen25VlEngine engine = Qwen25VlEngine.open(EngineOptions.of(dir).withCpu())) {
      EngineResult r = engine.generate(EngineRequest.of("You audit traces.",
          List.of(PromptPart.text("Current Task Query: hi\nCurrent Task Thinking: ok\nCurrent Task Cleaned Response: hello")),
          5));
      assertThat(r.generatedTokenIds()).hasSize(5);
    }
  }

  @Test
  void generatedTokenizer_loadsRoundTripsAndMapsSpecials(@TempDir Path dir) throws Exception {
    SyntheticCheckpoint.write(dir, SyntheticCheckpoint.TINY, 7, SyntheticCheckpoint.DEFAULT_SHARD_BYTES);
    JsonNode config = Json.read(dir.resolve("config.json"));
    try (QwenTokenizer tok = QwenTokenizer.load(dir.resolve("tokenizer.json"))) {
      String text = "Hello, world! \"Judgment\": 0.5 — the model's answer 狗 🐕";
      long[] ids = tok.encodeText(text);
      assertThat(ids.length).isLessThan(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
      assertThat(tok.decode(ids)).isEqualTo(text);
      assertThat(tok.addedTokenId("<|image_pad|>")).isEqualTo(config.get("image_token_id").asInt());
      assertThat(tok.addedTokenId("<|vision_start|>")).isEqualTo(config.get("vision_start_token_id").asInt());
      assertThat(tok.singleTokenIds("0", "1", ".", "5").values()).allMatch(id -> id >= 0);
      assertThat(tok.encodeText("12")).hasSize(2);
    }
  }

  /**
   * Hugging Face tokenizers (the Rust library transformers and llama.cpp's converter read tokenizer.json with)
   * must give every special token the id tokenizer.json declares and config.json uses: it ignores a declared id
   * that does not follow the vocabulary.
   */
  @Test
  void generatedTokenizers_huggingFaceTokenizersGiveTheDeclaredSpecialIds(@TempDir Path dir) throws Exception {
    for (SyntheticCheckpoint.Shape shape : List.of(SyntheticCheckpoint.TINY, SyntheticCheckpoint.QWEN25_VL_3B)) {
      ByteLevelTokenizer tok = SyntheticCheckpoint.tokenizer(shape);
      Path file = dir.resolve(shape.hidden() + "-tokenizer.json");
      Files.writeString(file, tok.json());
      int first = tok.special("<|endoftext|>");
      assertThat(first).isEqualTo(shape.realVocab() ? 151643 : 759);
      try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(file,
          Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
        for (int i = 0; i < ByteLevelTokenizer.SPECIALS.length; i++) {
          String special = ByteLevelTokenizer.SPECIALS[i];
          assertThat(tok.special(special)).as(special).isEqualTo(first + i);
          assertThat(hf.encode(special, false, false).getIds()).as(special).containsExactly(first + i);
          assertThat(hf.decode(new long[] {first + i}, false)).isEqualTo(special);
        }
        // ordinary text uses the generated merges only, never a placeholder filling the ids below the specials
        long[] ids = hf.encode("the model answer <|image_pad|> 12 safe", false, false).getIds();
        assertThat(ids).contains((long) tok.special("<|image_pad|>"));
        assertThat(java.util.Arrays.stream(ids)).allMatch(id -> id < 759 || id >= first);
        try (QwenTokenizer ours = QwenTokenizer.load(file)) {
          assertThat(ours.encodeText("the model answer 12 safe"))
              .containsExactly(hf.encode("the model answer 12 safe", false, false).getIds());
          assertThat(ours.addedTokenId("<|image_pad|>")).isEqualTo(tok.special("<|image_pad|>"));
        }
      }
    }
  }

  @Test
  void smallShardSize_writesConsistentShardsAndIndex(@TempDir Path dir) throws Exception {
    SyntheticCheckpoint.write(dir, SyntheticCheckpoint.TINY, 7, 200_000L);
    assertThat(dir.resolve("model.safetensors")).doesNotExist();
    JsonNode index = Json.read(dir.resolve("model.safetensors.index.json"));
    long total = 0;
    try (WeightStore store = WeightStore.open(dir)) {
      for (String name : store.names()) {
        total += store.info(name).byteSize();
      }
      assertThat(store.names()).hasSize(index.get("weight_map").size());
    }
    assertThat(index.get("metadata").get("total_size").asLong()).isEqualTo(total);
    try (var files = Files.list(dir)) {
      assertThat(files.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count())
          .isGreaterThan(1);
    }
  }

  @Test
  void sameSeed_sameBytes(@TempDir Path a, @TempDir Path b) throws Exception {
    SyntheticCheckpoint.write(a, SyntheticCheckpoint.TINY, 3, SyntheticCheckpoint.DEFAULT_SHARD_BYTES);
    SyntheticCheckpoint.write(b, SyntheticCheckpoint.TINY, 3, SyntheticCheckpoint.DEFAULT_SHARD_BYTES);
    assertThat(sha(a.resolve("model.safetensors"))).isEqualTo(sha(b.resolve("model.safetensors")));
  }

  @Test
  void preset3b_hasThePublishedShapes() {
    var t = SyntheticCheckpoint.tensors(SyntheticCheckpoint.QWEN25_VL_3B, 151936, 1);
    long params = 0;
    for (var s : t) {
      long n = 1;
      for (long d : s.shape()) {
        n *= d;
      }
      params += n;
    }
    // Qwen2.5-VL-3B-Instruct: 3.755 B parameters with the tied head
    assertThat(params).isBetween(3_700_000_000L, 3_800_000_000L);
  }

  static String sha(Path p) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
  }
}
