package io.guardtrace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class ValuesTest {
  @Test
  void riskLevel_scoresAndUnsafe() {
    assertThat(RiskLevel.SAFE.score()).isZero();
    assertThat(RiskLevel.POTENTIALLY_HARMFUL.score()).isEqualTo(0.5);
    assertThat(RiskLevel.HARMFUL.isUnsafe()).isTrue();
    assertThat(RiskLevel.POTENTIALLY_HARMFUL.isUnsafe()).isTrue();
    assertThat(RiskLevel.SAFE.isUnsafe()).isFalse();
    assertThat(RiskLevel.fromScore(0.5)).isEqualTo(RiskLevel.POTENTIALLY_HARMFUL);
    assertThatThrownBy(() -> RiskLevel.fromScore(0.7)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void traceImage_equalsBySha256_acrossSources() {
    byte[] a = {1, 2, 3, 4};
    TraceImage x = TraceImage.ofBytes(a);
    TraceImage y = TraceImage.ofBytes(a.clone());
    a[0] = 9; // the array was copied
    assertThat(x).isEqualTo(y).hasSameHashCodeAs(y);
    assertThat(x).isNotEqualTo(TraceImage.ofBytes(new byte[] {1, 2, 3, 5}));
    assertThat(x.sha256()).hasSize(64);
  }

  @Test
  void traceImage_fromBufferedImage_isPng() {
    BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
    TraceImage t = TraceImage.ofImage(img);
    byte[] b = t.bytes();
    assertThat(b[1]).isEqualTo((byte) 'P');
    assertThat(TraceImage.ofImage(img)).isEqualTo(t);
  }

  @Test
  void qtaTrace_nullsRejected_emptyThinkingAllowed_blankQuestionNeedsImage() {
    assertThatThrownBy(() -> QtaTrace.of(null, "", "a")).isInstanceOf(NullPointerException.class)
        .hasMessageContaining("question");
    assertThat(QtaTrace.of("q", "", "a").thinking()).isEmpty();
    assertThatThrownBy(() -> QtaTrace.of("  ", "t", "a")).isInstanceOf(InvalidInputException.class);
    assertThat(new QtaTrace("", "t", "a", java.util.List.of(TraceImage.ofBytes(new byte[] {1}))).images()).hasSize(1);
  }

  @Test
  void qtaTrace_immutableWithImageReturnsCopy() {
    QtaTrace t = QtaTrace.of("q", "t", "a");
    QtaTrace u = t.withImage(TraceImage.ofBytes(new byte[] {1}));
    assertThat(t.images()).isEmpty();
    assertThat(u.images()).hasSize(1);
    assertThatThrownBy(() -> u.images().clear()).isInstanceOf(UnsupportedOperationException.class);
    assertThat(QtaTrace.builder().question("q").thinking("t").answer("a").build()).isEqualTo(t);
  }

  @Test
  void qtaPrompt_loneSurrogatesReplaced_pairsKept() {
    String s = "a\uD800b\uDC00c\uD83D\uDE00d\u0007";
    assertThat(QtaPrompt.sanitize(s)).isEqualTo("a\uFFFDb\uFFFDc\uD83D\uDE00d\u0007");
    assertThat(QtaPrompt.sanitize("plain")).isEqualTo("plain");
  }

  @Test
  void promptBudget_cutMiddle_keepsEnds() {
    String cut = PromptBudget.cutMiddle("AAAAABBBBBCCCCC", 5);
    assertThat(cut).startsWith("AAAAA").endsWith("CCCCC").contains("5 characters of thinking omitted");
  }
}
