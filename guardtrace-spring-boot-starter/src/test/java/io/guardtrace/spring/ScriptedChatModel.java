package io.guardtrace.spring;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import reactor.core.publisher.Flux;

/**
 * A reasoning chat model that answers with a fixed thinking and answer, shaped as a given Spring AI provider
 * integration shapes them. Streams word by word: the thinking's words, then the answer's; each chunk's
 * response id is {@code chunk-N}.
 */
public final class ScriptedChatModel implements ChatModel {
  /** Where the provider puts the thinking. */
  public enum Style {
    /** OpenAI: metadata reasoningContent; streamed cumulatively (every chunk carries all reasoning so far). */
    OPENAI,
    /** Ollama: metadata thinking (a String); streamed as deltas. */
    OLLAMA,
    /** Anthropic (call): a generation per thinking block, with a signature. */
    ANTHROPIC,
    /** Google GenAI: a generation per thought part, isThought=true. */
    GOOGLE
  }

  private final Style style;
  private final String thinking;
  private final String answer;
  /** Every prompt received. */
  public final List<Prompt> prompts = new CopyOnWriteArrayList<>();
  /** Chunks the stream emitted. */
  public final AtomicInteger emitted = new AtomicInteger();
  /** Whether a subscriber cancelled the stream. */
  public final AtomicBoolean cancelled = new AtomicBoolean();

  /**
   * An OpenAI-shaped model.
   *
   * @param thinking the reasoning
   * @param answer the answer
   */
  public ScriptedChatModel(String thinking, String answer) {
    this(Style.OPENAI, thinking, answer);
  }

  /**
   * A model shaped as {@code style}.
   *
   * @param style the provider shape
   * @param thinking the reasoning
   * @param answer the answer
   */
  public ScriptedChatModel(Style style, String thinking, String answer) {
    this.style = style;
    this.thinking = thinking;
    this.answer = answer;
  }

  @Override
  public ChatResponse call(Prompt prompt) {
    prompts.add(prompt);
    List<Generation> gens = new ArrayList<>();
    switch (style) {
      case OPENAI -> gens.add(gen(answer, Map.of("reasoningContent", thinking, "finishReason", "STOP")));
      case OLLAMA -> gens.add(gen(answer, Map.of("thinking", thinking)));
      case ANTHROPIC -> {
        gens.add(gen(thinking, Map.of("signature", "sig")));
        gens.add(gen(answer, Map.of()));
      }
      case GOOGLE -> {
        gens.add(gen(thinking, Map.of("isThought", Boolean.TRUE)));
        gens.add(gen(answer, Map.of("isThought", Boolean.FALSE)));
      }
    }
    return new ChatResponse(gens, ChatResponseMetadata.builder().id("call").model("scripted-llm").build());
  }

  /** The chunks {@link #stream} emits, in order. */
  public List<ChatResponse> chunks() {
    List<ChatResponse> out = new ArrayList<>();
    StringBuilder soFar = new StringBuilder();
    for (String word : words(thinking)) {
      soFar.append(word);
      Map<String, Object> md = style == Style.OLLAMA ? Map.of("thinking", word)
          : Map.of("reasoningContent", soFar.toString());
      out.add(chunk(out.size(), gen("", md)));
    }
    for (String word : words(answer)) {
      // OpenAI keeps sending the accumulated reasoning with every later chunk
      Map<String, Object> md = style == Style.OLLAMA ? Map.of() : Map.of("reasoningContent", soFar.toString());
      out.add(chunk(out.size(), gen(word, md)));
    }
    return out;
  }

  @Override
  public Flux<ChatResponse> stream(Prompt prompt) {
    prompts.add(prompt);
    return Flux.fromIterable(chunks()).doOnNext(c -> emitted.incrementAndGet())
        .doOnCancel(() -> cancelled.set(true));
  }

  private static ChatResponse chunk(int i, Generation g) {
    return new ChatResponse(List.of(g), ChatResponseMetadata.builder().id("chunk-" + i).build());
  }

  private static Generation gen(String text, Map<String, Object> metadata) {
    return new Generation(AssistantMessage.builder().content(text).properties(metadata).build());
  }

  /** Words with their trailing space, so that they concatenate back to the text. */
  static List<String> words(String text) {
    List<String> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == ' ') {
        out.add(text.substring(start, i + 1));
        start = i + 1;
      }
    }
    if (start < text.length()) {
      out.add(text.substring(start));
    }
    return out;
  }
}
