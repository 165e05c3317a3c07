package io.guardtrace.models.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardtrace.ModelLoadException;
import io.guardtrace.models.HostileModels;
import io.guardtrace.models.synth.SyntheticCheckpoint;
import io.guardtrace.spi.EngineOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A load that fails part-way frees what it allocated (issue 16, item 8): repeated loads of a checkpoint whose
 * last language-model or last vision tensor is missing must not grow resident memory. Before the fix each
 * attempt that failed inside the decoder kept the weights it had loaded (gigabytes per attempt on the 3B).
 *
 * <p>The checkpoint is synthetic: wider than the tiny fixture, so that a leak shows (about 13 MB of float32
 * weights per attempt), with a generated tokenizer, so that a failed load takes a fraction of a second.
 */
class FailedLoadMemoryTest {
  /** Loads before the first reading: the allocator's free lists grow over the first dozen, then stay put. */
  private static final int WARM_UP = 12;
  private static final int ATTEMPTS = 16;

  /** hidden 256, 4 layers (head width 64), MLP 1024; a 2-block vision tower of width 128. */
  private static final SyntheticCheckpoint.Shape SHAPE = new SyntheticCheckpoint.Shape(256, 4, 4, 2, 1024,
      new int[] {8, 12, 12}, 2, 128, 4, 256, new int[] {1}, false);

  @TempDir static Path base;

  static Path checkpoint;

  @BeforeAll
  static void writeCheckpoint() {
    checkpoint = base.resolve("synthetic");
    SyntheticCheckpoint.write(checkpoint, SHAPE, 11, SyntheticCheckpoint.DEFAULT_SHARD_BYTES);
    // the intact checkpoint loads: the failures below come from the one renamed tensor only
    Qwen25VlEngine.open(EngineOptions.of(checkpoint).withCpu()).close();
  }

  /**
   * @param tensor the tensor renamed away (same length, so the file stays valid): the load fails on reaching it
   * @param part the tower whose loading then fails
   */
  @ParameterizedTest(name = "missing {0}")
  @CsvSource({
      "model.layers.3.mlp.down_proj.weight, model.layers.3.mlp.down_proj.weighx, language model",
      "visual.merger.mlp.2.bias, visual.merger.mlp.2.biax, vision tower"})
  void repeatedFailingLoads_residentMemoryStaysFlat(String tensor, String renamed, String part, @TempDir Path dir)
      throws Exception {
    Path model = Files.createDirectory(dir.resolve("model"));
    try (var files = Files.list(checkpoint)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, model.resolve(f.getFileName().toString()), StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
    HostileModels.renameTensor(model.resolve("model.safetensors"), tensor, renamed);
    EngineOptions options = EngineOptions.of(model).withCpu();
    for (int i = 0; i < WARM_UP; i++) {
      failToLoad(options, part);
    }
    long warm = settledRssKb();
    for (int i = 0; i < ATTEMPTS; i++) {
      failToLoad(options, part);
    }
    long after = settledRssKb();
    long growthKb = after - warm;
    System.out.printf("%d failed loads (%s): RSS %d KB -> %d KB (%+d KB)%n", ATTEMPTS, part, warm, after, growthKb);
    // before the fix each attempt kept about 17 MB (16 x 17 = 270 MB); allow allocator noise only
    assertThat(growthKb).isLessThan(48 * 1024);
  }

  private static void failToLoad(EngineOptions options, String part) {
    assertThatThrownBy(() -> Qwen25VlEngine.open(options).close()).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining(part);
  }

  /**
   * Resident memory once the Java garbage is gone: weights are staged in direct buffers, which the JVM frees
   * on a cleaner thread some time after a collection, so collect and give it a moment, twice.
   */
  private static long settledRssKb() throws IOException, InterruptedException {
    for (int i = 0; i < 2; i++) {
      System.gc();
      Thread.sleep(250);
    }
    return NativeMemoryTest.rssKb();
  }
}
