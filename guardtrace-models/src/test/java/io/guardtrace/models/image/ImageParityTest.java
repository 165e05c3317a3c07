package io.guardtrace.models.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardtrace.TraceImage;
import io.guardtrace.image.ImageDecoder;
import io.guardtrace.image.RgbImage;
import io.guardtrace.models.Fixtures;
import io.guardtrace.models.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every imgproc golden: resize bit-identical to PIL, grid equal, pixel_values within 1e-6. */
class ImageParityTest {

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
      "img_640x480, default", "img_640x480, max200704",
      "img_100x37, default", "img_100x37, max200704",
      "img_1000x250, default", "img_1000x250, max200704",
      "img_28x28, default", "img_28x28, max200704",
      "img_64x48_rgba, default", "img_64x48_rgba, max200704"})
  void preprocess_matchesReference(String image, String budget) {
    Path root = Fixtures.root();
    ImageProcessorConfig base = ImageProcessorConfig.load(Fixtures.tinyModel().resolve("preprocessor_config.json"));
    ImageProcessorConfig config = budget.equals("default") ? base : base.withPixels(null, 200704);
    ImagePreprocessor pre = new ImagePreprocessor(config, 50_000_000L);
    TraceImage img = TraceImage.ofPath(root.resolve("images").resolve(image + ".png"));
    try (SafetensorsFile golden = SafetensorsFile.open(root.resolve("imgproc").resolve(image + "__" + budget
        + ".safetensors"))) {
      RgbImage rgb = new ImageDecoder(50_000_000L).decode(img);
      byte[] resized = pre.resize(rgb, image);
      assertThat(resized).as("resized u8").isEqualTo(golden.bytes("resized_u8"));

      PreprocessedImage p = pre.preprocess(img);
      long[] grid = golden.longs("image_grid_thw");
      assertThat(new long[] {p.gridT(), p.gridH(), p.gridW()}).isEqualTo(grid);
      int n = p.rows();
      int len = p.rowLength();
      float[] actual = p.pixelValues();
      double maxAbs;
      if (golden.contains("pixel_values")) {
        maxAbs = maxAbs(actual, golden.floats("pixel_values"));
      } else {
        float[] head = golden.floats("pixel_values_head128");
        float[] tail = golden.floats("pixel_values_tail128");
        maxAbs = Math.max(maxAbs(Arrays.copyOfRange(actual, 0, head.length), head),
            maxAbs(Arrays.copyOfRange(actual, actual.length - tail.length, actual.length), tail));
      }
      double[] sums = golden.doubles("pixel_values_row_sums_f64");
      assertThat(sums).hasSize(n);
      double sumErr = 0;
      for (int r = 0; r < n; r++) {
        double s = 0;
        for (int c = 0; c < len; c++) {
          s += actual[r * len + c];
        }
        sumErr = Math.max(sumErr, Math.abs(s - sums[r]));
      }
      System.out.printf("%s %s: pixel_values max abs err %.3g, row sums max abs err %.3g%n", image, budget, maxAbs,
          sumErr);
      assertThat(maxAbs).isLessThanOrEqualTo(1e-6);
      assertThat(sumErr).isLessThan(1e-4);
    }
  }

  static double maxAbs(float[] a, float[] b) {
    assertThat(a).hasSameSizeAs(b);
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs((double) a[i] - b[i]));
    }
    return m;
  }
}
