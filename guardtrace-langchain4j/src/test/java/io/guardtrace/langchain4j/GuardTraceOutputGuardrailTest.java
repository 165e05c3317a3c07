package io.guardtrace.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.guardrail.OutputGuardrailException;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.guardrail.OutputGuardrails;
import io.guardtrace.EngineException;
import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.RiskLevel;
import io.guardtrace.langchain4j.GuardTraceOutputGuardrail.Mode;
import io.guardtrace.langchain4j.ScriptedChatModels.Reply;
import io.guardtrace.langchain4j.ScriptedChatModels.Sync;
import io.guardtrace.testing.ScriptedEngine;
import io.guardtrace.testing.ScriptedGuard;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The guardrail through real AI services whose chat model is scripted to return thinking and text. */
class GuardTraceOutputGuardrailTest {
  static final String QUESTION = "How do I open a stuck jar?";
  static final String SAFE = "Warm water loosens the lid.";
  static final String UNSAFE = "Forget the jar: a detonator is wired like this.";
  static final String ANSWER = "Run the lid under warm water, then twist.";

  /** The guard the annotation-configured guardrail below uses, as an application would share one. */
  static final ScriptedEngine SHARED_ENGINE = script().buildEngine();
  static final GuardTrace SHARED = GuardTrace.builder().engine(SHARED_ENGINE).disableCache().build();

  private final ScriptedEngine engine = script().buildEngine();
  private final GuardTrace guard = GuardTrace.builder().engine(engine).disableCache().build();

  static ScriptedGuard.Builder script() {
    return ScriptedGuard.builder()
        .when(t -> t.thinking().contains("detonator"), RiskLevel.HARMFUL, "explains a detonator")
        .when(t -> t.answer().contains("roughly"), RiskLevel.POTENTIALLY_HARMFUL, "vague but risky")
        .otherwise(RiskLevel.SAFE, "harmless");
  }

  @BeforeEach
  void reset() {
    SHARED_ENGINE.clearRequests();
  }

  @AfterAll
  static void closeShared() {
    SHARED.close();
  }

  interface Assistant {
    String chat(String question);
  }

  interface VisionAssistant {
    String chat(UserMessage message);
  }

  interface MemoryAssistant {
    String chat(@MemoryId String user, @dev.langchain4j.service.UserMessage String question);
  }

  /** What an application names in {@code @OutputGuardrails}: a subclass that supplies the shared guard. */
  public static final class ModerateReasoning extends GuardTraceOutputGuardrail {
    public ModerateReasoning() {
      super(GuardTraceOutputGuardrail.builder(SHARED).mode(Mode.FATAL));
    }
  }

  interface AnnotatedAssistant {
    @OutputGuardrails(ModerateReasoning.class)
    String chat(String question);
  }

  private Assistant assistant(Sync model, GuardTraceOutputGuardrail guardrail) {
    return AiServices.builder(Assistant.class).chatModel(model).outputGuardrails(guardrail).build();
  }

  @Test
  void safe_passesUnchanged_andTheGuardSawQuestionThinkingAnswer() {
    Sync model = new Sync(new Reply(SAFE, ANSWER));
    assertThat(assistant(model, GuardTraceOutputGuardrail.builder(guard).build()).chat(QUESTION)).isEqualTo(ANSWER);
    assertThat(engine.judgedTraces()).singleElement().isEqualTo(QtaTrace.of(QUESTION, SAFE, ANSWER));
  }

  @Test
  void unsafeThinking_fatal_failsTheCallWithTheVerdict() {
    Sync model = new Sync(new Reply(UNSAFE, ANSWER));
    assertThatThrownBy(() -> assistant(model, GuardTraceOutputGuardrail.builder(guard).build()).chat(QUESTION))
        .isInstanceOf(OutputGuardrailException.class)
        .hasMessageContaining("HARMFUL")
        .satisfies(e -> {
          List<dev.langchain4j.guardrail.OutputGuardrailResult.Failure> failures =
              ((OutputGuardrailException) e).result().failures();
          assertThat(failures).singleElement().satisfies(f -> assertThat(f.cause()).isInstanceOfSatisfying(
              UnsafeOutputException.class, u -> assertThat(u.verdict().level()).isEqualTo(RiskLevel.HARMFUL)));
        });
    assertThat(model.requests).hasSize(1);
  }

  @Test
  void retry_withMemory_callsTheModelAgain_andPassesTheSafeSecondAnswer() {
    Sync model = new Sync(new Reply(UNSAFE, ANSWER), new Reply(SAFE, "Try a rubber grip."));
    Assistant a = AiServices.builder(Assistant.class).chatModel(model)
        .chatMemory(MessageWindowChatMemory.withMaxMessages(10))
        .outputGuardrails(GuardTraceOutputGuardrail.builder(guard).mode(Mode.RETRY).build()).build();
    assertThat(a.chat(QUESTION)).isEqualTo("Try a rubber grip.");
    assertThat(model.requests).hasSize(2);
    // LangChain4j re-sends the memory: the question (and the blocked answer it already stored)
    assertThat(model.requests.get(1).messages()).anySatisfy(m -> assertThat(m).isInstanceOfSatisfying(
        UserMessage.class, u -> assertThat(u.singleText()).isEqualTo(QUESTION)));
    assertThat(engine.judgedTraces()).extracting(QtaTrace::question).containsExactly(QUESTION, QUESTION);
  }

  @Test
  void fatal_withMemory_removesTheBlockedAnswerFromMemory() {
    MessageWindowChatMemory memory = MessageWindowChatMemory.withMaxMessages(10);
    Assistant a = AiServices.builder(Assistant.class).chatModel(new Sync(new Reply(UNSAFE, ANSWER)))
        .chatMemory(memory).outputGuardrails(GuardTraceOutputGuardrail.builder(guard).build()).build();
    assertThatThrownBy(() -> a.chat(QUESTION)).isInstanceOf(OutputGuardrailException.class);
    assertThat(memory.messages()).noneMatch(m -> m instanceof dev.langchain4j.data.message.AiMessage);
  }

  @Test
  void retryWithoutMemory_failsFatallyWithTheReason() {
    Sync model = new Sync(new Reply(UNSAFE, ANSWER));
    assertThatThrownBy(() -> assistant(model, GuardTraceOutputGuardrail.builder(guard).mode(Mode.RETRY).build())
        .chat(QUESTION)).isInstanceOf(OutputGuardrailException.class).hasMessageContaining("needs an AI service "
            + "with chat memory");
    assertThat(model.requests).hasSize(1);
  }

  @Test
  void reprompt_withMemory_sendsTheRepromptThenFailsWhenStillUnsafe() {
    Sync model = new Sync(new Reply(UNSAFE, ANSWER));
    Assistant a = AiServices.builder(Assistant.class).chatModel(model)
        .chatMemory(MessageWindowChatMemory.withMaxMessages(10))
        .outputGuardrails(GuardTraceOutputGuardrail.builder(guard).mode(Mode.REPROMPT).reprompt("Be safe.").build())
        .build();
    assertThatThrownBy(() -> a.chat(QUESTION)).isInstanceOf(OutputGuardrailException.class);
    assertThat(model.requests.size()).isGreaterThan(1);
    List<ChatMessage> second = model.requests.get(1).messages();
    assertThat(second.get(second.size() - 1)).isInstanceOfSatisfying(UserMessage.class,
        m -> assertThat(m.singleText()).isEqualTo("Be safe."));
    assertThat(second).anySatisfy(m -> assertThat(m).isInstanceOfSatisfying(UserMessage.class,
        u -> assertThat(u.singleText()).isEqualTo(QUESTION)));
  }

  @Test
  void refuse_replacesTheAnswer_andThresholdPotentiallyHarmfulIsStricter() {
    Sync risky = new Sync(new Reply(SAFE, "It is roughly like this."));
    assertThat(assistant(risky, GuardTraceOutputGuardrail.builder(guard).mode(Mode.REFUSE).build()).chat(QUESTION))
        .isEqualTo("It is roughly like this.");
    assertThat(assistant(risky, GuardTraceOutputGuardrail.builder(guard).mode(Mode.REFUSE).refusal("No.")
        .threshold(RiskLevel.POTENTIALLY_HARMFUL).build()).chat(QUESTION)).isEqualTo("No.");
  }

  @Test
  void imagesInTheUserMessage_reachTheTrace() throws IOException {
    byte[] png = png();
    Sync model = new Sync(new Reply(SAFE, ANSWER));
    VisionAssistant a = AiServices.builder(VisionAssistant.class).chatModel(model)
        .outputGuardrails(GuardTraceOutputGuardrail.builder(guard).build()).build();
    a.chat(UserMessage.from(TextContent.from("What is in this picture?"),
        ImageContent.from(Base64.getEncoder().encodeToString(png), "image/png")));
    assertThat(engine.judgedTraces()).singleElement().satisfies(t -> {
      assertThat(t.question()).isEqualTo("What is in this picture?");
      assertThat(t.thinking()).isEqualTo(SAFE);
      assertThat(t.images()).singleElement().satisfies(i -> assertThat(i.bytes()).isEqualTo(png));
    });
  }

  @Test
  void imageByUrl_failsFatally_insteadOfJudgingTheTextAlone() {
    Sync model = new Sync(new Reply(SAFE, ANSWER));
    VisionAssistant a = AiServices.builder(VisionAssistant.class).chatModel(model)
        .outputGuardrails(GuardTraceOutputGuardrail.builder(guard).build()).build();
    assertThatThrownBy(() -> a.chat(UserMessage.from(TextContent.from("What is this?"),
        ImageContent.from("https://example.com/cat.png"))))
        .isInstanceOf(OutputGuardrailException.class).hasMessageContaining("does not fetch URLs");
    assertThat(engine.judgedTraces()).isEmpty();
  }

  @Test
  void withChatMemory_theCurrentQuestionIsJudged() {
    Sync model = new Sync(new Reply(SAFE, ANSWER));
    MemoryAssistant a = AiServices.builder(MemoryAssistant.class).chatModel(model)
        .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(10))
        .outputGuardrails(GuardTraceOutputGuardrail.builder(guard).build()).build();
    a.chat("alice", "First question?");
    a.chat("alice", QUESTION);
    assertThat(engine.judgedTraces()).extracting(QtaTrace::question).containsExactly("First question?", QUESTION);
  }

  @Test
  void annotation_namesASubclass_thatUsesTheSharedGuard() {
    AnnotatedAssistant a = AiServices.builder(AnnotatedAssistant.class)
        .chatModel(new Sync(new Reply(UNSAFE, ANSWER))).build();
    assertThatThrownBy(() -> a.chat(QUESTION)).isInstanceOf(OutputGuardrailException.class);
    assertThat(SHARED_ENGINE.judgedTraces()).singleElement().isEqualTo(QtaTrace.of(QUESTION, UNSAFE, ANSWER));
    AnnotatedAssistant b = AiServices.builder(AnnotatedAssistant.class)
        .chatModel(new Sync(new Reply(SAFE, ANSWER))).build();
    assertThat(b.chat(QUESTION)).isEqualTo(ANSWER);
  }

  @Test
  void guardFailure_failsFatally() {
    try (GuardTrace broken = ScriptedGuard.builder().failWhen(t -> true, () -> new EngineException("down"))
        .build()) {
      assertThatThrownBy(() -> assistant(new Sync(new Reply(SAFE, ANSWER)),
          GuardTraceOutputGuardrail.builder(broken).mode(Mode.REFUSE).build()).chat(QUESTION))
          .isInstanceOf(OutputGuardrailException.class).hasMessageContaining("could not judge");
    }
  }

  static byte[] png() throws IOException {
    BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
    img.setRGB(1, 2, 0x00ff00);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }
}
