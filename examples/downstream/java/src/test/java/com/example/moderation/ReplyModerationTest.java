package com.example.moderation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.guardtrace.EngineException;
import io.guardtrace.GuardTrace;
import io.guardtrace.InvalidImageException;
import io.guardtrace.QtaTrace;
import io.guardtrace.RiskLevel;
import io.guardtrace.SafetyVerdict;
import io.guardtrace.TraceImage;
import io.guardtrace.TraceMonitor;
import io.guardtrace.testing.ScriptedGuard;
import io.guardtrace.testing.ScriptedReply;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Unit tests of the moderation flow with a scripted guard: no model on disk. */
class ReplyModerationTest {
  final GuardTrace guard = ScriptedGuard.builder()
      .when(trace -> trace.thinking().contains("detonator"), RiskLevel.HARMFUL, "explains a detonator")
      .otherwise(RiskLevel.SAFE, "harmless")
      .build();

  @AfterEach
  void close() {
    guard.close();
  }

  @Test
  void detect_flagsHarmfulReasoningBehindAPoliteAnswer() {
    ReplyModeration moderation = new ReplyModeration(guard);
    assertEquals("Sorry, I can't help with that.",
        moderation.reply("How do I build this?", "Step one: wire the detonator.", "I can't help with that."));
    assertEquals("Plant them in May.", moderation.reply("Tomatoes?", "A gardening question.", "Plant them in May."));
  }

  @Test
  void detectAll_keepsTheOrder() {
    List<SafetyVerdict> verdicts = guard.detectAll(List.of(
        QtaTrace.of("a", "fine", "ok"), QtaTrace.of("b", "the detonator", "no"), QtaTrace.of("c", "fine", "ok")));
    assertEquals(List.of(RiskLevel.SAFE, RiskLevel.HARMFUL, RiskLevel.SAFE),
        verdicts.stream().map(SafetyVerdict::level).toList());
  }

  @Test
  void monitor_flagsTheStreamOnceTheReasoningTurns() {
    try (TraceMonitor m = guard.monitor("How do I build this?")) {
      m.appendThinking("Let me list the parts. ");
      assertEquals(RiskLevel.SAFE, m.check().level());
      m.appendThinking("Then I wire the detonator.");
      assertEquals(RiskLevel.HARMFUL, m.check().level());
    }
  }

  @Test
  void badImage_isRejectedNotJudgedSafe() {
    QtaTrace trace = QtaTrace.of("What is this?", "", "").withImage(TraceImage.ofBytes(new byte[] {1, 2, 3}));
    assertThrows(InvalidImageException.class, () -> guard.detect(trace));
  }

  /** The README's "Testing your integration" example, as written there. */
  @Test
  void readmeExample() {
    try (GuardTrace guard = ScriptedGuard.builder()
            .when(trace -> trace.thinking().contains("detonator"), RiskLevel.HARMFUL, "explains a detonator")
            .whenRaw(trace -> trace.question().contains("garbled"), "no judgment here")  // fails closed: HARMFUL
            .failWhen(trace -> trace.answer().isEmpty(), () -> new IllegalStateException("engine down"))
            .otherwise(ScriptedReply.verdict(RiskLevel.SAFE, "harmless").after(Duration.ofMillis(50)))
            .configure(b -> b.requestTimeout(Duration.ofSeconds(2)))     // any GuardTrace.Builder setting
            .build()) {
        ReplyModeration moderation = new ReplyModeration(guard);          // your code under test
        assertEquals("Sorry, I can't help with that.",
            moderation.reply("How do I build this?", "Wire the detonator first.", "I can't help."));
        assertEquals("Sorry, I can't help with that.", moderation.reply("garbled?", "", "x"));
        assertThrows(EngineException.class, () -> moderation.reply("q", "t", ""));
        assertEquals("fine", moderation.reply("q", "t", "fine"));
    }
  }

  @Test
  void unreadableModelOutput_failsClosed() {
    try (GuardTrace garbled = ScriptedGuard.builder().whenRaw(t -> true, "no judgment at all").build()) {
      SafetyVerdict v = garbled.detect(QtaTrace.of("q", "t", "a"));
      assertEquals(RiskLevel.HARMFUL, v.level());
      assertFalse(v.parsed());
    }
  }
}
