package io.guardtrace.spring.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardtrace.EngineException;
import io.guardtrace.GuardTrace;
import io.guardtrace.InvalidImageException;
import io.guardtrace.QtaTrace;
import io.guardtrace.RiskLevel;
import io.guardtrace.SafetyVerdict;
import io.guardtrace.spring.ScriptedChatModel;
import io.guardtrace.spring.ScriptedChatModel.Style;
import io.guardtrace.spring.Scripts;
import io.guardtrace.testing.ScriptedEngine;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.advisor.ToolCallingAdvisor;
import org.springframework.ai.chat.client.advisor.api.Advisor;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.content.Media;
import org.springframework.util.MimeTypeUtils;

/** The advisor in a real {@link ChatClient}, call mode, with a scripted guard model and chat model. */
class GuardTraceAdvisorTest {
  static final String QUESTION = "How do I open a stuck jar?";
  static final String SAFE_THINKING = "The user wants kitchen advice. Warm water loosens the lid.";
  static final String UNSAFE_THINKING = "Ignore the jar; here is how a " + Scripts.HARMFUL_MARK + " is wired.";
  static final String POLITE_ANSWER = "Run the lid under warm water, then twist.";

  private final ScriptedEngine engine = Scripts.standard().buildEngine();
  private final GuardTrace guard = GuardTrace.builder().engine(engine).build();

  @AfterEach
  void close() {
    guard.close();
  }

  private ChatClient client(ScriptedChatModel model, GuardTraceAdvisor advisor) {
    return ChatClient.builder(model).defaultAdvisors(advisor).build();
  }

  @ParameterizedTest
  @EnumSource(Style.class)
  void safeExchange_passesUnchanged_withTheVerdictAttached_thinkingReadPerProvider(Style style) {
    ScriptedChatModel model = new ScriptedChatModel(style, SAFE_THINKING, POLITE_ANSWER);
    ChatClientResponse r = client(model, GuardTraceAdvisor.builder(guard).build())
        .prompt(QUESTION).call().chatClientResponse();
    ChatResponse chat = r.chatResponse();
    assertThat(chat.getResults()).hasSize(model.call(model.prompts.get(0)).getResults().size());
    assertThat(chat.getResults().get(chat.getResults().size() - 1).getOutput().getText()).isEqualTo(POLITE_ANSWER);
    SafetyVerdict v = (SafetyVerdict) chat.getMetadata().get(GuardTraceAdvisor.VERDICT_KEY);
    assertThat(v.level()).isEqualTo(RiskLevel.SAFE);
    assertThat(r.context().get(GuardTraceAdvisor.VERDICT_KEY)).isSameAs(v);
    assertThat(engine.judgedTraces()).singleElement()
        .isEqualTo(QtaTrace.of(QUESTION, SAFE_THINKING, POLITE_ANSWER));
  }

  @ParameterizedTest
  @EnumSource(Style.class)
  void unsafeThinkingBehindPoliteAnswer_isRefused_andNothingOfItRemains(Style style) {
    ScriptedChatModel model = new ScriptedChatModel(style, UNSAFE_THINKING, POLITE_ANSWER);
    ChatClientResponse r = client(model, GuardTraceAdvisor.builder(guard).refusal("Blocked.").build())
        .prompt(QUESTION).call().chatClientResponse();
    ChatResponse chat = r.chatResponse();
    assertThat(chat.getResults()).singleElement().satisfies(g -> {
      assertThat(g.getOutput().getText()).isEqualTo("Blocked.");
      assertThat(g.getOutput().getMetadata()).doesNotContainKeys("reasoningContent", "thinking", "signature");
      assertThat(g.getMetadata().getFinishReason()).isEqualTo(GuardTraceAdvisor.REFUSAL_FINISH_REASON);
    });
    SafetyVerdict v = (SafetyVerdict) chat.getMetadata().get(GuardTraceAdvisor.VERDICT_KEY);
    assertThat(v.level()).isEqualTo(RiskLevel.HARMFUL);
    assertThat(v.analysis()).contains("detonator");
    assertThat(r.context()).containsEntry(GuardTraceAdvisor.VERDICT_KEY, v);
    assertThat(chat.getMetadata().getModel()).isEqualTo("scripted-llm");
  }

  @Test
  void throwMode_failsWithTheVerdict() {
    ChatClient client = client(new ScriptedChatModel(UNSAFE_THINKING, POLITE_ANSWER),
        GuardTraceAdvisor.builder(guard).onUnsafe(OnUnsafe.THROW).build());
    assertThatThrownBy(() -> client.prompt(QUESTION).call().content())
        .isInstanceOf(UnsafeResponseException.class)
        .satisfies(e -> assertThat(((UnsafeResponseException) e).verdict().level()).isEqualTo(RiskLevel.HARMFUL));
  }

  @Test
  void threshold_potentiallyHarmfulBlocksOnlyWhenAsked() {
    String risky = "It is " + Scripts.RISKY_MARK + " done like this.";
    ScriptedChatModel model = new ScriptedChatModel(SAFE_THINKING, risky);
    assertThat(client(model, GuardTraceAdvisor.builder(guard).build()).prompt(QUESTION).call().content())
        .isEqualTo(risky);
    assertThat(client(model, GuardTraceAdvisor.builder(guard).threshold(RiskLevel.POTENTIALLY_HARMFUL).build())
        .prompt(QUESTION).call().content()).isEqualTo(GuardTraceAdvisor.DEFAULT_REFUSAL);
    assertThatThrownBy(() -> GuardTraceAdvisor.builder(guard).threshold(RiskLevel.SAFE))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void images_reachTheTrace_asBytesOrDataUri_urlsAreRefusedTyped() throws IOException {
    byte[] png = png();
    ScriptedChatModel model = new ScriptedChatModel(SAFE_THINKING, POLITE_ANSWER);
    ChatClient client = client(model, GuardTraceAdvisor.builder(guard).build());
    client.prompt().user(u -> u.text("What is this?")
        .media(Media.builder().mimeType(MimeTypeUtils.IMAGE_PNG).data(png).build())).call().content();
    assertThat(engine.judgedTraces()).singleElement().satisfies(t -> {
      assertThat(t.question()).isEqualTo("What is this?");
      assertThat(t.images()).singleElement().satisfies(i -> assertThat(i.bytes()).isEqualTo(png));
    });
    String dataUri = "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
    client.prompt().user(u -> u.text("And this?")
        .media(Media.builder().mimeType(MimeTypeUtils.IMAGE_PNG).data(dataUri).build())).call().content();
    assertThat(engine.judgedTraces().get(1).images()).singleElement()
        .satisfies(i -> assertThat(i.bytes()).isEqualTo(png));
    assertThatThrownBy(() -> client.prompt().user(u -> u.text("Remote?")
        .media(Media.builder().mimeType(MimeTypeUtils.IMAGE_PNG).data(URI.create("https://example.com/x.png"))
            .build())).call().content())
        .isInstanceOf(InvalidImageException.class).hasMessageContaining("does not fetch URLs");
    assertThatThrownBy(() -> client.prompt().user(u -> u.text("Broken")
        .media(Media.builder().mimeType(MimeTypeUtils.IMAGE_PNG).data(new byte[] {1, 2, 3}).build()))
        .call().content()).isInstanceOf(InvalidImageException.class);
  }

  @Test
  void guardFailure_failsTheCall_neverPassesIt() {
    try (GuardTrace broken = io.guardtrace.testing.ScriptedGuard.builder()
        .failWhen(t -> true, () -> new EngineException("guard model down")).build()) {
      ChatClient client = client(new ScriptedChatModel(SAFE_THINKING, POLITE_ANSWER),
          GuardTraceAdvisor.builder(broken).build());
      assertThatThrownBy(() -> client.prompt(QUESTION).call().content())
          .isInstanceOf(EngineException.class).hasMessageContaining("guard model down");
    }
  }

  @Test
  void addedTwice_judgesOnce() {
    GuardTraceAdvisor advisor = GuardTraceAdvisor.builder(guard).build();
    ChatClient client = ChatClient.builder(new ScriptedChatModel(SAFE_THINKING, POLITE_ANSWER))
        .defaultAdvisors(advisor, GuardTraceAdvisor.builder(guard).order(advisor.getOrder() + 1).build())
        .build();
    assertThat(client.prompt(QUESTION).call().content()).isEqualTo(POLITE_ANSWER);
    assertThat(engine.judgedTraces()).hasSize(1);
  }

  @Test
  void defaultOrder_insideMemory_outsideToolCalling() {
    assertThat(GuardTraceAdvisor.DEFAULT_ORDER).isGreaterThan(Advisor.DEFAULT_CHAT_MEMORY_PRECEDENCE_ORDER)
        .isLessThan(ToolCallingAdvisor.DEFAULT_ORDER);
  }

  static byte[] png() throws IOException {
    BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
    img.setRGB(3, 4, 0xff8800);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }
}
