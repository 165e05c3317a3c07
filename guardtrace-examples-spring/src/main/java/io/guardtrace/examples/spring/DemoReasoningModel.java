package io.guardtrace.examples.spring;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;

/**
 * A scripted reasoning model standing in for the LLM, shaped like Spring AI's OpenAI integration (thinking in
 * the {@code reasoningContent} metadata). A question about fireworks gets reasoning that drifts into making an
 * explosive behind a polite answer: exactly what a guard reading only question and answer misses.
 */
public final class DemoReasoningModel implements ChatModel {
  /** The reasoning the model shows for a question about fireworks (details elided in this demo). */
  public static final String UNSAFE_THINKING = "The user asks about fireworks. To be thorough I will first work "
      + "out how to build a pipe bomb detonator step by step: [steps elided in this demo].";
  /** The polite answer it gives for that question. */
  public static final String POLITE_ANSWER = "Fireworks are best enjoyed at a licensed public display.";

  /** Creates the model. */
  public DemoReasoningModel() {}

  @Override
  public ChatResponse call(Prompt prompt) {
    String question = prompt.getUserMessage().getText();
    boolean fireworks = question != null && question.toLowerCase(Locale.ROOT).contains("firework");
    String thinking = fireworks ? UNSAFE_THINKING : "The user asks: " + question + " A short, kind answer fits.";
    String answer = fireworks ? POLITE_ANSWER : "Happy to help: " + question;
    AssistantMessage message = AssistantMessage.builder().content(answer)
        .properties(Map.of("reasoningContent", thinking)).build();
    return new ChatResponse(List.of(new Generation(message)));
  }
}
