package io.guardtrace.models.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardtrace.models.Fixtures;
import io.guardtrace.spi.EngineOptions;
import io.guardtrace.spi.EngineRequest;
import io.guardtrace.spi.PromptPart;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Generations on the tiny model must not grow resident memory: every request frees its tensors. The default
 * build runs a short check (100 measured generations: a leak of one logits row per step, 600 KB, would add 180
 * MB between the first and the last sample); the soak profile ({@code mvn -Psoak verify}) runs 1,000.
 */
class NativeMemoryTest {

  /**
   * Resident memory in KB. The test JVM runs with a fixed, pre-touched heap (-Xms = -Xmx, AlwaysPreTouch in
   * the parent pom), so heap growth cannot be mistaken for a native leak.
   */
  static long nativeKb() throws IOException {
    return rssKb();
  }

  static long rssKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS");
  }

  @Test
  void hundredGenerations_residentMemoryStaysFlat() throws IOException {
    assertFlat(40, 100);
  }

  @Test
  @Tag("soak")
  void thousandGenerations_residentMemoryStaysFlat() throws IOException {
    assertFlat(300, 1000);
  }

  /** Runs {@code warmUp} generations, then {@code measured} more, sampling RSS after each quarter of them. */
  static void assertFlat(int warmUp, int measured) throws IOException {
    try (Qwen25VlEngine engine = Qwen25VlEngine.open(EngineOptions.of(Fixtures.tinyModel()).withCpu())) {
      EngineRequest req = EngineRequest.of("You audit traces.",
          List.of(PromptPart.text("Current Task Query: hello\nCurrent Task Thinking: hm\nCurrent Task Cleaned Response: hi")), 4);
      for (int i = 0; i < warmUp; i++) {
        engine.generate(req);
      }
      int quarter = measured / 4;
      long warm = 0;
      long after = 0;
      for (int i = 0; i < measured; i++) {
        engine.generate(req);
        if (i % quarter == quarter - 1) {
          System.gc();
          after = nativeKb();
          warm = warm == 0 ? after : warm;
          System.out.printf("after %d: RSS %d KB%n", i + 1, after);
        }
      }
      long growthKb = after - warm;
      System.out.printf("native memory: RSS after %d generations %d KB, after %d %d KB (%+d KB)%n",
          quarter, warm, measured, after, growthKb);
      // a leak of one logits row per step (600 KB) would add 180 MB or more; allow allocator noise only
      assertThat(growthKb).isLessThan(Math.max(64 * 1024, warm / 20));
    }
  }
}
