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
import io.guardtrace.spi.PromptPart;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bfloat16 path against the reference's bfloat16 run ({@code guardtrace_image_bf16}) and, for the text
 * prompt (no bf16 golden exists), against the float32 golden.
 *
 * <p>Tolerances from the fixtures: the reference's own bf16 run differs from its f32 run by 0.055 max-abs in the
 * last logits and 0.026 in the image embeddings (README): bf16 rounding alone moves logits by about two bf16
 * ulps (0.031 each at their magnitude). Our bf16 run uses libtorch 2.7.1's kernels, not the reference's torch
 * 2.6 ones, so it cannot match bit for bit; it must stay within 4 ulps (max-abs) and 1% (relative) of the
 * reference's bf16 logits, and produce the same greedy ids. For the text prompt, which has no bf16 golden, it
 * must stay within twice the reference's own bf16-vs-f32 distance of the f32 golden, with the same greedy ids.
 */
class Bf16ParityTest {
  static ModelConfig config;
  static QwenTokenizer tokenizer;
  static WeightStore store;
  static TextDecoder decoder;
  static VisionPath vision;

  @BeforeAll
  static void load() {
    config = ModelConfig.load(Fixtures.tinyModel().resolve("config.json"));
    tokenizer = QwenTokenizer.load(Fixtures.tinyModel().resolve("tokenizer.json"));
    store = WeightStore.open(Fixtures.tinyModel());
    decoder = new TextDecoder(config.text(), store, new TensorLoader(Fixtures.device(), TensorLoader.Precision.BFLOAT16));
    vision = VisionPath.open(Fixtures.tinyModel(), config, store, Fixtures.device(), TensorLoader.Precision.BFLOAT16,
        EngineOptions.of(Fixtures.tinyModel()));
  }

  @AfterAll
  static void close() {
    vision.close();
    decoder.close();
    store.close();
    tokenizer.close();
  }

  record Run(float[] imageEmbeds, float[] logits, List<Integer> greedy) {}

  static Run run(JsonNode meta) {
    if (!meta.has("messages")) {
      // the bf16 case has the f32 image case's prompt
      meta = Json.read(Fixtures.golden("guardtrace_image_f32.json"));
    }
    String system = Fixtures.system(meta);
    List<PromptPart> parts = Fixtures.userParts(meta);
    VisionPath.Encoded images = vision.preprocess(parts);
    List<ChatPrompt.Part> cp = new ArrayList<>();
    int img = 0;
    for (PromptPart p : parts) {
      cp.add(p instanceof PromptPart.Text t ? new ChatPrompt.TextPart(t.text())
          : new ChatPrompt.ImagePart(images.tokenCount(img++)));
    }
    long[] ids = ChatPrompt.render(system, cp).encode(tokenizer);
    RopeIndex rope = RopeIndex.compute(ids, config.imageTokenId(), images.grids(), vision.mergeSize());
    int n = ids.length;
    int hd = config.text().headDim();
    try (NDManager m = NDManager.newBaseManager(Fixtures.device())) {
      NDArray x = decoder.embed(m, ids);
      float[] embeds = new float[0];
      NDArray imageEmbeds = vision.encode(m, images);
      if (imageEmbeds != null) {
        embeds = imageEmbeds.toFloatArray();
        int first = 0;
        while (ids[first] != config.imageTokenId()) {
          first++;
        }
        x.set(new NDIndex("{}:{}, :", first, first + images.tokenCount(0)), decoder.loader().toCompute(imageEmbeds));
      }
      MRope mrope = new MRope(hd, config.text().ropeTheta(), config.text().mropeSection());
      float[] cos = new float[n * hd];
      float[] sin = new float[n * hd];
      mrope.tables(rope.positions(), 0, n, cos, sin);
      float[] logits;
      try (KvCache cache = decoder.newCache(m, n)) {
        NDArray out = decoder.forward(x, decoder.loader().toCompute(m.create(cos, new Shape(n, hd))),
            decoder.loader().toCompute(m.create(sin, new Shape(n, hd))), cache, null);
        logits = decoder.logits(out.get("{}:", n - 1)).toFloatArray();
      }
      List<Integer> greedy = new Generator(decoder).generate(m, x, ids, rope, 24,
          new HashSet<>(List.of(151645, 151643)), false, 1.0, (s, t, l, la) -> true, () -> false);
      return new Run(embeds, logits, greedy);
    }
  }

  static double maxAbs(float[] a, float[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  @Test
  void imageCase_matchesReferenceBf16Run() {
    JsonNode meta = Json.read(Fixtures.golden("guardtrace_image_bf16.json"));
    try (SafetensorsFile bf16 = SafetensorsFile.open(Fixtures.golden("guardtrace_image_bf16.safetensors"));
        SafetensorsFile f32 = SafetensorsFile.open(Fixtures.golden("guardtrace_image_f32.safetensors"))) {
      Run r = run(meta);
      float[] refLogits = bf16.floats("logits_last");
      double refBf16VsF32 = maxAbs(refLogits, f32.floats("logits_last"));
      double logitsErr = maxAbs(r.logits(), refLogits);
      double embedsErr = maxAbs(r.imageEmbeds(), bf16.floats("image_embeds"));
      System.out.printf("bf16 image: logits max-abs vs reference bf16 %.4f (reference bf16 vs f32 %.4f), "
          + "relative %.3g; image embeds max-abs %.4f%n", logitsErr, refBf16VsF32,
          io.guardtrace.models.Fixtures.relativeError(r.logits(), refLogits), embedsErr);
      // logits come out of a bfloat16 matrix multiply: their granularity is one bf16 ulp at their magnitude
      // (0.031 for |logit| in [4, 8)); a different but equally valid bf16 kernel order moves a few ulps
      double ulp = Math.scalb(1.0, Math.getExponent(maxAbs(refLogits, new float[refLogits.length])) - 7);
      System.out.printf("bf16 image: %.1f ulps (ulp %.4f)%n", logitsErr / ulp, ulp);
      assertThat(logitsErr).isLessThanOrEqualTo(4 * ulp);
      assertThat(io.guardtrace.models.Fixtures.relativeError(r.logits(), refLogits)).isLessThan(1e-2);
      assertThat(r.greedy().stream().mapToLong(Integer::longValue).toArray()).containsExactly(bf16.longs("gen_greedy_ids"));
    }
  }

  @Test
  void textCase_closeToF32_sameGreedyIds() {
    JsonNode meta = Json.read(Fixtures.golden("guardtrace_text_f32.json"));
    try (SafetensorsFile f32 = SafetensorsFile.open(Fixtures.golden("guardtrace_text_f32.safetensors"))) {
      Run r = run(meta);
      double err = maxAbs(r.logits(), f32.floats("logits_last"));
      double rel = io.guardtrace.models.Fixtures.relativeError(r.logits(), f32.floats("logits_last"));
      System.out.printf("bf16 text: logits max-abs vs f32 %.4f, relative %.3g%n", err, rel);
      // the reference's own bf16-vs-f32 distance on the image prompt is 0.055 max-abs: allow 2x that
      assertThat(err).isLessThan(0.11);
      assertThat(r.greedy().stream().mapToLong(Integer::longValue).toArray()).containsExactly(f32.longs("gen_greedy_ids"));
    }
  }
}
