package io.guardtrace.models.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.models.Fixtures;
import java.io.IOException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * 2,000 detections on the tiny model; resident memory outside the Java heap may grow by less than 5% after
 * warm-up. Tagged
 * {@code soak}: runs with {@code mvn -Psoak verify}.
 */
@Tag("soak")
class SoakTest {
  @Test
  void twoThousandDetections_residentMemoryGrowthUnderFivePercent() throws IOException {
    try (GuardTrace g = GuardTrace.builder().model(Fixtures.tinyModel()).device(Fixtures.deviceName())
        .dtype("float32").maxNewTokens(8).disableCache().concurrency(2).build()) {
      long warm = 0;
      long last = 0;
      long start = System.nanoTime();
      for (int i = 0; i < 2000; i++) {
        g.detect(QtaTrace.of("question " + i, "thinking " + (i % 37), "answer " + (i % 11)));
        if ((i + 1) % 400 == 0) {
          System.gc();
          last = NativeMemoryTest.nativeKb();
          if (i == 399) {
            warm = last;
          }
          System.out.printf("soak: %d detections, RSS %d KB%n", i + 1, last);
        }
      }
      double growth = (double) (last - warm) / warm;
      System.out.printf("soak: 2000 detections in %.1f s; RSS after warm-up (400) %d KB, at end %d KB, growth %.2f%%%n",
          (System.nanoTime() - start) / 1e9, warm, last, growth * 100);
      assertThat(growth).isLessThan(0.05);
    }
  }
}
