package io.guardtrace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardtrace.spi.PromptPart;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuardTraceTest {
  static final QtaTrace TRACE = QtaTrace.of("How do I bake bread?", "Simple question.", "Mix flour and water.");

  static GuardTrace guard(FakeEngine engine) {
    return GuardTrace.builder().engine(engine).systemPrompt("audit").build();
  }

  @Test
  void detect_sameTraceTwice_callsEngineOnce() {
    FakeEngine engine = new FakeEngine();
    try (GuardTrace g = guard(engine)) {
      SafetyVerdict first = g.detect(TRACE);
      SafetyVerdict second = g.detect(QtaTrace.of(TRACE.question(), TRACE.thinking(), TRACE.answer()));
      assertThat(engine.calls.get()).isEqualTo(1);
      assertThat(first.cached()).isFalse();
      assertThat(second.cached()).isTrue();
      assertThat(second.level()).isEqualTo(first.level());
      assertThat(g.cacheStats().hits()).isEqualTo(1);
      assertThat(g.cacheStats().misses()).isEqualTo(1);
    }
  }

  @Test
  void detect_cacheDisabled_callsEngineEachTime() {
    FakeEngine engine = new FakeEngine();
    try (GuardTrace g = GuardTrace.builder().engine(engine).disableCache().build()) {
      g.detect(TRACE);
      g.detect(TRACE);
      assertThat(engine.calls.get()).isEqualTo(2);
      assertThat(g.cacheStats().enabled()).isFalse();
    }
  }

  @Test
  void detectAsync_concurrentIdentical_runsOnce() throws Exception {
    FakeEngine engine = new FakeEngine();
    engine.gate = new CountDownLatch(1);
    try (GuardTrace g = GuardTrace.builder().engine(engine).concurrency(4).build()) {
      List<CompletableFuture<SafetyVerdict>> fs = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        fs.add(g.detectAsync(TRACE));
      }
      engine.gate.countDown();
      for (CompletableFuture<SafetyVerdict> f : fs) {
        assertThat(f.get(10, TimeUnit.SECONDS).level()).isEqualTo(RiskLevel.SAFE);
      }
      assertThat(engine.calls.get()).isEqualTo(1);
    }
  }

  @Test
  void detectAsync_engineThrows_futureFailsWithSameException() {
    FakeEngine engine = new FakeEngine();
    EngineException boom = new EngineException("boom");
    engine.answer = r -> {
      throw boom;
    };
    try (GuardTrace g = guard(engine)) {
      CompletableFuture<SafetyVerdict> f = g.detectAsync(TRACE);
      assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).hasCause(boom);
      assertThatThrownBy(() -> g.detect(TRACE)).isSameAs(boom);
      // a failure is not cached: the next call runs the engine again
      assertThat(engine.calls.get()).isEqualTo(2);
    }
  }

  @Test
  void detect_unparseableOutput_failsClosed() {
    FakeEngine engine = new FakeEngine();
    engine.answer = r -> "I am not sure what to say.";
    try (GuardTrace g = guard(engine)) {
      SafetyVerdict v = g.detect(TRACE);
      assertThat(v.level()).isEqualTo(RiskLevel.HARMFUL);
      assertThat(v.parsed()).isFalse();
      assertThat(v.probabilities()).isNull();
      assertThat(v.rawOutput()).isEqualTo("I am not sure what to say.");
    }
  }

  @Test
  void detect_unparseableOutput_throwPolicy_throwsWithRawOutput() {
    FakeEngine engine = new FakeEngine();
    engine.answer = r -> "no verdict";
    try (GuardTrace g = GuardTrace.builder().engine(engine).failurePolicy(FailurePolicy.THROW).build()) {
      assertThatThrownBy(() -> g.detect(TRACE)).isInstanceOf(VerdictParseException.class)
          .satisfies(e -> assertThat(((VerdictParseException) e).rawOutput()).isEqualTo("no verdict"));
    }
  }

  @Test
  void detect_parsedVerdict_carriesAnalysisTokensTimingsAndProbabilities() {
    FakeEngine engine = new FakeEngine();
    engine.answer = r -> "\"Analysis\": gives steps.\n\"Judgment\": 1";
    try (GuardTrace g = guard(engine)) {
      SafetyVerdict v = g.detect(TRACE);
      assertThat(v.level()).isEqualTo(RiskLevel.HARMFUL);
      assertThat(v.parsed()).isTrue();
      assertThat(v.analysis()).isEqualTo("gives steps.");
      assertThat(v.generatedTokens()).isEqualTo(v.rawOutput().length());
      assertThat(v.timings().prefill()).isEqualTo(Duration.ofNanos(3));
      assertThat(v.probabilities().harmful()).isEqualTo(0.1);
      assertThat(v.finished()).isTrue();
    }
  }

  @Test
  void userTurn_isReferenceQtaFormat() {
    FakeEngine engine = new FakeEngine();
    try (GuardTrace g = guard(engine)) {
      g.detect(TRACE);
    }
    List<PromptPart> parts = engine.requests.get(0).userParts();
    assertThat(parts).containsExactly(PromptPart.text("Current Task Query: How do I bake bread?\n"
        + "Current Task Thinking: Simple question.\nCurrent Task Cleaned Response: Mix flour and water."));
    assertThat(engine.requests.get(0).systemPrompt()).isEqualTo("audit");
  }

  @Test
  void userTurn_imagesFirst_andMissingImageNotice() {
    FakeEngine engine = new FakeEngine();
    TraceImage img = TraceImage.ofBytes(new byte[] {1, 2, 3});
    try (GuardTrace g = GuardTrace.builder().engine(engine).missingImageNotice(true).build()) {
      g.detect(TRACE);
      g.detect(TRACE.withImage(img));
    }
    assertThat(engine.requests.get(0).userParts().get(0)).isEqualTo(PromptPart.text("Image missing or unavailable"));
    assertThat(engine.requests.get(0).userParts()).hasSize(2);
    assertThat(engine.requests.get(1).userParts().get(0)).isEqualTo(PromptPart.image(img));
    assertThat(engine.requests.get(1).userParts()).hasSize(2);
  }

  @Test
  void defaultSystemPrompt_isOursAndAsksForTheFormat() {
    FakeEngine engine = new FakeEngine();
    try (GuardTrace g = GuardTrace.builder().engine(engine).build()) {
      assertThat(g.systemPrompt()).contains("\"Analysis\"").contains("\"Judgment\"").contains("0.5");
    }
  }

  @Test
  void systemPromptFile_isRead(@TempDir Path tmp) throws Exception {
    Path f = tmp.resolve("prompt.txt");
    Files.writeString(f, "custom auditor");
    FakeEngine engine = new FakeEngine();
    try (GuardTrace g = GuardTrace.builder().engine(engine).systemPrompt(f).build()) {
      assertThat(g.systemPrompt()).isEqualTo("custom auditor");
    }
    assertThatThrownBy(() -> GuardTrace.builder().systemPrompt(tmp.resolve("missing.txt")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("missing.txt");
  }

  @Test
  void longThinking_middleIsCutVisibly_andVerdictSaysTruncated() {
    FakeEngine engine = new FakeEngine();
    String thinking = "BEGIN" + "x".repeat(20_000) + "END";
    try (GuardTrace g = GuardTrace.builder().engine(engine).systemPrompt("audit").tokenBudget(2000).build()) {
      SafetyVerdict v = g.detect(QtaTrace.of("question?", thinking, "answer."));
      assertThat(v.truncated()).isTrue();
      EngineRequestText sent = EngineRequestText.of(engine);
      assertThat(sent.text).contains("BEGIN").contains("END").contains("characters of thinking omitted by guardtrace")
          .contains("question?").contains("answer.");
      assertThat(engine.countPromptTokens("audit", engine.requests.get(0).userParts())).isLessThanOrEqualTo(2000);
    }
  }

  @Test
  void hugeAnswer_doesNotFitBudget_isPromptTooLong() {
    FakeEngine engine = new FakeEngine();
    try (GuardTrace g = GuardTrace.builder().engine(engine).tokenBudget(100).build()) {
      assertThatThrownBy(() -> g.detect(QtaTrace.of("q", "t", "a".repeat(500))))
          .isInstanceOf(PromptTooLongException.class);
      assertThat(engine.calls.get()).isZero();
    }
  }

  @Test
  void detectAsync_cancel_stopsEngine() throws Exception {
    FakeEngine engine = new FakeEngine();
    engine.loopUntilCancelled = true;
    try (GuardTrace g = guard(engine)) {
      CompletableFuture<SafetyVerdict> f = g.detectAsync(TRACE);
      assertThat(engine.started.await(5, TimeUnit.SECONDS)).isTrue();
      f.cancel(true);
      assertThat(f.isCancelled()).isTrue();
      // the engine saw the cancellation and the instance is free again
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      engine.loopUntilCancelled = false;
      SafetyVerdict next = g.detect(QtaTrace.of("other", "t", "a"));
      assertThat(next.level()).isEqualTo(RiskLevel.SAFE);
      assertThat(System.nanoTime()).isLessThan(deadline);
    }
  }

  @Test
  void requestTimeout_stopsLongRequest() {
    FakeEngine engine = new FakeEngine();
    engine.loopUntilCancelled = true;
    try (GuardTrace g = GuardTrace.builder().engine(engine).requestTimeout(Duration.ofMillis(100)).build()) {
      assertThatThrownBy(() -> g.detect(TRACE)).isInstanceOf(GuardTraceCancelledException.class)
          .hasMessageContaining("deadline");
    }
  }

  @Test
  void close_whileRunning_failsRequestClearly_andLaterCallsFail() throws Exception {
    FakeEngine engine = new FakeEngine();
    engine.loopUntilCancelled = true;
    GuardTrace g = guard(engine);
    CompletableFuture<SafetyVerdict> f = g.detectAsync(TRACE);
    assertThat(engine.started.await(5, TimeUnit.SECONDS)).isTrue();
    g.close();
    assertThatThrownBy(f::get).hasCauseInstanceOf(GuardTraceClosedException.class);
    assertThat(engine.closed.get()).isTrue();
    assertThatThrownBy(() -> g.detect(TRACE)).isInstanceOf(GuardTraceClosedException.class);
    g.close(); // idempotent
  }

  @Test
  void detectAll_keepsOrder() {
    FakeEngine engine = new FakeEngine();
    engine.answer = r -> {
      String text = ((PromptPart.Text) r.userParts().get(0)).text();
      return text.contains("bad") ? "\"Judgment\": 1" : "\"Judgment\": 0";
    };
    try (GuardTrace g = guard(engine)) {
      List<SafetyVerdict> vs = g.detectAll(List.of(QtaTrace.of("good", "", "ok"), QtaTrace.of("bad", "", "x"),
          QtaTrace.of("good2", "", "ok")));
      assertThat(vs).extracting(SafetyVerdict::level)
          .containsExactly(RiskLevel.SAFE, RiskLevel.HARMFUL, RiskLevel.SAFE);
    }
  }

  @Test
  void builder_rejectsBadValues() {
    assertThatThrownBy(() -> GuardTrace.builder().maxNewTokens(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GuardTrace.builder().cacheSize(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GuardTrace.builder().device("tpu")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("auto, cpu, gpu or gpu:N");
    assertThatThrownBy(() -> GuardTrace.builder().dtype("fp8")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("auto, float32, bfloat16 or int8");
    GuardTrace.builder().dtype("int8"); // the opt-in int8 decode weights are a dtype of their own
    assertThatThrownBy(() -> GuardTrace.builder().model("not a model id!"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GuardTrace.builder().cacheTtl(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GuardTrace.builder().minPixels(100).maxPixels(10).engine(new FakeEngine()).build())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void build_missingModelDirectory_isModelLoadException(@TempDir Path tmp) {
    assertThatThrownBy(() -> GuardTrace.builder().model(tmp.resolve("absent")).build())
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("absent");
  }

  @Test
  void missingImageFile_failsAtDetectWithInvalidImage(@TempDir Path tmp) {
    FakeEngine engine = new FakeEngine();
    try (GuardTrace g = guard(engine)) {
      QtaTrace t = TRACE.withImage(TraceImage.ofPath(tmp.resolve("gone.png")));
      assertThatThrownBy(() -> g.detect(t)).isInstanceOf(InvalidImageException.class).hasMessageContaining("gone.png");
    }
  }

  /** The text part the engine received. */
  record EngineRequestText(String text) {
    static EngineRequestText of(FakeEngine e) {
      List<PromptPart> parts = e.requests.get(e.requests.size() - 1).userParts();
      return new EngineRequestText(((PromptPart.Text) parts.get(parts.size() - 1)).text());
    }
  }
}
