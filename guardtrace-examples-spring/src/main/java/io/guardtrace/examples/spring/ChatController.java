package io.guardtrace.examples.spring;

import io.guardtrace.SafetyVerdict;
import io.guardtrace.spring.ai.GuardTraceAdvisor;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /chat}: one turn of the conversation, moderated. */
@RestController
public class ChatController {
  /**
   * A user's message.
   *
   * @param message the text
   */
  public record ChatRequest(String message) {}

  /**
   * The reply.
   *
   * @param answer what the user sees: the model's answer, or the refusal
   * @param level the guard's verdict level (SAFE, POTENTIALLY_HARMFUL, HARMFUL)
   * @param blocked whether the answer was replaced by the refusal
   */
  public record ChatReply(String answer, String level, boolean blocked) {}

  private final ChatClient chat;

  /**
   * A controller answering with {@code chat}.
   *
   * @param chat the guarded chat client
   */
  public ChatController(ChatClient chat) {
    this.chat = chat;
  }

  /**
   * Answers one message.
   *
   * @param request the user's message
   * @return the answer and the verdict
   */
  @PostMapping("/chat")
  public ChatReply chat(@RequestBody ChatRequest request) {
    ChatResponse response = chat.prompt().user(request.message()).call().chatResponse();
    SafetyVerdict verdict = (SafetyVerdict) response.getMetadata().get(GuardTraceAdvisor.VERDICT_KEY);
    String finish = response.getResult().getMetadata().getFinishReason();
    @Nullable String text = response.getResult().getOutput().getText();
    return new ChatReply(text == null ? "" : text, verdict.level().name(),
        GuardTraceAdvisor.REFUSAL_FINISH_REASON.equals(finish));
  }
}
