package io.guardtrace.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.RiskLevel;
import io.guardtrace.SafetyVerdict;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs every example against the tiny random-weight fixture model. Its output is meaningless text with no
 * judgment, so each verdict must come back failed closed: HARMFUL with parsed() false, never SAFE.
 */
class ExamplesTest {
  static Path tinyModel() {
    String prop = System.getProperty("guardtrace.testdata");
    return (prop != null ? Path.of(prop) : Path.of("..", "testdata")).resolve("qwen2_5_vl/tiny-qwen2_5_vl");
  }

  static void assertFailedClosed(SafetyVerdict v, int maxNewTokens) {
    assertThat(v.parsed()).isFalse();
    assertThat(v.level()).isEqualTo(RiskLevel.HARMFUL);
    assertThat(v.promptTokens()).isGreaterThan(100);
    assertThat(v.generatedTokens()).isBetween(1, maxNewTokens);
  }

  @Test
  void javaDetectText() {
    assertFailedClosed(DetectText.run(tinyModel(), 8), 8);
  }

  @Test
  void javaDetectWithImage_theImageReachesThePrompt() {
    Path image = tinyModel().resolveSibling("images").resolve("img_64x48_rgba.png");
    SafetyVerdict v = DetectWithImage.run(tinyModel(), image, 6);
    assertFailedClosed(v, 6);
    QtaTrace trace = DetectWithImage.trace(image);
    QtaTrace withoutImage = QtaTrace.of(trace.question(), trace.thinking(), trace.answer());
    try (GuardTrace guard = GuardTrace.builder().model(tinyModel()).build()) {
      // the image adds its vision tokens and <|vision_start|>, <|vision_end|>
      assertThat(v.promptTokens()).isEqualTo(guard.countPromptTokens(trace))
          .isGreaterThan(guard.countPromptTokens(withoutImage) + 2);
    }
  }

  @Test
  void javaDetectAsyncBatch_repeatedTraceServedFromCache() {
    DetectAsyncBatch.Result r = DetectAsyncBatch.run(tinyModel(), 6);
    assertThat(r.verdicts()).hasSize(4);
    r.verdicts().forEach(v -> assertFailedClosed(v, 6));
    assertThat(r.cache().misses()).isEqualTo(3);
    assertThat(r.cache().hits()).isEqualTo(1);
    assertThat(r.verdicts().get(2).generatedTokenIds()).isEqualTo(r.verdicts().get(0).generatedTokenIds());
  }

  @Test
  void kotlinCoroutines() {
    List<SafetyVerdict> vs = KotlinExample.run(tinyModel(), 6);
    assertThat(vs).hasSize(2);
    vs.forEach(v -> assertFailedClosed(v, 6));
  }

  @Test
  void scalaFutures() {
    assertFailedClosed(ScalaExample.run(tinyModel(), 6), 6);
  }

  @Test
  void javaStreamingMonitor_cutsTheStreamOffWhenFlagged() {
    // the random model's verdicts fail closed (unsafe), so the first automatic check stops the stream
    StreamingMonitor.Result r = StreamingMonitor.run(tinyModel(), 4, 8);
    assertThat(r.cutOff()).isTrue();
    assertThat(r.verdict().isSafe()).isFalse();
    assertThat(r.streamed()).isNotEmpty().doesNotEndWith("HR instead.");
  }

  @Test
  void kotlinFlow_isCutOffByTheMonitor() {
    kotlin.Pair<List<String>, SafetyVerdict> r = KotlinStreaming.run(tinyModel(), 4, 8);
    assertThat(r.getSecond()).isNotNull();
    assertThat(r.getFirst().size()).isLessThan(23);
  }
}
