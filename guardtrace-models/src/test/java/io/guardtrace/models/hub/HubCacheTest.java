package io.guardtrace.models.hub;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache's ref files under threads of one process (the cross-process case is in HuggingFaceHubTest). */
class HubCacheTest {
  private static final String COMMIT_A = "a".repeat(40);
  private static final String COMMIT_B = "b".repeat(40);

  @Test
  void threadsWritingTheSameRef_allSucceed_andLeaveOneWholeCommit_andNoTemporaryFiles(@TempDir Path root)
      throws Exception {
    HubCache cache = new HubCache(root);
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<?>> writes = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String commit = t % 2 == 0 ? COMMIT_A : COMMIT_B;
        writes.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < 200; i++) {
            cache.writeRef("org/tiny", "main", commit);
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> w : writes) {
        w.get(60, TimeUnit.SECONDS); // before: NoSuchFileException when another thread had moved the shared temp
      }
    } finally {
      pool.shutdownNow();
    }
    Path refs = root.resolve("models--org--tiny").resolve("refs");
    assertThat(Files.readString(refs.resolve("main"))).isIn(COMMIT_A, COMMIT_B);
    try (Stream<Path> left = Files.list(refs)) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactly("main");
    }
  }
}
