package io.guardtrace.examples.bench;

import io.guardtrace.TraceImage;
import io.guardtrace.image.ImageDecoder;
import io.guardtrace.image.RgbImage;
import io.guardtrace.models.image.ImagePreprocessor;
import io.guardtrace.models.image.ImageProcessorConfig;
import io.guardtrace.models.image.PreprocessedImage;
import java.awt.image.BufferedImage;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Image preprocessing (PIL-exact bicubic resize, normalisation, patch layout), from decoded pixels and from
 * PNG bytes, at Qwen2.5-VL's default pixel budget.
 *
 * <pre>java -cp 'guardtrace-examples/target/guardtrace.jar:guardtrace-examples/target/lib/*' org.openjdk.jmh.Main ImagePreprocess</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ImagePreprocessBenchmark {
  @Param({"640x480", "1920x1080"})
  public String size;

  private ImagePreprocessor preprocessor;
  private RgbImage rgb;
  private TraceImage png;

  @Setup
  public void setUp() {
    String[] wh = size.split("x");
    int w = Integer.parseInt(wh[0]);
    int h = Integer.parseInt(wh[1]);
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Random r = new Random(11);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, (x * 255 / w) << 16 | (y * 255 / h) << 8 | r.nextInt(64));
      }
    }
    png = TraceImage.ofImage(img);
    preprocessor = new ImagePreprocessor(ImageProcessorConfig.qwen25vl(), 50_000_000L);
    rgb = new ImageDecoder(50_000_000L).decode(png);
  }

  @Benchmark
  public PreprocessedImage fromPixels() {
    return preprocessor.preprocess(rgb, "bench");
  }

  @Benchmark
  public PreprocessedImage fromPngBytes() {
    return preprocessor.preprocess(png);
  }
}
