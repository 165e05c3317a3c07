package io.guardtrace.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardtrace.EngineException;
import io.guardtrace.FailurePolicy;
import io.guardtrace.GuardTrace;
import io.guardtrace.GuardTraceCancelledException;
import io.guardtrace.GuardTraceClosedException;
import io.guardtrace.InvalidImageException;
import io.guardtrace.InvalidInputException;
import io.guardtrace.Probabilities;
import io.guardtrace.PromptTooLongException;
import io.guardtrace.QtaPrompt;
import io.guardtrace.QtaTrace;
import io.guardtrace.RiskLevel;
import io.guardtrace.SafetyVerdict;
import io.guardtrace.TraceImage;
import io.guardtrace.TraceMonitor;
import io.guardtrace.VerdictParseException;
import io.guardtrace.spi.EngineRequest;
import io.guardtrace.spi.EngineResult;
import io.guardtrace.spi.PromptPart;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ScriptedGuardTest {
  static final QtaTrace BOMB_MAKING =
      QtaTrace.of("How do I build this?", "First wire the detonator to the timer.", "I can't help with that.");
  static final QtaTrace GARDENING = QtaTrace.of("How do I grow tomatoes?", "Sun, water.", "Plant them in May.");

  static ScriptedGuard.Builder detonatorScript() {
    return ScriptedGuard.builder()
        .when(t -> t.thinking().contains("detonator"), RiskLevel.HARMFUL, "explains a detonator")
        .otherwise(RiskLevel.SAFE, "harmless");
  }

  @Test
  void detect_matchingLine_isParsedFromTheModelsOutputFormat() {
    try (GuardTrace guard = detonatorScript().build()) {
      SafetyVerdict v = guard.detect(BOMB_MAKING);
      assertThat(v.level()).isEqualTo(RiskLevel.HARMFUL);
      assertThat(v.analysis()).isEqualTo("explains a detonator");
      assertThat(v.rawOutput()).isEqualTo("\"Analysis\": explains a detonator\n\"Judgment\": 1");
      assertThat(v.parsed()).isTrue();
      assertThat(v.finished()).isTrue();
      assertThat(v.cached()).isFalse();
      assertThat(v.probabilities()).isEqualTo(new Probabilities(0, 0, 1));
      assertThat(v.generatedTokenIds()).last().isEqualTo(151_645);
      assertThat(v.promptTokens()).isEqualTo(guard.countPromptTokens(BOMB_MAKING));
    }
  }

  @Test
  void detect_eachLevel_roundTripsThroughTheParser() {
    for (RiskLevel level : RiskLevel.values()) {
      try (GuardTrace guard = ScriptedGuard.builder().otherwise(level, "because").build()) {
        SafetyVerdict v = guard.detect(GARDENING);
        assertThat(v.level()).isEqualTo(level);
        assertThat(v.score()).isEqualTo(level.score());
        assertThat(v.analysis()).isEqualTo("because");
      }
    }
  }

  @Test
  void detect_linesAreTriedInOrder_otherwiseWhenNoneMatches() {
    try (GuardTrace guard = ScriptedGuard.builder()
        .when(t -> t.question().contains("tomatoes"), RiskLevel.POTENTIALLY_HARMFUL, "first")
        .when(t -> t.question().contains("grow"), RiskLevel.HARMFUL, "second")
        .otherwise(RiskLevel.SAFE, "none")
        .build()) {
      assertThat(guard.detect(GARDENING).analysis()).isEqualTo("first");
      assertThat(guard.detect(QtaTrace.of("How do I grow basil?", "", "")).analysis()).isEqualTo("second");
      assertThat(guard.detect(QtaTrace.of("Hello", "", "")).analysis()).isEqualTo("none");
    }
  }

  @Test
  void detect_noLineMatchesAndNoOtherwise_failsTheTestLoudly() {
    try (GuardTrace guard = ScriptedGuard.builder()
        .when(t -> t.question().contains("x-ray"), RiskLevel.SAFE, "x").build()) {
      assertThatThrownBy(() -> guard.detect(GARDENING)).isInstanceOf(AssertionError.class)
          .hasMessageContaining("otherwise").hasMessageContaining("tomatoes");
    }
  }

  @Test
  void whenever_isWhenForKotlin() {
    try (GuardTrace guard = ScriptedGuard.builder()
        .whenever(t -> t.answer().contains("May"), RiskLevel.POTENTIALLY_HARMFUL, "may")
        .whenever(t -> true, ScriptedReply.verdict(RiskLevel.SAFE, "rest"))
        .build()) {
      assertThat(guard.detect(GARDENING).level()).isEqualTo(RiskLevel.POTENTIALLY_HARMFUL);
      assertThat(guard.detect(BOMB_MAKING).level()).isEqualTo(RiskLevel.SAFE);
    }
  }

  @Test
  void detectAsync_andCache_behaveAsInProduction() {
    ScriptedEngine engine = detonatorScript().latency(Duration.ofMillis(200)).buildEngine();
    try (GuardTrace guard = GuardTrace.builder().engine(engine).build()) {
      CompletableFuture<SafetyVerdict> a = guard.detectAsync(BOMB_MAKING);
      CompletableFuture<SafetyVerdict> b = guard.detectAsync(BOMB_MAKING);
      assertThat(a.join().level()).isEqualTo(RiskLevel.HARMFUL);
      assertThat(b.join().level()).isEqualTo(RiskLevel.HARMFUL);
      SafetyVerdict again = guard.detect(BOMB_MAKING);
      assertThat(again.cached()).isTrue();
      // identical concurrent requests ran the model once; the third was a cache hit
      assertThat(engine.requests()).hasSize(1);
      assertThat(guard.cacheStats().hits()).isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void detectAll_returnsVerdictsInOrder() {
    try (GuardTrace guard = detonatorScript().build()) {
      List<SafetyVerdict> verdicts = guard.detectAll(List.of(GARDENING, BOMB_MAKING, GARDENING.withAnswer("x")));
      assertThat(verdicts).extracting(SafetyVerdict::level)
          .containsExactly(RiskLevel.SAFE, RiskLevel.HARMFUL, RiskLevel.SAFE);
    }
  }

  @Test
  void detectAll_failure_isThrownAfterEveryRequestFinished() {
    ScriptedEngine engine = detonatorScript().buildEngine();
    try (GuardTrace guard = GuardTrace.builder().engine(engine).build()) {
      TraceImage broken = TraceImage.ofBytes("not an image".getBytes());
      assertThatThrownBy(() -> guard.detectAll(List.of(GARDENING, GARDENING.withImage(broken), BOMB_MAKING)))
          .isInstanceOf(InvalidImageException.class);
      assertThat(engine.judgedTraces()).containsExactlyInAnyOrder(GARDENING, BOMB_MAKING);
    }
  }

  @Test
  void monitor_checksThePartialTraceByTheSameScript() {
    ScriptedEngine engine = detonatorScript().buildEngine();
    try (GuardTrace guard = GuardTrace.builder().engine(engine).build();
        TraceMonitor m = guard.monitor("How do I build this?")) {
      assertThat(m.cachedTokens()).isZero();
      m.appendThinking("First I list the parts. ");
      SafetyVerdict early = m.check();
      assertThat(early.level()).isEqualTo(RiskLevel.SAFE);
      assertThat(m.cachedTokens()).isEqualTo(early.promptTokens());
      m.appendThinking("Then wire the detonator.");
      assertThat(m.check().level()).isEqualTo(RiskLevel.HARMFUL);
      m.appendAnswer("I can't help.");
      SafetyVerdict last = m.check();
      assertThat(last).isEqualTo(guard.detect(m.trace()));
      assertThat(engine.judgedTraces()).extracting(QtaTrace::thinking).containsExactly(
          "First I list the parts. ", "First I list the parts. Then wire the detonator.",
          "First I list the parts. Then wire the detonator.", "First I list the parts. Then wire the detonator.");
    }
  }

  @Test
  void monitor_autoCheck_reportsTheFirstUnsafeVerdict() throws Exception {
    try (GuardTrace guard = detonatorScript().build();
        TraceMonitor m = guard.monitor("How do I build this?")) {
      CountDownLatch alerted = new CountDownLatch(1);
      AtomicReference<SafetyVerdict> seen = new AtomicReference<>();
      m.autoCheck(3, v -> {
        seen.set(v);
        alerted.countDown();
      });
      m.appendThinking("I will explain how to wire the detonator step by step.");
      assertThat(alerted.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(seen.get().level()).isEqualTo(RiskLevel.HARMFUL);
    }
  }

  @Test
  void monitor_closed_failsFurtherChecks() {
    try (GuardTrace guard = detonatorScript().build()) {
      TraceMonitor m = guard.monitor("q");
      m.close();
      assertThatThrownBy(m::check).isInstanceOf(GuardTraceClosedException.class);
    }
  }

  @Test
  void badImageBytes_areInvalidImage_beforeTheModelRuns() {
    ScriptedEngine engine = detonatorScript().buildEngine();
    try (GuardTrace guard = GuardTrace.builder().engine(engine).build()) {
      QtaTrace trace = GARDENING.withImage(TraceImage.ofBytes(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
      assertThatThrownBy(() -> guard.detect(trace)).isInstanceOf(InvalidImageException.class)
          .hasMessageContaining("not an image in a supported format");
      assertThat(engine.requests()).isEmpty();
    }
  }

  @Test
  void truncatedImage_readsItsHeaderButFailsToDecode() {
    ScriptedEngine engine = detonatorScript().buildEngine();
    try (GuardTrace guard = GuardTrace.builder().engine(engine).build()) {
      QtaTrace trace = GARDENING.withImage(TestImages.truncatedPng());
      assertThat(guard.countPromptTokens(trace)).isPositive();
      assertThatThrownBy(() -> guard.detect(trace)).isInstanceOf(InvalidImageException.class)
          .hasMessageContaining("corrupt or truncated");
      assertThat(engine.requests()).hasSize(1);
    }
  }

  @Test
  void decompressionBomb_isRefusedFromItsHeader() {
    try (GuardTrace guard = detonatorScript().build()) {
      QtaTrace trace = GARDENING.withImage(TestImages.bomb(100_000, 100_000));
      assertThatThrownBy(() -> guard.detect(trace)).isInstanceOf(InvalidImageException.class)
          .hasMessageContaining("100000x100000").hasMessageContaining("limit");
    }
  }

  @Test
  void imageSettingsOfTheGuard_reachTheScriptedEngine() {
    QtaTrace trace = GARDENING.withImage(TraceImage.ofBytes(TestImages.png(100, 100)));
    try (GuardTrace guard = detonatorScript().configure(b -> b.maxImagePixels(5_000)).build()) {
      assertThatThrownBy(() -> guard.detect(trace)).isInstanceOf(InvalidImageException.class)
          .hasMessageContaining("5000-pixel limit");
    }
    try (GuardTrace guard = detonatorScript().configure(b -> b.maxPixels(56 * 56)).build()) {
      // 100x100 scaled down to at most 56x56 pixels: 2x2 blocks of 28
      assertThat(guard.countPromptTokens(trace) - guard.countPromptTokens(GARDENING)).isEqualTo(4 + 2);
    }
  }

  @Test
  void elongatedImage_isRefusedAsTheModelRefusesIt() {
    try (GuardTrace guard = detonatorScript().build()) {
      QtaTrace trace = GARDENING.withImage(TraceImage.ofBytes(TestImages.png(402, 2)));
      assertThatThrownBy(() -> guard.detect(trace)).isInstanceOf(InvalidImageException.class)
          .hasMessageContaining("200:1");
    }
  }

  @Test
  void imageTokens_areTheModelsForTheImageSize() {
    try (GuardTrace guard = detonatorScript().build()) {
      // 56x56 stays 56x56: 2x2 blocks of 28x28 pixels, plus <|vision_start|> and <|vision_end|>
      QtaTrace withImage = GARDENING.withImage(TraceImage.ofBytes(TestImages.png(56, 56)));
      assertThat(guard.detect(withImage).promptTokens() - guard.detect(GARDENING).promptTokens()).isEqualTo(6);
      // 640x480 becomes 644x476: 23x17 blocks
      QtaTrace photo = GARDENING.withImage(TraceImage.ofBytes(TestImages.png(640, 480)));
      assertThat(guard.countPromptTokens(photo) - guard.countPromptTokens(GARDENING)).isEqualTo(23 * 17 + 2);
    }
  }

  @Test
  void rawOutputWithoutJudgment_failsClosed() {
    try (GuardTrace guard = ScriptedGuard.builder().whenRaw(t -> true, "I am not sure what to say.").build()) {
      SafetyVerdict v = guard.detect(GARDENING);
      assertThat(v.level()).isEqualTo(RiskLevel.HARMFUL);
      assertThat(v.parsed()).isFalse();
      assertThat(v.rawOutput()).isEqualTo("I am not sure what to say.");
      assertThat(v.probabilities()).isNull();
    }
  }

  @Test
  void rawOutputWithoutJudgment_underThrowPolicy_throwsWithTheOutput() {
    try (GuardTrace guard = ScriptedGuard.builder().whenRaw(t -> true, "garbage")
        .configure(b -> b.failurePolicy(FailurePolicy.THROW)).build()) {
      assertThatThrownBy(() -> guard.detect(GARDENING)).isInstanceOf(VerdictParseException.class)
          .satisfies(e -> assertThat(((VerdictParseException) e).rawOutput()).isEqualTo("garbage"));
    }
  }

  @Test
  void rawOutputInAnotherSpelling_isReadByTheRealParser() {
    try (GuardTrace guard = ScriptedGuard.builder()
        .whenRaw(t -> true, "{\"Analysis\": \"json form\", \"Judgement\": 0.5}").build()) {
      SafetyVerdict v = guard.detect(GARDENING);
      assertThat(v.level()).isEqualTo(RiskLevel.POTENTIALLY_HARMFUL);
      assertThat(v.analysis()).isEqualTo("json form");
    }
  }

  @Test
  void failure_otherExceptions_reachTheCallerAsEngineException() {
    try (GuardTrace guard = detonatorScript()
        .failWhen(t -> true, () -> new IllegalStateException("GPU lost")).build()) {
      // the detonator line comes first
      assertThat(guard.detect(BOMB_MAKING).level()).isEqualTo(RiskLevel.HARMFUL);
      assertThatThrownBy(() -> guard.detect(GARDENING)).isInstanceOf(EngineException.class)
          .hasMessageContaining("GPU lost").hasCauseInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> guard.detectAsync(GARDENING.withAnswer("y")).join())
          .isInstanceOf(CompletionException.class).hasCauseInstanceOf(EngineException.class);
    }
  }

  @Test
  void failure_guardTraceExceptions_reachTheCallerAsTheyAre() {
    try (GuardTrace guard = ScriptedGuard.builder()
        .failWhen(t -> true, () -> new InvalidInputException("bad trace")).build()) {
      assertThatThrownBy(() -> guard.detect(GARDENING)).isExactlyInstanceOf(InvalidInputException.class)
          .hasMessage("bad trace");
    }
  }

  @Test
  void latency_pastTheRequestTimeout_stopsTheRequest() {
    try (GuardTrace guard = detonatorScript().latency(Duration.ofSeconds(30))
        .configure(b -> b.requestTimeout(Duration.ofMillis(100))).build()) {
      assertThatThrownBy(() -> guard.detect(GARDENING)).isInstanceOf(GuardTraceCancelledException.class)
          .hasMessageContaining("deadline");
    }
  }

  @Test
  void latency_perReply_overridesTheDefault() {
    ScriptedEngine engine = ScriptedGuard.builder().latency(Duration.ofSeconds(30))
        .when(t -> true, ScriptedReply.verdict(RiskLevel.SAFE, "quick").after(Duration.ZERO)).buildEngine();
    try (GuardTrace guard = GuardTrace.builder().engine(engine).requestTimeout(Duration.ofSeconds(20)).build()) {
      assertThat(guard.detect(GARDENING).analysis()).isEqualTo("quick");
    }
  }

  @Test
  void cancellingTheFuture_stopsTheScriptedModel() {
    ScriptedEngine engine = detonatorScript().latency(Duration.ofSeconds(30)).buildEngine();
    GuardTrace guard = GuardTrace.builder().engine(engine).disableCache().build();
    CompletableFuture<SafetyVerdict> f = guard.detectAsync(GARDENING);
    awaitRequests(engine, 1);
    assertThat(f.cancel(true)).isTrue();
    // close() waits for running requests: it returns at once only if the cancelled one stopped
    long start = System.nanoTime();
    guard.close();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    assertThat(engine.isClosed()).isTrue();
  }

  @Test
  void close_failsTheRunningRequestAndLaterCalls() {
    ScriptedEngine engine = detonatorScript().latency(Duration.ofSeconds(30)).buildEngine();
    GuardTrace guard = GuardTrace.builder().engine(engine).build();
    CompletableFuture<SafetyVerdict> running = guard.detectAsync(GARDENING);
    awaitRequests(engine, 1);
    guard.close();
    assertThatThrownBy(running::join).hasCauseInstanceOf(GuardTraceClosedException.class);
    assertThatThrownBy(() -> guard.detect(GARDENING)).isInstanceOf(GuardTraceClosedException.class);
    assertThat(engine.isClosed()).isTrue();
    assertThatThrownBy(() -> engine.generate(EngineRequest.of("s", List.of(PromptPart.text("q")), 8)))
        .isInstanceOf(GuardTraceClosedException.class);
  }

  @Test
  void probabilities_reachTheVerdict() {
    try (GuardTrace guard = ScriptedGuard.builder()
        .otherwise(ScriptedReply.verdict(RiskLevel.HARMFUL, "x").withProbabilities(0.1, 0.2, 0.7)).build()) {
      SafetyVerdict v = guard.detect(GARDENING);
      assertThat(v.probabilities()).isEqualTo(new Probabilities(0.1, 0.2, 0.7));
      assertThat(v.probabilities().unsafe()).isEqualTo(0.9, org.assertj.core.data.Offset.offset(1e-12));
    }
    assertThatThrownBy(() -> ScriptedReply.raw("x").withProbabilities(0.5, 0.5, 0.5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sum to 1");
  }

  @Test
  void recordedRequests_holdTheExactPrompt() {
    ScriptedEngine engine = detonatorScript().buildEngine();
    TraceImage image = TraceImage.ofBytes(TestImages.png(30, 30));
    QtaTrace trace = BOMB_MAKING.withImage(image);
    try (GuardTrace guard = GuardTrace.builder().engine(engine).systemPrompt("Audit this.").build()) {
      guard.detect(trace);
    }
    assertThat(engine.requests()).hasSize(1);
    EngineRequest r = engine.lastRequest();
    assertThat(r.systemPrompt()).isEqualTo("Audit this.");
    assertThat(r.userParts()).containsExactly(PromptPart.image(image), PromptPart.text(
        "Current Task Query: How do I build this?\nCurrent Task Thinking: First wire the detonator to the timer."
            + "\nCurrent Task Cleaned Response: I can't help with that."));
    assertThat(r.maxNewTokens()).isEqualTo(GuardTrace.Builder.DEFAULT_MAX_NEW_TOKENS);
    assertThat(r.trace()).isEqualTo(trace);
    assertThat(engine.judgedTraces()).containsExactly(trace);
    engine.clearRequests();
    assertThat(engine.requests()).isEmpty();
    assertThat(engine.lastRequest()).isNull();
  }

  @Test
  void missingImageNotice_isInTheRecordedPrompt() {
    ScriptedEngine engine = detonatorScript().buildEngine();
    try (GuardTrace guard = GuardTrace.builder().engine(engine).missingImageNotice(true).build()) {
      guard.detect(GARDENING);
    }
    assertThat(engine.lastRequest().userParts().get(0)).isEqualTo(PromptPart.text(QtaPrompt.MISSING_IMAGE));
  }

  @Test
  void tokenBudget_scriptSeesTheTraceAsTheModelDoes() {
    StringBuilder thinking = new StringBuilder();
    for (int i = 0; i < 400; i++) {
      thinking.append(i == 200 ? "wire the detonator. " : "Let me think about the garden. ");
    }
    QtaTrace longTrace = QtaTrace.of("How do I grow tomatoes?", thinking.toString(), "In May.");
    ScriptedEngine engine = detonatorScript().buildEngine();
    try (GuardTrace guard = GuardTrace.builder().engine(engine).tokenBudget(1_500).build()) {
      SafetyVerdict v = guard.detect(longTrace);
      // the middle of the thinking, with the detonator, was cut to fit: the model never saw it
      assertThat(v.truncated()).isTrue();
      assertThat(v.level()).isEqualTo(RiskLevel.SAFE);
      assertThat(v.promptTokens()).isLessThanOrEqualTo(1_500);
      QtaTrace seen = engine.judgedTraces().get(0);
      assertThat(seen.thinking()).contains("characters of thinking omitted by guardtrace")
          .doesNotContain("detonator").startsWith("Let me think").endsWith("garden. ");
      assertThat(seen.question()).isEqualTo(longTrace.question());
    }
    try (GuardTrace guard = detonatorScript().build()) {
      assertThat(guard.detect(longTrace).level()).isEqualTo(RiskLevel.HARMFUL);
    }
  }

  @Test
  void maxNewTokens_cutsTheOutputBeforeItsJudgment_failsClosed() {
    try (GuardTrace guard = detonatorScript().configure(b -> b.maxNewTokens(3)).build()) {
      SafetyVerdict v = guard.detect(GARDENING);
      assertThat(v.level()).isEqualTo(RiskLevel.HARMFUL);
      assertThat(v.parsed()).isFalse();
      assertThat(v.finished()).isFalse();
      assertThat(v.generatedTokens()).isEqualTo(3);
      assertThat(v.rawOutput()).isEqualTo("\"Analysis\": harmless");
    }
  }

  @Test
  void promptOverTheContext_isPromptTooLong() {
    ScriptedEngine engine = detonatorScript().buildEngine();
    EngineRequest huge = EngineRequest.of("s", List.of(PromptPart.text("word ".repeat(130_000))), 16);
    assertThatThrownBy(() -> engine.generate(huge)).isInstanceOf(PromptTooLongException.class)
        .hasMessageContaining("context length");
  }

  @Test
  void generate_streamsEveryTokenToTheListener() {
    ScriptedEngine engine = detonatorScript().buildEngine();
    List<Integer> ids = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    EngineRequest request = new EngineRequest("s", List.of(PromptPart.text("q")), 100, false, (id, piece) -> {
      ids.add(id);
      text.append(piece);
    }, EngineRequest.Cancellation.NEVER);
    EngineResult r = engine.generate(request);
    assertThat(text.toString()).isEqualTo(r.text()).isEqualTo("\"Analysis\": harmless\n\"Judgment\": 0");
    assertThat(ids).isEqualTo(r.generatedTokenIds());
    assertThat(r.finishReason()).isEqualTo(EngineResult.FinishReason.EOS);
  }

  @Test
  void requestNotMadeFromATrace_isJudgedByItsText() {
    ScriptedEngine engine = detonatorScript().buildEngine();
    EngineResult r = engine.generate(EngineRequest.of("s", List.of(PromptPart.text("the detonator")), 100));
    assertThat(r.text()).endsWith("\"Judgment\": 0");
    assertThat(engine.judgedTraces()).containsExactly(QtaTrace.of("the detonator", "", ""));
  }

  @Test
  void countTokens_approximatesQwensTokenizer() {
    try (GuardTrace guard = detonatorScript().build()) {
      // Qwen2.5: "Hello" "," " world" "!" and one token per digit
      assertThat(guard.countTokens("Hello, world!")).isEqualTo(4);
      assertThat(guard.countTokens("2025")).isEqualTo(4);
      assertThat(guard.countTokens("")).isZero();
    }
  }

  @Test
  void identity_isPartOfTheGuardsIdentity() {
    try (GuardTrace guard = detonatorScript().identity("policy-v2").build()) {
      assertThat(guard.modelIdentity()).isEqualTo("policy-v2");
    }
    assertThatThrownBy(() -> ScriptedGuard.builder().identity(" ")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void build_twice_givesIndependentGuards() {
    ScriptedGuard.Builder script = detonatorScript();
    GuardTrace first = script.build();
    try (GuardTrace second = script.build()) {
      first.close();
      assertThat(second.detect(BOMB_MAKING).level()).isEqualTo(RiskLevel.HARMFUL);
    }
  }

  static void awaitRequests(ScriptedEngine engine, int n) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (engine.requests().size() < n) {
      assertThat(System.nanoTime()).as("waited for the engine to receive a request").isLessThan(deadline);
      Thread.onSpinWait();
    }
  }
}
