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
import org.junit.jupiter.api.Test;

/** 1,000 generations on the tiny model must not grow resident memory: every request frees its tensors. */
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
  void thousandGenerations_residentMemoryStaysFlat() throws IOException {
    try (Qwen25VlEngine engine = Qwen25VlEngine.open(EngineOptions.of(Fixtures.tinyModel()).withCpu())) {
      EngineRequest req = EngineRequest.of("You audit traces.",
          List.of(PromptPart.text("Current Task Query: hello\nCurrent Task Thinking: hm\nCurrent Task Cleaned Response: hi")), 4);
      for (int i = 0; i < 300; i++) {
        engine.generate(req);
      }
      long warm = 0;
      long after = 0;
      for (int i = 0; i < 1000; i++) {
        engine.generate(req);
        if (i % 250 == 249) {
          System.gc();
          after = nativeKb();
          warm = warm == 0 ? after : warm;
          System.out.printf("after %d: RSS %d KB%n", i + 1, after);
        }
      }
      long growthKb = after - warm;
      System.out.printf("native memory: RSS after 250 generations %d KB, after 1000 %d KB (%+d KB)%n",
          warm, after, growthKb);
      // a leak of one logits row per step (600 KB) would add gigabytes; allow allocator noise only
      assertThat(growthKb).isLessThan(Math.max(64 * 1024, warm / 20));
    }
  }
}
