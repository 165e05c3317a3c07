package io.guardtrace.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import io.guardtrace.GuardTrace;
import io.guardtrace.langchain4j.GuardTraceOutputGuardrail.Mode;
import io.guardtrace.langchain4j.ScriptedChatModels.Reply;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The README's LangChain4j snippets, verbatim between the markers, compiled and run. */
class ReadmeSnippetsTest {
  interface Assistant {
    String chat(String question);
  }

  interface StreamingAssistant {
    TokenStream chat(String question);
  }

  /** Where the streaming snippet renders. */
  static final class Ui {
    final List<String> events = new CopyOnWriteArrayList<>();
    final CompletableFuture<Void> finished = new CompletableFuture<>();

    void thinking(String t) {
      events.add("T:" + t);
    }

    void answer(String a) {
      events.add("A:" + a);
    }

    void done() {
      finished.complete(null);
    }

    void failed(Throwable e) {
      finished.completeExceptionally(e);
    }
  }

  @Test
  void guardrailSnippet() {
    try (GuardTrace guard = GuardTraceOutputGuardrailTest.script().build()) {
      ChatModel model = new ScriptedChatModels.Sync(new Reply("Warm water helps.", "Use warm water."));
      // README: begin
      Assistant assistant = AiServices.builder(Assistant.class)
          .chatModel(model)
          .outputGuardrails(GuardTraceOutputGuardrail.builder(guard).mode(Mode.FATAL).build())
          .build();
      // README: end
      assertThat(assistant.chat("How do I open a jar?")).isEqualTo("Use warm water.");
    }
  }

  @Test
  void streamingSnippet() throws Exception {
    try (GuardTrace guard = GuardTraceOutputGuardrailTest.script().build()) {
      StreamingAssistant assistant = AiServices.builder(StreamingAssistant.class)
          .streamingChatModel(new ScriptedChatModels.Streaming(new Reply("Warm water helps.", "Use warm water.")))
          .build();
      String question = "How do I open a jar?";
      Ui ui = new Ui();
      // README: begin
      GuardedTokenStream.builder(guard).question(question).checkEveryTokens(64).build(assistant.chat(question))
          .onPartialThinking(t -> ui.thinking(t.text()))
          .onPartialResponse(ui::answer)
          .onCompleteResponse(r -> ui.done())
          .onError(ui::failed)
          .start();
      // README: end
      ui.finished.get(30, TimeUnit.SECONDS);
      assertThat(String.join("", ui.events)).isEqualTo("T:Warm T:water T:helps.A:Use A:warm A:water.");
    }
  }
}
