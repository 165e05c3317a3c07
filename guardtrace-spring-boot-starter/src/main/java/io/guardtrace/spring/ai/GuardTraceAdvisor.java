package io.guardtrace.spring.ai;

import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.RiskLevel;
import io.guardtrace.SafetyVerdict;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.client.ChatClientRequest;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.advisor.api.Advisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisorChain;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisor;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisorChain;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import reactor.core.publisher.Flux;

/**
 * A Spring AI advisor that moderates each exchange with GuardTrace: the request's last user message (text and
 * images) is the question, the response's reasoning (see {@link #REASONING_SOURCES}) the thinking, its text the
 * answer. A verdict at or above the {@linkplain Builder#threshold threshold} either replaces the answer with a
 * refusal or fails the call with {@link UnsafeResponseException}; the verdict is attached either way, under
 * {@value #VERDICT_KEY}, to the {@link ChatResponse}'s metadata and the {@link ChatClientResponse}'s context.
 *
 * <pre>{@code
 * ChatClient chat = ChatClient.builder(chatModel)
 *     .defaultAdvisors(GuardTraceAdvisor.builder(guard).threshold(RiskLevel.POTENTIALLY_HARMFUL).build())
 *     .build();
 * }</pre>
 *
 * <p><b>Streaming.</b> The stream is fed into a {@link io.guardtrace.TraceMonitor} as it arrives (thinking
 * chunks, then answer chunks) and checked each time {@linkplain Builder#checkEveryTokens N tokens} were added,
 * and once more when it ends. Chunks are held back until a check covering them returned a verdict below the
 * threshold: <b>no chunk reaches the subscriber before a check that includes its text passed</b>. On the first
 * unsafe verdict the held chunks are dropped, the model's stream is cancelled and the stream ends with one
 * refusal chunk (or the exception). The price is latency: text arrives in batches of about N tokens, each after
 * a check. The last chunk carries the final verdict.
 *
 * <p><b>Order.</b> {@link #DEFAULT_ORDER} places the advisor inside the chat-memory advisors
 * ({@link Advisor#DEFAULT_CHAT_MEMORY_PRECEDENCE_ORDER}) and outside the tool-calling loop
 * ({@code ToolCallingAdvisor.DEFAULT_ORDER}): the guard judges the final answer after all tool calls, with the
 * user's question (not a tool result) as the question, and memory records what the user saw (the refusal, not
 * the blocked answer). Reasoning the model did in intermediate tool-calling rounds is not judged.
 *
 * <p>Failures of the guard itself (an engine failure, an invalid image, a timeout) fail the call: an exchange
 * the guard could not judge is never passed as safe. Adding the advisor twice to one chain judges once.
 * Thread-safe; share one instance.
 */
public final class GuardTraceAdvisor implements CallAdvisor, StreamAdvisor {
  /**
   * Inside chat memory (+200), outside the tool-calling loop (+300); see the class comment.
   */
  public static final int DEFAULT_ORDER = Advisor.DEFAULT_CHAT_MEMORY_PRECEDENCE_ORDER + 50;
  /** The key of the verdict in the response metadata and the client response context. */
  public static final String VERDICT_KEY = "guardtrace.verdict";
  /** The refusal that replaces an unsafe answer unless another is configured. */
  public static final String DEFAULT_REFUSAL = "I can't help with that.";
  /** The finish reason of a refusal generation. */
  public static final String REFUSAL_FINISH_REASON = "content_filter";
  /** Where the thinking is read from: a summary of {@link ReasoningParts}' provider list, for the docs. */
  public static final String REASONING_SOURCES = "OpenAI(-compatible) reasoningContent, Ollama thinking, "
      + "Anthropic thinking blocks (call only), Google GenAI thought parts, getReasoningContent()";

  /** Set in the request context by the outermost instance, so a second one in the same chain stands aside. */
  static final String ADVISED_KEY = "guardtrace.advised";

  private final GuardTrace guard;
  private final RiskLevel threshold;
  private final OnUnsafe onUnsafe;
  private final String refusal;
  private final int order;
  private final int checkEveryTokens;

  private GuardTraceAdvisor(Builder b) {
    this.guard = b.guard;
    this.threshold = b.threshold;
    this.onUnsafe = b.onUnsafe;
    this.refusal = b.refusal;
    this.order = b.order;
    this.checkEveryTokens = b.checkEveryTokens;
  }

  /**
   * A builder for an advisor using {@code guard}.
   *
   * @param guard the guard (not closed by the advisor)
   * @return the builder
   */
  public static Builder builder(GuardTrace guard) {
    return new Builder(guard);
  }

  @Override
  public String getName() {
    return "GuardTraceAdvisor";
  }

  @Override
  public int getOrder() {
    return order;
  }

  /**
   * Whether {@code verdict} reaches this advisor's threshold.
   *
   * @param verdict a verdict
   * @return true when the response it judged must not reach the user
   */
  public boolean isUnsafe(SafetyVerdict verdict) {
    return verdict.level().score() >= threshold.score();
  }

  @Override
  public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
    if (request.context().containsKey(ADVISED_KEY)) {
      return chain.nextCall(request);
    }
    UserQuestion question = UserQuestion.of(request.prompt());
    ChatClientResponse response = chain.nextCall(request.mutate().context(ADVISED_KEY, Boolean.TRUE).build());
    ChatResponse chat = response.chatResponse();
    if (chat == null) {
      return response;
    }
    ReasoningParts parts = ReasoningParts.of(chat);
    SafetyVerdict verdict = guard.detect(
        new QtaTrace(question.text(), parts.thinking(), parts.answer(), question.images()));
    if (!isUnsafe(verdict)) {
      return withVerdict(response, ChatResponse.builder().from(chat).metadata(VERDICT_KEY, verdict).build(),
          verdict);
    }
    if (onUnsafe == OnUnsafe.THROW) {
      throw new UnsafeResponseException(verdict);
    }
    return withVerdict(response, refusal(chat.getMetadata(), verdict), verdict);
  }

  @Override
  public Flux<ChatClientResponse> adviseStream(ChatClientRequest request, StreamAdvisorChain chain) {
    if (request.context().containsKey(ADVISED_KEY)) {
      return chain.nextStream(request);
    }
    return Flux.defer(() -> {
      UserQuestion question = UserQuestion.of(request.prompt());
      StreamGate gate = new StreamGate(this, guard.monitor(question.text(), question.images()),
          guard::countTokens, checkEveryTokens);
      return gate.guard(chain.nextStream(request.mutate().context(ADVISED_KEY, Boolean.TRUE).build()),
          request);
    });
  }

  /** The response that replaces an unsafe one: only the refusal, none of the blocked text or reasoning. */
  ChatResponse refusal(@Nullable ChatResponseMetadata original, SafetyVerdict verdict) {
    Generation g = new Generation(new AssistantMessage(refusal),
        ChatGenerationMetadata.builder().finishReason(REFUSAL_FINISH_REASON).build());
    ChatResponseMetadata.Builder md = ChatResponseMetadata.builder().keyValue(VERDICT_KEY, verdict);
    if (original != null) {
      md.id(original.getId()).model(original.getModel()).usage(original.getUsage());
    }
    return new ChatResponse(List.of(g), md.build());
  }

  OnUnsafe onUnsafe() {
    return onUnsafe;
  }

  static ChatClientResponse withVerdict(ChatClientResponse response, ChatResponse chat, SafetyVerdict verdict) {
    return response.mutate().chatResponse(chat).context(VERDICT_KEY, verdict).build();
  }

  /** Configures a {@link GuardTraceAdvisor}. Not thread-safe. */
  public static final class Builder {
    private final GuardTrace guard;
    private RiskLevel threshold = RiskLevel.HARMFUL;
    private OnUnsafe onUnsafe = OnUnsafe.REFUSE;
    private String refusal = DEFAULT_REFUSAL;
    private int order = DEFAULT_ORDER;
    private int checkEveryTokens = 64;

    private Builder(GuardTrace guard) {
      this.guard = Objects.requireNonNull(guard, "guard");
    }

    /**
     * The lowest level that blocks a response: {@link RiskLevel#HARMFUL} (the default) or
     * {@link RiskLevel#POTENTIALLY_HARMFUL}.
     *
     * @param threshold the level
     * @return this builder
     * @throws IllegalArgumentException for {@link RiskLevel#SAFE}, which would block everything
     */
    public Builder threshold(RiskLevel threshold) {
      Objects.requireNonNull(threshold, "threshold");
      if (threshold == RiskLevel.SAFE) {
        throw new IllegalArgumentException("threshold must be POTENTIALLY_HARMFUL or HARMFUL; SAFE would block "
            + "every response");
      }
      this.threshold = threshold;
      return this;
    }

    /**
     * What happens to an unsafe response. Default {@link OnUnsafe#REFUSE}.
     *
     * @param onUnsafe refuse or throw
     * @return this builder
     */
    public Builder onUnsafe(OnUnsafe onUnsafe) {
      this.onUnsafe = Objects.requireNonNull(onUnsafe, "onUnsafe");
      return this;
    }

    /**
     * The text that replaces an unsafe answer. Default {@value GuardTraceAdvisor#DEFAULT_REFUSAL}.
     *
     * @param refusal the refusal text
     * @return this builder
     */
    public Builder refusal(String refusal) {
      Objects.requireNonNull(refusal, "refusal");
      if (refusal.isBlank()) {
        throw new IllegalArgumentException("refusal must not be blank");
      }
      this.refusal = refusal;
      return this;
    }

    /**
     * The advisor order. Default {@link GuardTraceAdvisor#DEFAULT_ORDER}.
     *
     * @param order the order
     * @return this builder
     */
    public Builder order(int order) {
      this.order = order;
      return this;
    }

    /**
     * When streaming, check after this many new tokens (thinking and answer). Smaller: less text held back,
     * more checks. Default 64.
     *
     * @param tokens at least 1
     * @return this builder
     */
    public Builder checkEveryTokens(int tokens) {
      if (tokens < 1) {
        throw new IllegalArgumentException("checkEveryTokens must be at least 1, was " + tokens);
      }
      this.checkEveryTokens = tokens;
      return this;
    }

    /**
     * The advisor.
     *
     * @return a new advisor
     */
    public GuardTraceAdvisor build() {
      return new GuardTraceAdvisor(this);
    }
  }
}
