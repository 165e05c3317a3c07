package io.guardtrace.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.RiskLevel;
import io.guardtrace.langchain4j.ScriptedChatModels.Reply;
import io.guardtrace.langchain4j.ScriptedChatModels.Streaming;
import io.guardtrace.testing.ScriptedEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A streaming AI service's token stream, cut by the guard on the first unsafe check. */
class GuardedTokenStreamTest {
  static final String QUESTION = "How do I open a stuck jar?";
  static final String UNSAFE_THINKING = "The user wants help. Fine. Actually a detonator needs wiring like so.";
  static final String SAFE_THINKING = "The user wants kitchen advice. Warm water loosens a stuck lid.";
  static final String ANSWER = "Run the lid under warm water, then twist.";

  private final ScriptedEngine engine = GuardTraceOutputGuardrailTest.script().buildEngine();
  private final GuardTrace guard = GuardTrace.builder().engine(engine).build();

  @AfterEach
  void close() {
    guard.close();
  }

  interface StreamingAssistant {
    TokenStream chat(String question);
  }

  /** Everything the handlers received, in order: "T:" thinking, "A:" answer, "DONE:" or "ERROR:". */
  private static List<String> run(GuardedTokenStream stream) throws Exception {
    List<String> events = new ArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    stream.onPartialThinking(t -> events.add("T:" + t.text()))
        .onPartialResponse(s -> events.add("A:" + s))
        .onCompleteResponse((ChatResponse r) -> {
          events.add("DONE:" + r.aiMessage().text());
          done.complete(null);
        })
        .onError(e -> {
          events.add("ERROR:" + e.getClass().getSimpleName());
          done.complete(null);
        })
        .start();
    done.get(30, TimeUnit.SECONDS);
    return events;
  }

  private GuardedTokenStream.Builder gate() {
    return GuardedTokenStream.builder(guard).question(QUESTION);
  }

  private static StreamingAssistant assistant(Streaming model) {
    return AiServices.builder(StreamingAssistant.class).streamingChatModel(model).build();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 4})
  void unsafeThinking_noTokenFromTheUnsafeOneOn_thenTheRefusal_andTheModelIsCancelled(int every) throws Exception {
    Streaming model = new Streaming(new Reply(UNSAFE_THINKING, ANSWER));
    List<String> words = ScriptedChatModels.words(UNSAFE_THINKING);
    int unsafe = 0;
    while (!words.get(unsafe).contains("detonator")) {
      unsafe++;
    }
    List<String> events = run(gate().checkEveryTokens(every).refusal("No.")
        .build(assistant(model).chat(QUESTION)));

    assertThat(events.subList(events.size() - 2, events.size())).containsExactly("A:No.", "DONE:No.");
    List<String> released = events.subList(0, events.size() - 2);
    // a prefix of the thinking that ends before the unsafe word
    assertThat(released.size()).isLessThanOrEqualTo(unsafe);
    for (int i = 0; i < released.size(); i++) {
      assertThat(released.get(i)).isEqualTo("T:" + words.get(i));
    }
    if (every == 1) {
      assertThat(released).hasSize(unsafe);
    }
    assertThat(model.cancelled).isTrue();
    assertThat(model.emitted.get()).as("the model stopped streaming").isEqualTo(unsafe + 1);
  }

  @Test
  void safeStream_everyTokenInOrder_afterItsCheck() throws Exception {
    Streaming model = new Streaming(new Reply(SAFE_THINKING, ANSWER));
    GuardedTokenStream stream = gate().checkEveryTokens(3).build(assistant(model).chat(QUESTION));
    List<String> events = run(stream);
    List<String> expected = new ArrayList<>();
    ScriptedChatModels.words(SAFE_THINKING).forEach(w -> expected.add("T:" + w));
    ScriptedChatModels.words(ANSWER).forEach(w -> expected.add("A:" + w));
    expected.add("DONE:" + ANSWER);
    assertThat(events).isEqualTo(expected);
    assertThat(stream.lastVerdict().level()).isEqualTo(RiskLevel.SAFE);
    assertThat(engine.judgedTraces()).last().isEqualTo(QtaTrace.of(QUESTION, SAFE_THINKING, ANSWER));
  }

  @Test
  void failMode_endsOnTheErrorHandler() throws Exception {
    Streaming model = new Streaming(new Reply(UNSAFE_THINKING, ANSWER));
    List<String> events = run(gate().checkEveryTokens(1000).mode(GuardedTokenStream.Mode.FAIL)
        .build(assistant(model).chat(QUESTION)));
    assertThat(events).containsExactly("ERROR:UnsafeOutputException");
  }
}
