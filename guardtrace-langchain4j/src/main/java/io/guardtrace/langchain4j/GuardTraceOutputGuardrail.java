package io.guardtrace.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.guardrail.OutputGuardrail;
import dev.langchain4j.guardrail.OutputGuardrailRequest;
import dev.langchain4j.guardrail.OutputGuardrailResult;
import io.guardtrace.GuardTrace;
import io.guardtrace.GuardTraceException;
import io.guardtrace.QtaTrace;
import io.guardtrace.RiskLevel;
import io.guardtrace.SafetyVerdict;
import java.util.Objects;

/**
 * A LangChain4j output guardrail that judges the AI service's user message (text and images), the model's
 * thinking ({@link AiMessage#thinking()}) and its answer ({@link AiMessage#text()}) with GuardTrace. A verdict
 * at or above the {@linkplain Builder#threshold threshold} fails the output as the {@linkplain Mode mode}
 * says; the failure's cause is an {@link UnsafeOutputException} carrying the verdict. If the guard itself
 * fails (engine failure, unusable image), the output fails fatally: what could not be judged is not passed.
 *
 * <p>Programmatic configuration:
 *
 * <pre>{@code
 * Assistant assistant = AiServices.builder(Assistant.class)
 *     .chatModel(model)
 *     .outputGuardrails(GuardTraceOutputGuardrail.builder(guard).mode(Mode.REPROMPT).build())
 *     .build();
 * }</pre>
 *
 * <p>With the {@code @OutputGuardrails} annotation LangChain4j instantiates the named class through its
 * no-argument constructor, so name a subclass that supplies the guard:
 *
 * <pre>{@code
 * public final class ModerateReasoning extends GuardTraceOutputGuardrail {
 *   public ModerateReasoning() {
 *     super(GuardTraceOutputGuardrail.builder(Guards.SHARED).mode(Mode.FATAL));
 *   }
 * }
 * interface Assistant {
 *   @OutputGuardrails(ModerateReasoning.class)
 *   String chat(String question);
 * }
 * }</pre>
 *
 * <p>The model's thinking reaches the guardrail only where the LangChain4j model integration returns it
 * (for example {@code returnThinking(true)} on the OpenAI, Anthropic, Gemini and Ollama chat models); without
 * it the trace's thinking is empty. Thread-safe.
 */
public class GuardTraceOutputGuardrail implements OutputGuardrail {
  /** What an unsafe output becomes. */
  public enum Mode {
    /**
     * A fatal failure: the AI-service call throws {@code OutputGuardrailException}, and the blocked answer is
     * removed from the chat memory.
     */
    FATAL,
    /**
     * Call the model again with the chat memory's messages (up to the service's max retries), then fail.
     * Needs an AI service with chat memory (LangChain4j re-sends the memory); without it, fails as FATAL.
     */
    RETRY,
    /**
     * Call the model again with the memory's messages and the {@linkplain Builder#reprompt reprompt}
     * appended, then fail. Needs chat memory, as {@link #RETRY}.
     */
    REPROMPT,
    /** Replace the answer with the {@linkplain Builder#refusal refusal} text (String-returning services). */
    REFUSE
  }

  /** The refusal used by {@link Mode#REFUSE} unless another is configured. */
  public static final String DEFAULT_REFUSAL = "I can't help with that.";
  /** The reprompt used by {@link Mode#REPROMPT} unless another is configured. */
  public static final String DEFAULT_REPROMPT = "Your previous answer or its reasoning was unsafe. Answer again "
      + "without harmful content, or decline.";

  private final GuardTrace guard;
  private final RiskLevel threshold;
  private final Mode mode;
  private final String refusal;
  private final String reprompt;

  /**
   * A guardrail configured by {@code builder} (for subclasses named in {@code @OutputGuardrails}).
   *
   * @param builder the configuration
   */
  protected GuardTraceOutputGuardrail(Builder builder) {
    this.guard = builder.guard;
    this.threshold = builder.threshold;
    this.mode = builder.mode;
    this.refusal = builder.refusal;
    this.reprompt = builder.reprompt;
  }

  /**
   * A builder for a guardrail using {@code guard}.
   *
   * @param guard the guard (not closed by the guardrail)
   * @return the builder
   */
  public static Builder builder(GuardTrace guard) {
    return new Builder(guard);
  }

  @Override
  public OutputGuardrailResult validate(OutputGuardrailRequest request) {
    AiMessage ai = request.responseFromLLM().aiMessage();
    SafetyVerdict verdict;
    try {
      UserMessage user = UserQuestions.of(request.requestParams());
      QtaTrace trace = UserQuestions.trace(user, nullToEmpty(ai.thinking()), nullToEmpty(ai.text()));
      verdict = guard.detect(trace);
    } catch (GuardTraceException e) {
      return fatal("the guard could not judge the output: " + e.getMessage(), e);
    }
    if (verdict.level().score() < threshold.score()) {
      return success();
    }
    UnsafeOutputException unsafe = new UnsafeOutputException(verdict);
    if ((mode == Mode.RETRY || mode == Mode.REPROMPT) && request.requestParams().chatMemory() == null) {
      // LangChain4j re-sends the chat memory's messages: without memory a retry would send nothing (or the
      // reprompt alone, without the question)
      return fatalWithMessageRemoval(unsafe.getMessage() + " (" + mode + " needs an AI service with chat "
          + "memory; failing instead)", unsafe);
    }
    return switch (mode) {
      // the blocked answer leaves the chat memory too, so it is not sent back to the model on the next turn
      case FATAL -> fatalWithMessageRemoval(unsafe.getMessage(), unsafe);
      case RETRY -> retry(unsafe.getMessage(), unsafe);
      case REPROMPT -> reprompt(unsafe.getMessage(), unsafe, reprompt);
      case REFUSE -> successWith(refusal);
    };
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  /** Configures a {@link GuardTraceOutputGuardrail}. Not thread-safe. */
  public static final class Builder {
    private final GuardTrace guard;
    private RiskLevel threshold = RiskLevel.HARMFUL;
    private Mode mode = Mode.FATAL;
    private String refusal = DEFAULT_REFUSAL;
    private String reprompt = DEFAULT_REPROMPT;

    private Builder(GuardTrace guard) {
      this.guard = Objects.requireNonNull(guard, "guard");
    }

    /**
     * The lowest level that fails the output: {@link RiskLevel#HARMFUL} (default) or
     * {@link RiskLevel#POTENTIALLY_HARMFUL}.
     *
     * @param threshold the level
     * @return this builder
     * @throws IllegalArgumentException for {@link RiskLevel#SAFE}
     */
    public Builder threshold(RiskLevel threshold) {
      this.threshold = Checks.threshold(threshold);
      return this;
    }

    /**
     * What an unsafe output becomes. Default {@link Mode#FATAL}.
     *
     * @param mode the mode
     * @return this builder
     */
    public Builder mode(Mode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /**
     * The text {@link Mode#REFUSE} answers with.
     *
     * @param refusal the refusal
     * @return this builder
     */
    public Builder refusal(String refusal) {
      this.refusal = Checks.text(refusal, "refusal");
      return this;
    }

    /**
     * The message {@link Mode#REPROMPT} appends before calling the model again.
     *
     * @param reprompt the reprompt
     * @return this builder
     */
    public Builder reprompt(String reprompt) {
      this.reprompt = Checks.text(reprompt, "reprompt");
      return this;
    }

    /**
     * The guardrail.
     *
     * @return a new guardrail
     */
    public GuardTraceOutputGuardrail build() {
      return new GuardTraceOutputGuardrail(this);
    }
  }
}
