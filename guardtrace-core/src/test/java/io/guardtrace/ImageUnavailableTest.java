package io.guardtrace;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardtrace.spi.PromptPart;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A trace that names an image which could not be loaded tells the guard so, per trace. */
class ImageUnavailableTest {
  private static final QtaTrace TRACE = QtaTrace.of("What is shown?", "Let me look.", "A list.");
  private static final PromptPart NOTICE = PromptPart.text("Image missing or unavailable");
  private static final PromptPart QTA = PromptPart.text(
      "Current Task Query: What is shown?\nCurrent Task Thinking: Let me look.\nCurrent Task Cleaned Response: A list.");

  @Test
  void markedTrace_getsTheNoticeBeforeItsText_whateverTheOption() {
    QtaTrace marked = TRACE.withImageUnavailable();
    assertThat(QtaPrompt.userParts(marked, false)).containsExactly(NOTICE, QTA);
    assertThat(QtaPrompt.userParts(marked, true)).containsExactly(NOTICE, QTA);
    assertThat(QtaPrompt.userParts(TRACE, false)).containsExactly(QTA);
  }

  @Test
  void markedTraceWithAnImage_getsTheImageThenTheNotice() {
    TraceImage img = TraceImage.ofBytes(new byte[] {1, 2, 3});
    QtaTrace trace = QtaTrace.builder().question("q").image(img).imageUnavailable().build();
    assertThat(trace.imageUnavailable()).isTrue();
    List<PromptPart> parts = QtaPrompt.userParts(trace, false);
    assertThat(parts).hasSize(3);
    assertThat(parts.get(0)).isEqualTo(PromptPart.image(img));
    assertThat(parts.get(1)).isEqualTo(NOTICE);
  }

  @Test
  void withers_keepTheMark_andEqualityCountsIt() {
    QtaTrace marked = TRACE.withImageUnavailable();
    assertThat(marked.withThinking("t").imageUnavailable()).isTrue();
    assertThat(marked.withAnswer("a").imageUnavailable()).isTrue();
    assertThat(marked).isNotEqualTo(TRACE);
    assertThat(new QtaTrace("q", "t", "a", List.of()).imageUnavailable()).isFalse();
  }

  @Test
  void markedAndUnmarkedTraces_doNotShareACachedVerdict() {
    FakeEngine engine = new FakeEngine();
    try (GuardTrace g = GuardTrace.builder().engine(engine).systemPrompt("audit").build()) {
      g.detect(TRACE);
      g.detect(TRACE.withImageUnavailable());
      g.detect(TRACE.withImageUnavailable());
    }
    assertThat(engine.calls.get()).isEqualTo(2);
    assertThat(engine.requests.get(0).userParts()).containsExactly(QTA);
    assertThat(engine.requests.get(1).userParts()).containsExactly(NOTICE, QTA);
  }

  @Test
  void optionNotice_andMarkedTrace_renderTheSamePrompt_soShareOneVerdict() {
    FakeEngine engine = new FakeEngine();
    try (GuardTrace g = GuardTrace.builder().engine(engine).systemPrompt("audit").missingImageNotice(true)
        .build()) {
      g.detect(TRACE);
      SafetyVerdict second = g.detect(TRACE.withImageUnavailable());
      assertThat(second.cached()).isTrue();
    }
    assertThat(engine.calls.get()).isEqualTo(1);
  }
}
