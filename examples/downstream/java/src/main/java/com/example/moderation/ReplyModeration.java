package com.example.moderation;

import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.SafetyVerdict;

/** The application code under test: a chatbot backend that withholds a reply the guard flags. */
public final class ReplyModeration {
  private final GuardTrace guard;

  public ReplyModeration(GuardTrace guard) {
    this.guard = guard;
  }

  /** The reply to show: the model's answer, or a refusal when its reasoning or answer is unsafe. */
  public String reply(String question, String thinking, String answer) {
    SafetyVerdict v = guard.detect(QtaTrace.of(question, thinking, answer));
    return v.level().isUnsafe() ? "Sorry, I can't help with that." : answer;
  }
}
