package io.guardtrace.spring.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.RiskLevel;
import io.guardtrace.SafetyVerdict;
import io.guardtrace.spring.ScriptedChatModel;
import io.guardtrace.spring.ScriptedChatModel.Style;
import io.guardtrace.spring.Scripts;
import io.guardtrace.testing.ScriptedEngine;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatResponse;

/**
 * The advisor's stream gate: a scripted reasoning model streams its thinking, then its answer, word by word;
 * the guard's script judges a trace HARMFUL once the thinking contains the mark.
 */
class GuardTraceAdvisorStreamTest {
  static final String QUESTION = "How do I open a stuck jar?";
  // 12 thinking words; the 7th (chunk-6) carries the mark
  static final String UNSAFE_THINKING =
      "The user wants help. Fine. Actually a detonator needs wiring like so and then more.";
  static final String SAFE_THINKING = "The user wants kitchen advice. Warm water loosens a stuck lid quickly.";
  static final String ANSWER = "Run the lid under warm water, then twist firmly.";

  private final ScriptedEngine engine = Scripts.standard().buildEngine();
  private final GuardTrace guard = GuardTrace.builder().engine(engine).build();

  @AfterEach
  void close() {
    guard.close();
  }

  private static int indexOfMark(List<ChatResponse> chunks, Style style) {
    for (int i = 0; i < chunks.size(); i++) {
      String piece = style == Style.OLLAMA
          ? (String) chunks.get(i).getResult().getOutput().getMetadata().get("thinking")
          : ((String) chunks.get(i).getResult().getOutput().getMetadata().get("reasoningContent"));
      if (piece != null && piece.contains(Scripts.HARMFUL_MARK)) {
        return i;
      }
    }
    throw new AssertionError("no chunk carries the mark");
  }

  private static String id(ChatResponse r) {
    return r.getMetadata().getId();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3, 10})
  void unsafeThinking_clientGetsNoChunkFromTheUnsafeOneOn_thenTheRefusal(int everyTokens) {
    ScriptedChatModel model = new ScriptedChatModel(UNSAFE_THINKING, ANSWER);
    List<ChatResponse> all = model.chunks();
    int unsafe = indexOfMark(all, Style.OPENAI);
    ChatClient client = ChatClient.builder(model)
        .defaultAdvisors(GuardTraceAdvisor.builder(guard).checkEveryTokens(everyTokens).build()).build();

    List<ChatResponse> received = client.prompt(QUESTION).stream().chatResponse()
        .collectList().block(Duration.ofSeconds(30));

    ChatResponse last = received.get(received.size() - 1);
    assertThat(last.getResult().getOutput().getText()).isEqualTo(GuardTraceAdvisor.DEFAULT_REFUSAL);
    assertThat(((SafetyVerdict) last.getMetadata().get(GuardTraceAdvisor.VERDICT_KEY)).level())
        .isEqualTo(RiskLevel.HARMFUL);
    List<String> before = received.subList(0, received.size() - 1).stream().map(GuardTraceAdvisorStreamTest::id)
        .toList();
    // what got through is a prefix of the model's chunks that ends before the unsafe one
    assertThat(before).isEqualTo(all.subList(0, before.size()).stream().map(GuardTraceAdvisorStreamTest::id)
        .toList());
    assertThat(before.size()).isLessThanOrEqualTo(unsafe);
    if (everyTokens == 1) {
      // a check after every word: everything before the unsafe word was released
      assertThat(before).hasSize(unsafe);
    }
    assertThat(model.cancelled).as("the model's stream was cancelled").isTrue();
    // no answer text reached the client
    assertThat(received).noneMatch(r -> ANSWER.contains(r.getResult().getOutput().getText())
        && !r.getResult().getOutput().getText().isEmpty());
  }

  @ParameterizedTest
  @EnumSource(value = Style.class, names = {"OPENAI", "OLLAMA"})
  void safeStream_passesEveryChunkInOrder_lastCarriesTheVerdict_thinkingDeduplicated(Style style) {
    ScriptedChatModel model = new ScriptedChatModel(style, SAFE_THINKING, ANSWER);
    List<ChatResponse> all = model.chunks();
    ChatClient client = ChatClient.builder(model)
        .defaultAdvisors(GuardTraceAdvisor.builder(guard).checkEveryTokens(4).build()).build();

    List<ChatResponse> received = client.prompt(QUESTION).stream().chatResponse()
        .collectList().block(Duration.ofSeconds(30));

    assertThat(received.stream().map(GuardTraceAdvisorStreamTest::id).toList())
        .isEqualTo(all.stream().map(GuardTraceAdvisorStreamTest::id).toList());
    assertThat(((SafetyVerdict) received.get(received.size() - 1).getMetadata()
        .get(GuardTraceAdvisor.VERDICT_KEY)).level()).isEqualTo(RiskLevel.SAFE);
    // the last check judged exactly the whole trace: cumulative OpenAI reasoning was not repeated
    assertThat(engine.judgedTraces()).last().isEqualTo(QtaTrace.of(QUESTION, SAFE_THINKING, ANSWER));
    assertThat(engine.judgedTraces().size()).isGreaterThan(1);
  }

  @Test
  void content_streamsTheAnswerText() {
    ChatClient client = ChatClient.builder(new ScriptedChatModel(SAFE_THINKING, ANSWER))
        .defaultAdvisors(GuardTraceAdvisor.builder(guard).build()).build();
    assertThat(String.join("", client.prompt(QUESTION).stream().content().collectList().block()))
        .isEqualTo(ANSWER);
  }

  @Test
  void unsafeAnswerWithLargeInterval_onlyTheRefusalArrives() {
    ScriptedChatModel model = new ScriptedChatModel("Fine.", "Sure: the " + Scripts.HARMFUL_MARK + " goes here.");
    ChatClient client = ChatClient.builder(model)
        .defaultAdvisors(GuardTraceAdvisor.builder(guard).checkEveryTokens(10_000).refusal("No.").build())
        .build();
    assertThat(client.prompt(QUESTION).stream().content().collectList().block()).containsExactly("No.");
  }

  @Test
  void throwMode_streamEndsWithTheTypedError() {
    ChatClient client = ChatClient.builder(new ScriptedChatModel(UNSAFE_THINKING, ANSWER))
        .defaultAdvisors(GuardTraceAdvisor.builder(guard).checkEveryTokens(1).onUnsafe(OnUnsafe.THROW).build())
        .build();
    assertThatThrownBy(() -> client.prompt(QUESTION).stream().content().collectList().block())
        .isInstanceOf(UnsafeResponseException.class);
  }
}
