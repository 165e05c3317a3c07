package io.guardtrace.spring.ai;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;

/**
 * Where Spring AI 2.0's model integrations put a reasoning model's thinking, and how to read it.
 *
 * <ul>
 *   <li>OpenAI and OpenAI-compatible servers (DeepSeek, vLLM, ... through {@code spring-ai-openai}): the
 *       {@code reasoningContent} metadata of the {@link AssistantMessage}; when streaming, each chunk carries
 *       the reasoning accumulated so far.</li>
 *   <li>Ollama: the {@code thinking} metadata (a String); when streaming, each chunk carries its delta.</li>
 *   <li>Anthropic: a separate {@link Generation} per thinking block, whose text is the thinking and whose
 *       metadata holds its {@code signature}. When streaming, Spring AI 2.0.1 emits thinking chunks without
 *       their text (metadata {@code thinking=true} only), so a streamed Anthropic trace has no thinking.</li>
 *   <li>Google GenAI (with {@code includeThoughts}): a {@link Generation} per thought part, metadata
 *       {@code isThought=true}.</li>
 *   <li>Any {@link AssistantMessage} subclass with a public {@code getReasoningContent()} (provider modules
 *       that model reasoning as a field).</li>
 * </ul>
 *
 * <p>Everything else is answer text. A response without any of these has an empty thinking.
 *
 * @param thinking the reasoning text
 * @param answer the answer text
 */
record ReasoningParts(String thinking, String answer) {
  static final String OPENAI_REASONING = "reasoningContent";
  static final String OLLAMA_THINKING = "thinking";
  static final String ANTHROPIC_SIGNATURE = "signature";
  static final String GOOGLE_THOUGHT = "isThought";

  /** The thinking and answer of a whole (non-streamed) response. */
  static ReasoningParts of(@Nullable ChatResponse response) {
    Accumulator acc = new Accumulator();
    ReasoningParts p = acc.next(response);
    return p;
  }

  /** Turns a stream of chunks into thinking and answer deltas; reasoning sent cumulatively is de-duplicated. */
  static final class Accumulator {
    private String reasoningSoFar = "";

    /** The thinking and answer text {@code chunk} adds. */
    ReasoningParts next(@Nullable ChatResponse chunk) {
      if (chunk == null) {
        return new ReasoningParts("", "");
      }
      StringBuilder thinking = new StringBuilder();
      StringBuilder answer = new StringBuilder();
      for (Generation g : chunk.getResults()) {
        AssistantMessage m = g.getOutput();
        String text = m.getText() == null ? "" : m.getText();
        if (isThought(m)) {
          thinking.append(text);
          continue;
        }
        String reasoning = reasoningOf(m);
        if (reasoning != null && !reasoning.isEmpty()) {
          thinking.append(delta(reasoning));
        }
        answer.append(text);
      }
      return new ReasoningParts(thinking.toString(), answer.toString());
    }

    /**
     * OpenAI's streamed reasoning is cumulative, Ollama's is a delta: a value that extends what was seen is
     * the rest of it, anything else is new text.
     */
    private String delta(String reasoning) {
      if (!reasoningSoFar.isEmpty() && reasoning.startsWith(reasoningSoFar)) {
        String rest = reasoning.substring(reasoningSoFar.length());
        reasoningSoFar = reasoning;
        return rest;
      }
      reasoningSoFar = reasoningSoFar + reasoning;
      return reasoning;
    }
  }

  private static boolean isThought(AssistantMessage m) {
    Map<String, Object> md = m.getMetadata();
    return Boolean.TRUE.equals(md.get(GOOGLE_THOUGHT)) || md.get(ANTHROPIC_SIGNATURE) instanceof String
        || Boolean.TRUE.equals(md.get(OLLAMA_THINKING));
  }

  private static @Nullable String reasoningOf(AssistantMessage m) {
    Map<String, Object> md = m.getMetadata();
    if (md.get(OPENAI_REASONING) instanceof String s) {
      return s;
    }
    if (md.get(OLLAMA_THINKING) instanceof String s) {
      return s;
    }
    return reasoningField(m);
  }

  private static @Nullable String reasoningField(AssistantMessage m) {
    if (m.getClass() == AssistantMessage.class) {
      return null;
    }
    try {
      Method getter = m.getClass().getMethod("getReasoningContent");
      if (getter.getReturnType() == String.class && Modifier.isPublic(getter.getDeclaringClass().getModifiers())) {
        return (String) getter.invoke(m);
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      // no such accessor: this message carries no reasoning field
    }
    return null;
  }
}
