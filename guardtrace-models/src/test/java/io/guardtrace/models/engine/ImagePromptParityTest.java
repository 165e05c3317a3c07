package io.guardtrace.models.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.TraceImage;
import io.guardtrace.models.Fixtures;
import io.guardtrace.models.config.Json;
import io.guardtrace.models.config.ModelConfig;
import io.guardtrace.models.safetensors.SafetensorsFile;
import io.guardtrace.models.text.ChatPrompt;
import io.guardtrace.models.text.Generator;
import io.guardtrace.models.text.KvCache;
import io.guardtrace.models.text.MRope;
import io.guardtrace.models.text.QwenTokenizer;
import io.guardtrace.models.text.RopeIndex;
import io.guardtrace.models.text.TextDecoder;
import io.guardtrace.models.weights.TensorLoader;
import io.guardtrace.models.weights.WeightStore;
import io.guardtrace.spi.EngineOptions;
import io.guardtrace.spi.EngineRequest;
import io.guardtrace.spi.EngineResult;
import io.guardtrace.spi.PromptPart;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The image guard prompt end to end against transformers' float32 goldens ({@code guardtrace_image_f32}). */
class ImagePromptParityTest {
  static final double TOL = 1e-4;
  static JsonNode meta;
  static SafetensorsFile golden;
  static ModelConfig config;
  static QwenTokenizer tokenizer;
  static WeightStore store;
  static TextDecoder decoder;
  static VisionPath vision;

  @BeforeAll
  static void load() {
    meta = Json.read(Fixtures.golden("guardtrace_image_f32.json"));
    golden = SafetensorsFile.open(Fixtures.golden("guardtrace_image_f32.safetensors"));
    config = ModelConfig.load(Fixtures.tinyModel().resolve("config.json"));
    tokenizer = QwenTokenizer.load(Fixtures.tinyModel().resolve("tokenizer.json"));
    store = WeightStore.open(Fixtures.tinyModel());
    decoder = new TextDecoder(config.text(), store, new TensorLoader(Fixtures.device(), TensorLoader.Precision.FLOAT32));
    vision = VisionPath.open(Fixtures.tinyModel(), config, store, Fixtures.device(), TensorLoader.Precision.FLOAT32,
        EngineOptions.of(Fixtures.tinyModel()));
  }

  @AfterAll
  static void close() {
    vision.close();
    decoder.close();
    store.close();
    tokenizer.close();
    golden.close();
  }

  static String system() {
    return Fixtures.system(meta);
  }

  static List<PromptPart> parts() {
    return Fixtures.userParts(meta);
  }

  @Test
  void promptIdsRopeHiddenStatesLogitsAndGreedyIds_matchReference() {
    VisionPath.Encoded images = vision.preprocess(parts());
    List<ChatPrompt.Part> cp = new ArrayList<>();
    for (PromptPart p : parts()) {
      cp.add(p instanceof PromptPart.Text t ? new ChatPrompt.TextPart(t.text())
          : new ChatPrompt.ImagePart(images.tokenCount(0)));
    }
    ChatPrompt prompt = ChatPrompt.render(system(), cp);
    assertThat(prompt.text()).isEqualTo(meta.get("prompts").get(0).asText());
    long[] ids = prompt.encode(tokenizer);
    assertThat(ids).containsExactly(golden.longs("input_ids"));

    RopeIndex rope = RopeIndex.compute(ids, config.imageTokenId(), images.grids(), vision.mergeSize());
    long[] pos = golden.longs("position_ids");
    int n = ids.length;
    for (int c = 0; c < 3; c++) {
      assertThat(rope.positions()[c]).containsExactly(java.util.Arrays.copyOfRange(pos, c * n, (c + 1) * n));
    }
    assertThat(rope.ropeDelta()).isEqualTo(golden.longs("rope_deltas")[0]);

    int d = config.text().hiddenSize();
    int hd = config.text().headDim();
    float[] hs = golden.floats("hidden_states");
    try (NDManager m = NDManager.newBaseManager(Fixtures.device())) {
      NDArray imageEmbeds = vision.encode(m, images);
      NDArray x = decoder.embed(m, ids);
      int first = meta.get("first_image_token_pos").asInt();
      int last = meta.get("last_image_token_pos").asInt();
      x.set(new NDIndex("{}:{}, :", first, last + 1), imageEmbeds);
      assertThat(Fixtures.relativeError(x.toFloatArray(), Fixtures.slice(hs, 0, n * d))).isLessThan(TOL);
      MRope mrope = new MRope(hd, config.text().ropeTheta(), config.text().mropeSection());
      float[] cos = new float[n * hd];
      float[] sin = new float[n * hd];
      mrope.tables(rope.positions(), 0, n, cos, sin);
      int layers = config.text().numLayers();
      NDArray[] outs = new NDArray[layers];
      try (KvCache cache = new KvCache(m, layers, config.text().numKvHeads(), n, hd, decoder.computeType())) {
        NDArray out = decoder.forward(x, m.create(cos, new Shape(n, hd)), m.create(sin, new Shape(n, hd)), cache, outs);
        double worst = 0;
        for (int i = 0; i < layers - 1; i++) {
          double e = Fixtures.relativeError(outs[i].toFloatArray(), Fixtures.slice(hs, (i + 1) * n * d, n * d));
          assertThat(e).as("layer %d", i).isLessThan(TOL);
          worst = Math.max(worst, e);
        }
        float[] logits = decoder.logits(out.get("{}:", n - 1)).toFloatArray();
        double err = Fixtures.relativeError(logits, golden.floats("logits_last"));
        System.out.printf("image f32: hidden max %.3g, last logits rel err %.3g%n", worst, err);
        assertThat(err).isLessThan(TOL);
      }
      List<Integer> greedy = new Generator(decoder).generate(m, x, ids, rope, 24,
          new HashSet<>(List.of(151645, 151643)), false, 1.0, (s, t, l, la) -> true, () -> false);
      assertThat(greedy.stream().mapToLong(Integer::longValue).toArray()).containsExactly(golden.longs("gen_greedy_ids"));
    }
  }

  @Test
  void engineGenerate_imageTrace_reproducesReferenceIdsWithPenalty() {
    try (Qwen25VlEngine engine = Qwen25VlEngine.open(new EngineOptions(Fixtures.tinyModel(), Fixtures.deviceName(),
        "float32", null, null, EngineOptions.DEFAULT_MAX_DECODED_PIXELS, 0, true))) {
      EngineResult r = engine.generate(EngineRequest.of(system(), parts(), 24));
      long[] expected = golden.longs("gen_greedy_rep1.05_ids");
      float[] gaps = golden.floats("gen_greedy_rep1.05_step_processed_gap");
      int upTo = 0;
      while (upTo < gaps.length && gaps[upTo] >= 1e-3) {
        upTo++;
      }
      System.out.println("image rep1.05 compared up to step " + upTo);
      assertThat(upTo).isGreaterThan(0);
      for (int i = 0; i < upTo; i++) {
        assertThat(r.generatedTokenIds().get(i)).as("step %d", i).isEqualTo((int) expected[i]);
      }
      assertThat(r.promptTokens()).isEqualTo(golden.longs("input_ids").length);
      assertThat(engine.countPromptTokens(system(), parts())).isEqualTo(r.promptTokens());
    }
  }

  @Test
  void batchImageRow_aloneUnpadded_matchesReferenceRow() {
    try (SafetensorsFile batch = SafetensorsFile.open(Fixtures.golden("batch2_leftpad_f32.safetensors"));
        NDManager m = NDManager.newBaseManager(Fixtures.device())) {
      List<PromptPart> parts = List.of(
          PromptPart.image(TraceImage.ofPath(Fixtures.root().resolve("images/img_100x37.png"))),
          PromptPart.text("What is shown?"));
      VisionPath.Encoded images = vision.preprocess(parts);
      long[] ids = ChatPrompt.render("You are a helpful assistant.", List.of(
          new ChatPrompt.ImagePart(images.tokenCount(0)), new ChatPrompt.TextPart("What is shown?"))).encode(tokenizer);
      int padded = (int) batch.info("input_ids").shape()[1];
      long[] row = java.util.Arrays.copyOfRange(batch.longs("input_ids"), 0, padded);
      int pads = padded - ids.length;
      assertThat(java.util.Arrays.copyOfRange(row, pads, padded)).containsExactly(ids);
      RopeIndex rope = RopeIndex.compute(ids, config.imageTokenId(), images.grids(), vision.mergeSize());
      NDArray x = decoder.embed(m, ids);
      int first = 0;
      while (ids[first] != config.imageTokenId()) {
        first++;
      }
      x.set(new NDIndex("{}:{}, :", first, first + images.tokenCount(0)), vision.encode(m, images));
      int n = ids.length;
      int hd = config.text().headDim();
      MRope mrope = new MRope(hd, config.text().ropeTheta(), config.text().mropeSection());
      float[] cos = new float[n * hd];
      float[] sin = new float[n * hd];
      mrope.tables(rope.positions(), 0, n, cos, sin);
      try (KvCache cache = new KvCache(m, config.text().numLayers(), config.text().numKvHeads(), n, hd,
          decoder.computeType())) {
        NDArray out = decoder.forward(x, m.create(cos, new Shape(n, hd)), m.create(sin, new Shape(n, hd)), cache, null);
        int vocab = config.text().vocabSize();
        double err = Fixtures.relativeError(decoder.logits(out.get("{}:", n - 1)).toFloatArray(),
            Fixtures.slice(batch.floats("logits_last"), 0, vocab));
        System.out.printf("batch2 image row: last logits rel err %.3g%n", err);
        assertThat(err).isLessThan(TOL);
      }
      List<Integer> greedy = new Generator(decoder).generate(m, x, ids, rope, 24,
          new HashSet<>(List.of(151645, 151643)), false, 1.0, (s, t, l, la) -> true, () -> false);
      assertThat(greedy.stream().mapToLong(Integer::longValue).toArray())
          .containsExactly(java.util.Arrays.copyOfRange(batch.longs("gen_greedy_ids"), 0, 24));
    }
  }
}
