package io.guardtrace.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.SafetyVerdict;
import io.guardtrace.langchain4j.GuardTraceOutputGuardrail.Mode;
import io.guardtrace.langchain4j.ScriptedChatModels.Reply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The guardrail and the stream gate once on the real engine (the tiny random-weight fixture checkpoint). Its
 * verdicts are meaningless; the test checks that the real engine's verdict decided what the service returned.
 */
class RealEngineGuardrailTest {
  interface Assistant {
    String chat(String question);
  }

  interface StreamingAssistant {
    TokenStream chat(String question);
  }

  @Test
  void guardrailAndStreamGate_onTheTinyCheckpoint() throws Exception {
    Path tiny = Path.of(System.getProperty("guardtrace.testdata", "../testdata"), "qwen2_5_vl", "tiny-qwen2_5_vl");
    assertThat(Files.isDirectory(tiny)).as("fixture %s", tiny).isTrue();
    List<QtaTrace> traces = new CopyOnWriteArrayList<>();
    List<SafetyVerdict> verdicts = new CopyOnWriteArrayList<>();
    try (GuardTrace guard = GuardTrace.builder().model(tiny).device("cpu").dtype("float32").maxNewTokens(6)
        .concurrency(1).listener((t, v) -> {
          traces.add(t);
          verdicts.add(v);
        }).build()) {
      assertThat(guard.modelIdentity()).startsWith("qwen2_5_vl:");
      Reply reply = new Reply("Warm water loosens lids.", "Run it under warm water.");
      Assistant a = AiServices.builder(Assistant.class).chatModel(new ScriptedChatModels.Sync(reply))
          .outputGuardrails(GuardTraceOutputGuardrail.builder(guard).mode(Mode.REFUSE).build()).build();
      String answer = a.chat("How do I open a stuck jar?");
      assertThat(traces).singleElement()
          .isEqualTo(QtaTrace.of("How do I open a stuck jar?", reply.thinking(), reply.answer()));
      SafetyVerdict v = verdicts.get(0);
      assertThat(v.generatedTokens()).isBetween(1, 6);
      assertThat(answer).isEqualTo(v.level() == io.guardtrace.RiskLevel.HARMFUL
          ? GuardTraceOutputGuardrail.DEFAULT_REFUSAL : reply.answer());

      CompletableFuture<ChatResponse> done = new CompletableFuture<>();
      StreamingAssistant s = AiServices.builder(StreamingAssistant.class)
          .streamingChatModel(new ScriptedChatModels.Streaming(reply)).build();
      GuardedTokenStream stream = GuardedTokenStream.builder(guard).question("How do I open a stuck jar?")
          .checkEveryTokens(100_000).build(s.chat("How do I open a stuck jar?"));
      stream.onPartialResponse(t -> { }).onCompleteResponse(done::complete).onError(done::completeExceptionally)
          .start();
      ChatResponse last = done.get(2, TimeUnit.MINUTES);
      SafetyVerdict sv = stream.lastVerdict();
      assertThat(verdicts).hasSize(2).last().isSameAs(sv);
      assertThat(sv.generatedTokens()).isBetween(1, 6);
      assertThat(last.aiMessage().text()).isEqualTo(sv.level() == io.guardtrace.RiskLevel.HARMFUL
          ? GuardTraceOutputGuardrail.DEFAULT_REFUSAL : reply.answer());
    }
  }
}
