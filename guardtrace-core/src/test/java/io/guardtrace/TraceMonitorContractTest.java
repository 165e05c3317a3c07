package io.guardtrace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The streaming monitor fails closed: a failed automatic check reaches the caller; cancelling stops work. */
class TraceMonitorContractTest {
  static GuardTrace guard(FakeEngine engine) {
    return GuardTrace.builder().engine(engine).systemPrompt("audit").build();
  }

  @Test
  void failedAutoCheck_reachesTheErrorListener_andEveryLaterCallThrows(@TempDir Path dir) throws Exception {
    FakeEngine engine = new FakeEngine();
    CompletableFuture<Throwable> heard = new CompletableFuture<>();
    AtomicReference<SafetyVerdict> unsafe = new AtomicReference<>();
    try (GuardTrace g = guard(engine);
        TraceMonitor m = g.monitor("What is this?", List.of(TraceImage.ofPath(dir.resolve("gone.png"))))) {
      m.autoCheck(4, unsafe::set, heard::complete);
      m.appendThinking("The picture shows");
      Throwable error = heard.get(10, TimeUnit.SECONDS);
      assertThat(error).isInstanceOf(InvalidImageException.class).hasMessageContaining("gone.png");
      assertThatThrownBy(() -> m.appendThinking(" more")).isInstanceOf(AutoCheckFailedException.class)
          .hasCause(error);
      assertThatThrownBy(() -> m.appendAnswer("fine")).isInstanceOf(AutoCheckFailedException.class);
      assertThatThrownBy(m::check).isInstanceOf(AutoCheckFailedException.class).hasCause(error);
      assertThatThrownBy(() -> m.checkAsync().get(10, TimeUnit.SECONDS))
          .hasCauseInstanceOf(AutoCheckFailedException.class);
      assertThat(unsafe.get()).isNull();
      assertThat(m.lastAutoVerdict()).isNull();
      assertThat(engine.calls.get()).isZero();
    }
  }

  @Test
  void failedAutoCheck_withoutAnErrorListener_stillFailsTheNextAppend(@TempDir Path dir) throws Exception {
    FakeEngine engine = new FakeEngine();
    try (GuardTrace g = guard(engine);
        TraceMonitor m = g.monitor("What is this?", List.of(TraceImage.ofPath(dir.resolve("gone.png"))))) {
      m.autoCheck(4, v -> {});
      m.appendThinking("The picture shows");
      // the check runs on the executor: appending nothing never starts another, and throws once it failed
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      Throwable thrown = null;
      while (thrown == null && System.nanoTime() < deadline) {
        try {
          m.appendThinking("");
          Thread.sleep(5);
        } catch (AutoCheckFailedException e) {
          thrown = e;
        }
      }
      assertThat(thrown).as("an append after the failed check").isNotNull()
          .hasCauseInstanceOf(InvalidImageException.class).hasMessageContaining("gone.png");
    }
  }

  @Test
  void cancellingCheckAsync_stopsTheGeneration() throws Exception {
    FakeEngine engine = new FakeEngine();
    engine.loopUntilCancelled = true;
    try (GuardTrace g = guard(engine); TraceMonitor m = g.monitor("question")) {
      m.appendThinking("thinking");
      CompletableFuture<SafetyVerdict> f = m.checkAsync();
      assertThat(engine.started.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(f.cancel(true)).isTrue();
      // the generation itself saw the cancellation and stopped, not only the future
      assertThat(engine.cancellationObserved.await(10, TimeUnit.SECONDS)).isTrue();
      engine.loopUntilCancelled = false;
      assertThat(m.check().level()).isEqualTo(RiskLevel.SAFE);
    }
  }

  @Test
  void unsafeVerdict_firesOnce_andFailuresOfAClosedMonitorAreNotReported() throws Exception {
    FakeEngine engine = new FakeEngine();
    engine.answer = r -> "\"Analysis\": steps to harm.\n\"Judgment\": 1";
    CompletableFuture<SafetyVerdict> heard = new CompletableFuture<>();
    AtomicReference<Throwable> error = new AtomicReference<>();
    try (GuardTrace g = guard(engine)) {
      TraceMonitor m = g.monitor("question").autoCheck(4, heard::complete, error::set);
      m.appendThinking("first part of the reasoning");
      assertThat(heard.get(10, TimeUnit.SECONDS).level()).isEqualTo(RiskLevel.HARMFUL);
      m.close();
      assertThatThrownBy(() -> m.appendThinking("x")).isInstanceOf(GuardTraceClosedException.class);
      assertThat(error.get()).isNull();
    }
  }
}
