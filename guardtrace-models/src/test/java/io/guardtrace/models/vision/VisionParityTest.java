package io.guardtrace.models.vision;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.guardtrace.models.Fixtures;
import io.guardtrace.models.config.ModelConfig;
import io.guardtrace.models.safetensors.SafetensorsFile;
import io.guardtrace.models.weights.TensorLoader;
import io.guardtrace.models.weights.WeightStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The vision tower against transformers' float32 intermediates for the 640x480 fixture image. */
class VisionParityTest {
  static final double TOL = 1e-4;
  static WeightStore store;
  static TensorLoader loader;
  static VisionTower tower;
  static SafetensorsFile golden;
  static SafetensorsFile pixels;

  @BeforeAll
  static void load() {
    ModelConfig config = ModelConfig.load(Fixtures.tinyModel().resolve("config.json"));
    store = WeightStore.open(Fixtures.tinyModel());
    loader = new TensorLoader(Fixtures.device(), TensorLoader.Precision.FLOAT32);
    tower = new VisionTower(VisionConfig.fromJson(config.visionConfig()), loader, store::vision, store);
    golden = SafetensorsFile.open(Fixtures.golden("guardtrace_image_f32.safetensors"));
    pixels = SafetensorsFile.open(Fixtures.root().resolve("imgproc/img_640x480__default.safetensors"));
  }

  @AfterAll
  static void close() {
    loader.close();
    store.close();
    golden.close();
    pixels.close();
  }

  static List<int[]> grid(SafetensorsFile f) {
    long[] g = f.longs("image_grid_thw");
    List<int[]> out = new ArrayList<>();
    for (int i = 0; i < g.length; i += 3) {
      out.add(new int[] {(int) g[i], (int) g[i + 1], (int) g[i + 2]});
    }
    return out;
  }

  @Test
  void layout_windowIndexAndSeqlens_matchReference() {
    VisionLayout l = VisionLayout.of(grid(golden), tower.config());
    assertThat(Arrays.stream(l.windowIndex()).asLongStream().toArray()).containsExactly(golden.longs("vision.window_index"));
    assertThat(Arrays.stream(l.cuWindowSeqlens()).asLongStream().toArray())
        .containsExactly(golden.longs("vision.cu_window_seqlens"));
    assertThat(Arrays.stream(l.cuSeqlens()).asLongStream().toArray()).containsExactly(golden.longs("vision.cu_seqlens"));
    double err = Fixtures.relativeError(tower.rotaryAngles(grid(golden)), golden.floats("vision.rot_pos_emb"));
    assertThat(err).isLessThan(1e-6);
  }

  @Test
  void forward_everyIntermediate_withinTolerance() {
    float[] px = pixels.floats("pixel_values");
    int rows = px.length / 1176;
    float[][] blockOut = new float[tower.config().depth()][];
    float[][] patch = new float[1][];
    float[][] merger = new float[1][];
    try (NDManager m = NDManager.newBaseManager(Fixtures.device())) {
      NDArray out = tower.forward(m, m.create(px, new Shape(rows, 1176)), grid(golden), new VisionTower.Capture() {
        @Override
        public void patchEmbed(NDArray x) {
          patch[0] = x.toFloatArray();
        }

        @Override
        public void block(int index, NDArray x) {
          blockOut[index] = x.toFloatArray();
        }

        @Override
        public void mergerWindowOrder(NDArray x) {
          merger[0] = x.toFloatArray();
        }
      });
      double ePatch = Fixtures.relativeError(patch[0], golden.floats("vision.patch_embed_out"));
      float[] blocks = golden.floats("vision.block_outputs");
      int per = blocks.length / blockOut.length;
      double eBlocks = 0;
      for (int b = 0; b < blockOut.length; b++) {
        double e = Fixtures.relativeError(blockOut[b], Fixtures.slice(blocks, b * per, per));
        assertThat(e).as("block %d", b).isLessThan(TOL);
        eBlocks = Math.max(eBlocks, e);
      }
      double eMerger = Fixtures.relativeError(merger[0], golden.floats("vision.merger_out_window_order"));
      double eEmbeds = Fixtures.relativeError(out.toFloatArray(), golden.floats("image_embeds"));
      System.out.printf("vision f32: patch %.3g, blocks max %.3g, merger %.3g, image embeds %.3g%n", ePatch, eBlocks,
          eMerger, eEmbeds);
      assertThat(ePatch).isLessThan(TOL);
      assertThat(eMerger).isLessThan(TOL);
      assertThat(eEmbeds).isLessThan(TOL);
    }
  }

  @Test
  void forward_batchCaseImage_matchesReference() {
    try (SafetensorsFile batch = SafetensorsFile.open(Fixtures.golden("batch2_leftpad_f32.safetensors"));
        NDManager m = NDManager.newBaseManager(Fixtures.device())) {
      float[] px = batch.floats("pixel_values");
      NDArray out = tower.forward(m, m.create(px, new Shape(px.length / 1176, 1176)), grid(batch));
      double err = Fixtures.relativeError(out.toFloatArray(), batch.floats("image_embeds"));
      assertThat(err).isLessThan(TOL);
    }
  }

  @Test
  void forward_twoImagesAtOnce_equalsEachAlone() {
    try (SafetensorsFile batch = SafetensorsFile.open(Fixtures.golden("batch2_leftpad_f32.safetensors"));
        NDManager m = NDManager.newBaseManager(Fixtures.device())) {
      float[] a = pixels.floats("pixel_values");
      float[] b = batch.floats("pixel_values");
      float[] both = Arrays.copyOf(a, a.length + b.length);
      System.arraycopy(b, 0, both, a.length, b.length);
      List<int[]> grids = new ArrayList<>(grid(golden));
      grids.addAll(grid(batch));
      float[] together = tower.forward(m, m.create(both, new Shape(both.length / 1176, 1176)), grids).toFloatArray();
      float[] first = tower.forward(m, m.create(a, new Shape(a.length / 1176, 1176)), grid(golden)).toFloatArray();
      float[] second = tower.forward(m, m.create(b, new Shape(b.length / 1176, 1176)), grid(batch)).toFloatArray();
      assertThat(Fixtures.relativeError(Fixtures.slice(together, 0, first.length), first)).isLessThan(1e-5);
      assertThat(Fixtures.relativeError(Fixtures.slice(together, first.length, second.length), second))
          .isLessThan(1e-5);
    }
  }
}
