package io.guardtrace.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.PartialThinkingContext;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.langchain4j.rag.content.Content;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.service.tool.BeforeToolExecution;
import dev.langchain4j.service.tool.ToolExecution;
import io.guardtrace.GuardTrace;
import io.guardtrace.GuardTraceException;
import io.guardtrace.RiskLevel;
import io.guardtrace.SafetyVerdict;
import io.guardtrace.TraceImage;
import io.guardtrace.TraceMonitor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A {@link TokenStream} that judges a streaming AI service's output while it arrives and cuts it on the first
 * unsafe check. Thinking and answer tokens are fed into a {@link TraceMonitor}; every
 * {@linkplain Builder#checkEveryTokens N tokens}, and once at the end, the trace so far is checked.
 *
 * <p><b>Guarantee:</b> no partial thinking or partial response reaches your handlers before a check that
 * includes its text returned a verdict below the threshold. On the first unsafe verdict the held tokens are
 * dropped, the model's stream is cancelled (where the model integration supports cancellation; otherwise its
 * remaining tokens are ignored) and the stream ends: with the refusal as the last partial response and the
 * complete response ({@link Mode#REFUSE}), or with {@link UnsafeOutputException} on the error handler
 * ({@link Mode#FAIL}). Handlers run on the model's streaming thread, and checks run there too: a check blocks
 * the stream while the guard judges.
 *
 * <pre>{@code
 * TokenStream raw = assistant.chat(question);          // an AI-service method returning TokenStream
 * GuardedTokenStream.builder(guard).question(question).checkEveryTokens(64).build(raw)
 *     .onPartialThinking(t -> ui.thinking(t.text()))
 *     .onPartialResponse(ui::answer)
 *     .onCompleteResponse(r -> ui.done())
 *     .onError(ui::failed)
 *     .start();
 * }</pre>
 *
 * <p>Why not an output guardrail: for streaming services LangChain4j runs output guardrails only once the
 * whole response has arrived, holding back the partial responses until then, while partial thinking passes
 * to the handler unchecked. Use this class instead of (not together with) {@code @OutputGuardrails} on a
 * streaming method. The question is passed explicitly because a {@link TokenStream} does not expose the
 * request.
 */
public final class GuardedTokenStream implements TokenStream {
  /** How an unsafe stream ends. */
  public enum Mode {
    /** The refusal as the last partial response, then the complete response with the refusal as its text. */
    REFUSE,
    /** {@link UnsafeOutputException} on the error handler. */
    FAIL
  }

  private final TokenStream inner;
  private final GuardTrace guard;
  private final String question;
  private final List<TraceImage> images;
  private final int checkEveryTokens;
  private final RiskLevel threshold;
  private final Mode mode;
  private final String refusal;

  private @Nullable Consumer<String> partialResponse;
  private @Nullable Consumer<PartialThinking> partialThinking;
  private @Nullable Consumer<ChatResponse> complete;
  private @Nullable Consumer<Throwable> error;

  // stream state: the model's callbacks come one at a time, but possibly from different threads
  private final List<Runnable> held = new ArrayList<>();
  private final StringBuilder sinceCheck = new StringBuilder();
  private @Nullable TraceMonitor monitor;
  private boolean answerStarted;
  private boolean ended;
  private @Nullable SafetyVerdict lastVerdict;

  private GuardedTokenStream(Builder b, TokenStream inner) {
    this.inner = inner;
    this.guard = b.guard;
    this.question = b.question;
    this.images = List.copyOf(b.images);
    this.checkEveryTokens = b.checkEveryTokens;
    this.threshold = b.threshold;
    this.mode = b.mode;
    this.refusal = b.refusal;
  }

  /**
   * A builder for streams judged by {@code guard}.
   *
   * @param guard the guard
   * @return the builder
   */
  public static Builder builder(GuardTrace guard) {
    return new Builder(guard);
  }

  /**
   * The verdict of the latest check, or null before the first.
   *
   * @return the verdict
   */
  public synchronized @Nullable SafetyVerdict lastVerdict() {
    return lastVerdict;
  }

  @Override
  public TokenStream onPartialResponse(Consumer<String> handler) {
    this.partialResponse = Objects.requireNonNull(handler, "handler");
    return this;
  }

  @Override
  public TokenStream onPartialThinking(Consumer<PartialThinking> handler) {
    this.partialThinking = Objects.requireNonNull(handler, "handler");
    return this;
  }

  @Override
  public TokenStream onRetrieved(Consumer<List<Content>> handler) {
    inner.onRetrieved(handler);
    return this;
  }

  @Override
  public TokenStream onIntermediateResponse(Consumer<ChatResponse> handler) {
    inner.onIntermediateResponse(handler);
    return this;
  }

  @Override
  public TokenStream beforeToolExecution(Consumer<BeforeToolExecution> handler) {
    inner.beforeToolExecution(handler);
    return this;
  }

  @Override
  public TokenStream onToolExecuted(Consumer<ToolExecution> handler) {
    inner.onToolExecuted(handler);
    return this;
  }

  @Override
  public TokenStream onCompleteResponse(Consumer<ChatResponse> handler) {
    this.complete = Objects.requireNonNull(handler, "handler");
    return this;
  }

  @Override
  public TokenStream onError(Consumer<Throwable> handler) {
    this.error = Objects.requireNonNull(handler, "handler");
    return this;
  }

  @Override
  public TokenStream ignoreErrors() {
    this.error = e -> { };
    return this;
  }

  @Override
  public void start() {
    try {
      monitor = guard.monitor(question, images);
    } catch (GuardTraceException e) {
      fail(e);
      return;
    }
    inner.onPartialThinkingWithContext(this::thinking)
        .onPartialResponseWithContext(this::answer)
        .onCompleteResponse(this::completed)
        .onError(this::failed)
        .start();
  }

  private synchronized void thinking(PartialThinking t, PartialThinkingContext ctx) {
    if (ended) {
      return;
    }
    String text = t.text();
    append(text, !answerStarted);
    held.add(() -> {
      if (partialThinking != null) {
        partialThinking.accept(t);
      }
    });
    checkIfDue(ctx.streamingHandle());
  }

  private synchronized void answer(PartialResponse r, PartialResponseContext ctx) {
    if (ended) {
      return;
    }
    answerStarted = true;
    append(r.text(), false);
    held.add(() -> {
      if (partialResponse != null) {
        partialResponse.accept(r.text());
      }
    });
    checkIfDue(ctx.streamingHandle());
  }

  private void append(String text, boolean asThinking) {
    TraceMonitor m = Objects.requireNonNull(monitor);
    if (asThinking) {
      m.appendThinking(text);
    } else {
      // thinking after the answer began is still judged, as answer text
      m.appendAnswer(text);
    }
    sinceCheck.append(text);
  }

  private void checkIfDue(StreamingHandle handle) {
    // a token is at least one character: count tokens only once there can be enough of them
    if (sinceCheck.length() < checkEveryTokens || guard.countTokens(sinceCheck.toString()) < checkEveryTokens) {
      return;
    }
    SafetyVerdict v = check();
    if (v != null && unsafe(v)) {
      cancel(handle);
    }
  }

  /** Checks the trace so far; releases what it covered, or ends the stream. Null when the check failed. */
  private @Nullable SafetyVerdict check() {
    sinceCheck.setLength(0);
    SafetyVerdict v;
    try {
      v = Objects.requireNonNull(monitor).check();
    } catch (GuardTraceException e) {
      fail(e);
      return null;
    }
    lastVerdict = v;
    if (unsafe(v)) {
      block(v);
    } else {
      held.forEach(Runnable::run);
      held.clear();
    }
    return v;
  }

  private synchronized void completed(ChatResponse response) {
    if (ended) {
      return;
    }
    if (sinceCheck.length() > 0 || lastVerdict == null) {
      SafetyVerdict v = check();
      if (v == null || unsafe(v)) {
        return;
      }
    }
    end();
    if (complete != null) {
      complete.accept(response);
    }
  }

  private synchronized void failed(Throwable t) {
    if (ended) {
      return;
    }
    fail(t);
  }

  private boolean unsafe(SafetyVerdict v) {
    return v.level().score() >= threshold.score();
  }

  private void block(SafetyVerdict v) {
    end();
    if (mode == Mode.FAIL) {
      if (error != null) {
        error.accept(new UnsafeOutputException(v));
      }
      return;
    }
    if (partialResponse != null) {
      partialResponse.accept(refusal);
    }
    if (complete != null) {
      complete.accept(ChatResponse.builder().aiMessage(AiMessage.from(refusal))
          .finishReason(FinishReason.CONTENT_FILTER).build());
    }
  }

  private void fail(Throwable t) {
    end();
    if (error != null) {
      error.accept(t);
    }
  }

  private void end() {
    ended = true;
    held.clear();
    if (monitor != null) {
      monitor.close();
    }
  }

  private static void cancel(StreamingHandle handle) {
    try {
      handle.cancel();
    } catch (RuntimeException e) {
      // this model integration cannot cancel: its remaining tokens arrive and are ignored
    }
  }

  /** Configures a {@link GuardedTokenStream}. Not thread-safe. */
  public static final class Builder {
    private final GuardTrace guard;
    private String question = "";
    private final List<TraceImage> images = new ArrayList<>();
    private int checkEveryTokens = 64;
    private RiskLevel threshold = RiskLevel.HARMFUL;
    private Mode mode = Mode.REFUSE;
    private String refusal = GuardTraceOutputGuardrail.DEFAULT_REFUSAL;

    private Builder(GuardTrace guard) {
      this.guard = Objects.requireNonNull(guard, "guard");
    }

    /**
     * The user's question (the text of the message the stream answers).
     *
     * @param question the text
     * @return this builder
     */
    public Builder question(String question) {
      this.question = Objects.requireNonNull(question, "question");
      return this;
    }

    /**
     * Adds an image of the user's message.
     *
     * @param image the image
     * @return this builder
     */
    public Builder image(TraceImage image) {
      images.add(Objects.requireNonNull(image, "image"));
      return this;
    }

    /**
     * The question and images of a LangChain4j user message (text contents joined by newlines; images as
     * base64 data, see {@link GuardTraceOutputGuardrail}).
     *
     * @param message the user message
     * @return this builder
     */
    public Builder question(dev.langchain4j.data.message.UserMessage message) {
      io.guardtrace.QtaTrace t = UserQuestions.trace(message, "", "");
      this.question = t.question();
      this.images.clear();
      this.images.addAll(t.images());
      return this;
    }

    /**
     * Check after this many new tokens. Default 64.
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
     * The lowest level that cuts the stream. Default {@link RiskLevel#HARMFUL}.
     *
     * @param threshold {@link RiskLevel#HARMFUL} or {@link RiskLevel#POTENTIALLY_HARMFUL}
     * @return this builder
     */
    public Builder threshold(RiskLevel threshold) {
      this.threshold = Checks.threshold(threshold);
      return this;
    }

    /**
     * How an unsafe stream ends. Default {@link Mode#REFUSE}.
     *
     * @param mode the mode
     * @return this builder
     */
    public Builder mode(Mode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /**
     * The refusal that ends an unsafe stream in {@link Mode#REFUSE}.
     *
     * @param refusal the text
     * @return this builder
     */
    public Builder refusal(String refusal) {
      this.refusal = Checks.text(refusal, "refusal");
      return this;
    }

    /**
     * Wraps {@code stream}; register your handlers on the result and call {@link TokenStream#start()}.
     *
     * @param stream the AI service's token stream, not started
     * @return the guarded stream
     */
    public GuardedTokenStream build(TokenStream stream) {
      return new GuardedTokenStream(this, Objects.requireNonNull(stream, "stream"));
    }
  }
}
