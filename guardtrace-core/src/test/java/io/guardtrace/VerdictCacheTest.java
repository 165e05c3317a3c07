package io.guardtrace;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Cache keys: digests of everything that decides a verdict, never the traces themselves. */
class VerdictCacheTest {
  static VerdictCache.Key key(QtaTrace t) {
    return VerdictCache.Key.of("engine", Sha256.ofText("audit"), 1024, 8192, false, t);
  }

  @Test
  void key_ofAMegabyteTrace_holdsOnlyDigests() {
    String thinking = "reasoning ".repeat(100_000);
    VerdictCache.Key k = key(QtaTrace.of("q?", thinking, "answer"));
    // every text field is a 64-character hex digest: the key stays small whatever the trace's size
    assertThat(k.toString()).hasSizeLessThan(600).doesNotContain("reasoning");
    assertThat(k.thinkingSha256()).hasSize(64).isEqualTo(Sha256.ofText(thinking));
    assertThat(k.systemPromptSha256()).isEqualTo(Sha256.ofText("audit"));
  }

  @Test
  void key_equalForEqualTraces_differentWhenTextMovesBetweenFields() {
    assertThat(key(QtaTrace.of("q", "t", "a"))).isEqualTo(key(QtaTrace.of("q", "t", "a")))
        .hasSameHashCodeAs(key(QtaTrace.of("q", "t", "a")));
    assertThat(key(QtaTrace.of("qt", "", "a"))).isNotEqualTo(key(QtaTrace.of("q", "t", "a")));
    assertThat(key(QtaTrace.of("q", "t", "a"))).isNotEqualTo(key(QtaTrace.of("q", "t", "a")
        .withImage(TraceImage.ofBytes(new byte[] {1}))));
    assertThat(VerdictCache.Key.of("engine", Sha256.ofText("other"), 1024, 8192, false, QtaTrace.of("q", "t", "a")))
        .isNotEqualTo(key(QtaTrace.of("q", "t", "a")));
  }

  @Test
  void textDigest_keepsLoneSurrogatesApart() {
    // a UTF-8 encoder turns both into '?', the digest of the code units does not
    assertThat(Sha256.ofText("x\uD800")).isNotEqualTo(Sha256.ofText("x\uD801"));
    assertThat(Sha256.ofText("")).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // "ab" as UTF-16BE is 00 61 00 62
    assertThat(Sha256.ofText("ab")).isEqualTo(Sha256.ofBytes(new byte[] {0, 0x61, 0, 0x62}));
    // a text longer than the digest's chunk, non-Latin characters included
    String long_ = "é€\uD83D\uDE00x".repeat(3_000);
    assertThat(Sha256.ofText(long_))
        .isEqualTo(Sha256.ofBytes(long_.getBytes(java.nio.charset.StandardCharsets.UTF_16BE)));
  }
}
