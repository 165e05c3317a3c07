package io.guardtrace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link GuardTrace#detectAsync}: all the work, file reading included, runs inside the request, and every
 * failure arrives through the future, with the verdict cache on or off.
 */
class DetectAsyncContractTest {
  static final QtaTrace TRACE = GuardTraceTest.TRACE;
  static final Duration NO_HANG = Duration.ofSeconds(20);

  static GuardTrace guard(FakeEngine engine, boolean cache) {
    GuardTrace.Builder b = GuardTrace.builder().engine(engine).systemPrompt("audit");
    return (cache ? b : b.disableCache()).build();
  }

  static Throwable failure(CompletableFuture<?> f) {
    assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
    return f.handle((v, e) -> e).join();
  }

  @ParameterizedTest(name = "cache {0}")
  @ValueSource(booleans = {true, false})
  void missingImage_failsTheFuture_neverThrows(boolean cache, @TempDir Path dir) {
    FakeEngine engine = new FakeEngine();
    try (GuardTrace g = guard(engine, cache)) {
      CompletableFuture<SafetyVerdict> f = g.detectAsync(TRACE.withImage(TraceImage.ofPath(dir.resolve("gone.png"))));
      assertThat(failure(f)).isInstanceOf(InvalidImageException.class).hasMessageContaining("gone.png");
      assertThat(engine.calls.get()).isZero();
    }
  }

  @ParameterizedTest(name = "cache {0}")
  @ValueSource(booleans = {true, false})
  void fifoImage_callerNeverBlocks_andTheFutureFailsWithInvalidImage(boolean cache, @TempDir Path dir)
      throws Exception {
    Path fifo = SpecialFiles.fifo(dir.resolve("image.png"));
    FakeEngine engine = new FakeEngine();
    try (GuardTrace g = guard(engine, cache)) {
      QtaTrace t = TRACE.withImage(TraceImage.ofPath(fifo));
      CompletableFuture<SafetyVerdict> f = assertTimeoutPreemptively(NO_HANG, () -> g.detectAsync(t));
      assertThat(failure(f)).isInstanceOf(InvalidImageException.class).hasMessageContaining("not a regular file");
    } finally {
      SpecialFiles.unblock(fifo);
    }
  }

  @Test
  void imagesAreReadOnTheExecutor_notOnTheCallingThread(@TempDir Path dir) throws Exception {
    Path png = Files.write(dir.resolve("a.png"), new byte[] {1, 2, 3});
    ConcurrentLinkedQueue<Runnable> queued = new ConcurrentLinkedQueue<>();
    Executor later = queued::add;
    FakeEngine engine = new FakeEngine();
    try (GuardTrace g = GuardTrace.builder().engine(engine).executor(later).build()) {
      CompletableFuture<SafetyVerdict> f = g.detectAsync(TRACE.withImage(TraceImage.ofPath(png)));
      // the cache key needs the image's hash; it is computed inside the request, so the file is still
      // unread: deleting it now makes the request fail once it runs
      Files.delete(png);
      assertThat(f).isNotDone();
      queued.poll().run();
      assertThat(failure(f)).isInstanceOf(InvalidImageException.class).hasMessageContaining("a.png");
    }
  }

  @Test
  void deadline_failsTheFuture_evenWhenTheRequestNeverGetsToRun() {
    FakeEngine engine = new FakeEngine();
    ConcurrentLinkedQueue<Runnable> stuck = new ConcurrentLinkedQueue<>();
    try (GuardTrace g = GuardTrace.builder().engine(engine).executor(stuck::add)
        .requestTimeout(Duration.ofMillis(200)).build()) {
      CompletableFuture<SafetyVerdict> f = g.detectAsync(TRACE);
      assertThat(failure(f)).isInstanceOf(GuardTraceCancelledException.class).hasMessageContaining("deadline");
      // when the executor finally gets to it, the request has nothing left to do
      stuck.poll().run();
      assertThat(engine.calls.get()).isZero();
    }
  }

  @Test
  void deadline_failsEveryCaller_andStopsTheRunTheyShared() throws Exception {
    FakeEngine engine = new FakeEngine();
    engine.loopUntilCancelled = true;
    try (GuardTrace g = GuardTrace.builder().engine(engine).requestTimeout(Duration.ofMillis(500)).build()) {
      CompletableFuture<SafetyVerdict> a = g.detectAsync(TRACE);
      CompletableFuture<SafetyVerdict> b = g.detectAsync(TRACE);
      assertThat(failure(a)).isInstanceOf(GuardTraceCancelledException.class).hasMessageContaining("deadline");
      assertThat(failure(b)).isInstanceOf(GuardTraceCancelledException.class).hasMessageContaining("deadline");
      // on a loaded machine a request may reach its deadline before it reaches the engine; a run that did start
      // was stopped once no caller waited for it (it loops until it sees its cancellation)
      if (engine.calls.get() > 0) {
        assertThat(engine.cancellationObserved.await(10, TimeUnit.SECONDS)).isTrue();
      }
    }
  }

  @ParameterizedTest(name = "cache {0}")
  @ValueSource(booleans = {true, false})
  void afterClose_theFutureFails_nullTraceThrows(boolean cache) {
    FakeEngine engine = new FakeEngine();
    GuardTrace g = guard(engine, cache);
    g.close();
    assertThat(failure(g.detectAsync(TRACE))).isInstanceOf(GuardTraceClosedException.class);
    assertThatThrownBy(() -> g.detectAsync(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> g.detect(TRACE)).isInstanceOf(GuardTraceClosedException.class);
  }

  @Test
  void cancelWhileQueued_neverRunsTheEngine() {
    ConcurrentLinkedQueue<Runnable> queued = new ConcurrentLinkedQueue<>();
    FakeEngine engine = new FakeEngine();
    try (GuardTrace g = GuardTrace.builder().engine(engine).executor(queued::add).build()) {
      CompletableFuture<SafetyVerdict> f = g.detectAsync(TRACE);
      f.cancel(true);
      queued.poll().run();
      assertThat(engine.calls.get()).isZero();
      // nothing of the cancelled request stays cached: the same trace runs the engine
      CompletableFuture<SafetyVerdict> again = g.detectAsync(TRACE);
      queued.poll().run();
      assertThat(again.join().cached()).isFalse();
      assertThat(engine.calls.get()).isEqualTo(1);
    }
  }

  @Test
  void identicalRequestsWithAnImage_shareOneRun_whileKeysAreComputedInsideTheRequests(@TempDir Path dir)
      throws Exception {
    Path png = Files.write(dir.resolve("a.png"), new byte[] {1, 2, 3});
    FakeEngine engine = new FakeEngine();
    engine.gate = new CountDownLatch(1);
    try (GuardTrace g = GuardTrace.builder().engine(engine).concurrency(4).build()) {
      List<CompletableFuture<SafetyVerdict>> fs = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        // a new TraceImage each time: each request reads and hashes its own
        fs.add(g.detectAsync(TRACE.withImage(TraceImage.ofPath(png))));
      }
      assertThat(engine.started.await(10, TimeUnit.SECONDS)).isTrue();
      engine.gate.countDown();
      long fresh = 0;
      for (CompletableFuture<SafetyVerdict> f : fs) {
        fresh += f.get(10, TimeUnit.SECONDS).cached() ? 0 : 1;
      }
      assertThat(engine.calls.get()).isEqualTo(1);
      assertThat(fresh).isEqualTo(1);
    }
  }

  @Test
  void sharedRun_survivesItsCreatorLeaving_andStopsWhenTheLastCallerLeaves() throws Exception {
    FakeEngine engine = new FakeEngine();
    engine.gate = new CountDownLatch(1);
    try (GuardTrace g = GuardTrace.builder().engine(engine).concurrency(4).build()) {
      List<CompletableFuture<SafetyVerdict>> fs = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        fs.add(g.detectAsync(TRACE));
      }
      assertThat(engine.started.await(10, TimeUnit.SECONDS)).isTrue();
      // wait until every request has joined the run (the key is computed on the executor)
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (g.cacheStats().hits() < 15 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      for (int i = 0; i < 16; i += 2) {
        fs.get(i).cancel(true); // the creator (first) among them
      }
      engine.gate.countDown();
      for (int i = 1; i < 16; i += 2) {
        assertThat(fs.get(i).get(10, TimeUnit.SECONDS).level()).isEqualTo(RiskLevel.SAFE);
      }
      assertThat(engine.calls.get()).isEqualTo(1);
    }
    FakeEngine looping = new FakeEngine();
    looping.loopUntilCancelled = true;
    try (GuardTrace g = GuardTrace.builder().engine(looping).concurrency(4).build()) {
      List<CompletableFuture<SafetyVerdict>> fs = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        fs.add(g.detectAsync(TRACE));
      }
      assertThat(looping.started.await(10, TimeUnit.SECONDS)).isTrue();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (g.cacheStats().hits() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      fs.forEach(f -> f.cancel(true));
      assertThat(looping.cancellationObserved.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(looping.calls.get()).isEqualTo(1);
    }
  }

  @Test
  void detectAll_nullElement_throwsBeforeAnythingStarts() {
    FakeEngine engine = new FakeEngine();
    ConcurrentLinkedQueue<Runnable> submitted = new ConcurrentLinkedQueue<>();
    try (GuardTrace g = GuardTrace.builder().engine(engine).executor(submitted::add).build()) {
      assertThatThrownBy(() -> g.detectAll(Arrays.asList(TRACE, null))).isInstanceOf(NullPointerException.class);
      assertThat(submitted).isEmpty();
    }
  }

  @Test
  void detectAll_aFailingTrace_throwsItsFailure_afterEveryOtherRan(@TempDir Path dir) {
    FakeEngine engine = new FakeEngine();
    try (GuardTrace g = guard(engine, true)) {
      List<QtaTrace> traces = List.of(QtaTrace.of("one", "", "a"),
          QtaTrace.of("two", "", "a").withImage(TraceImage.ofPath(dir.resolve("gone.png"))),
          QtaTrace.of("three", "", "a"));
      assertThatThrownBy(() -> g.detectAll(traces)).isInstanceOf(InvalidImageException.class)
          .hasMessageContaining("gone.png");
      assertThat(engine.calls.get()).isEqualTo(2);
    }
  }
}
