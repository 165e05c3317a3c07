package io.guardtrace.models.text;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.guardtrace.models.Fixtures;
import io.guardtrace.models.config.ModelConfig;
import io.guardtrace.models.safetensors.SafetensorsFile;
import io.guardtrace.models.weights.TensorLoader;
import io.guardtrace.models.weights.WeightStore;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code batch2_leftpad_f32} golden: a left-padded batch of an image row and a text row. Rows are run
 * alone (the README records that each row alone equals the batched result exactly); positions are checked
 * in their padded form.
 */
class BatchLeftPadTest {
  static ModelConfig config;
  static WeightStore store;
  static TextDecoder decoder;
  static SafetensorsFile golden;
  static int length;

  @BeforeAll
  static void load() {
    config = ModelConfig.load(Fixtures.tinyModel().resolve("config.json"));
    store = WeightStore.open(Fixtures.tinyModel());
    decoder = new TextDecoder(config.text(), store, new TensorLoader(Fixtures.device(), TensorLoader.Precision.FLOAT32));
    golden = SafetensorsFile.open(Fixtures.golden("batch2_leftpad_f32.safetensors"));
    length = (int) golden.info("input_ids").shape()[1];
  }

  @AfterAll
  static void close() {
    decoder.close();
    store.close();
    golden.close();
  }

  static long[] row(String name, int row) {
    long[] all = golden.longs(name);
    return Arrays.copyOfRange(all, row * length, (row + 1) * length);
  }

  static List<int[]> grids(int row) {
    if (row == 1) {
      return List.of();
    }
    long[] g = golden.longs("image_grid_thw");
    return List.of(new int[] {(int) g[0], (int) g[1], (int) g[2]});
  }

  @Test
  void ropeIndex_bothPaddedRows_matchReference() {
    long[] expected = golden.longs("position_ids"); // (3, 2, L)
    long[] deltas = golden.longs("rope_deltas");
    for (int row = 0; row < 2; row++) {
      RopeIndex r = RopeIndex.computePadded(row("input_ids", row), row("attention_mask", row), config.imageTokenId(),
          grids(row), 2);
      for (int c = 0; c < 3; c++) {
        int off = (c * 2 + row) * length;
        assertThat(r.positions()[c]).as("row %d component %d", row, c)
            .containsExactly(Arrays.copyOfRange(expected, off, off + length));
      }
      assertThat(r.ropeDelta()).as("row %d delta", row).isEqualTo(deltas[row]);
    }
  }

  @Test
  void textRow_logitsAndGreedyIds_matchReference() {
    long[] ids = row("input_ids", 1);
    RopeIndex r = RopeIndex.compute(ids, config.imageTokenId(), List.of(), 2);
    MRope rope = new MRope(config.text().headDim(), config.text().ropeTheta(), config.text().mropeSection());
    int n = ids.length;
    int hd = config.text().headDim();
    int vocab = config.text().vocabSize();
    try (NDManager m = NDManager.newBaseManager(Fixtures.device())) {
      float[] cos = new float[n * hd];
      float[] sin = new float[n * hd];
      rope.tables(r.positions(), 0, n, cos, sin);
      try (KvCache cache = new KvCache(m, config.text().numLayers(), config.text().numKvHeads(), n, hd,
          decoder.computeType())) {
        NDArray out = decoder.forward(decoder.embed(m, ids), m.create(cos, new Shape(n, hd)),
            m.create(sin, new Shape(n, hd)), cache, null);
        float[] logits = decoder.logits(out.get("{}:", n - 1)).toFloatArray();
        float[] expected = Fixtures.slice(golden.floats("logits_last"), vocab, vocab);
        double err = Fixtures.relativeError(logits, expected);
        System.out.printf("batch2 text row: last logits rel err %.3g%n", err);
        assertThat(err).isLessThan(1e-4);
      }
      List<Integer> gen = new Generator(decoder).generate(m, decoder.embed(m, ids), ids, r, 24,
          new HashSet<>(List.of(151645, 151643)), false, 1.0, (s, t, l, la) -> true, () -> false);
      long[] expectedIds = row24("gen_greedy_ids", 1);
      assertThat(gen.stream().mapToLong(Integer::longValue).toArray()).containsExactly(expectedIds);
    }
  }

  static long[] row24(String name, int row) {
    long[] all = golden.longs(name);
    return Arrays.copyOfRange(all, row * 24, (row + 1) * 24);
  }
}
