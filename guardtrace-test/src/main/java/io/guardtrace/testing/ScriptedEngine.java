package io.guardtrace.testing;

import io.guardtrace.EngineException;
import io.guardtrace.GuardTraceCancelledException;
import io.guardtrace.GuardTraceClosedException;
import io.guardtrace.GuardTraceException;
import io.guardtrace.GuardTraceOptions;
import io.guardtrace.PromptTooLongException;
import io.guardtrace.QtaTrace;
import io.guardtrace.TraceImage;
import io.guardtrace.image.ImageDecoder;
import io.guardtrace.image.RgbImage;
import io.guardtrace.image.SmartResize;
import io.guardtrace.spi.Engine;
import io.guardtrace.spi.EngineOptions;
import io.guardtrace.spi.EngineRequest;
import io.guardtrace.spi.EngineResult;
import io.guardtrace.spi.EngineSession;
import io.guardtrace.spi.JudgmentProbabilities;
import io.guardtrace.spi.PromptPart;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The engine behind {@link ScriptedGuard}: answers each request with the first {@link ScriptedReply} whose
 * condition holds for the trace, and records every request it receives. Thread-safe, like the real engine.
 *
 * <p>It behaves as GuardTrace-VL's engine does everywhere but in what it writes: it decodes every image with
 * the engine's decoder (refusing corrupt images and, from the header, images over the pixel limit or more
 * elongated than 200:1), counts prompt tokens as the chat template renders them (see
 * {@link #countTokens(String)}), refuses a prompt longer than the context, streams its output token by token
 * to the request's listener, stops at {@link EngineRequest#maxNewTokens()} (an output cut before its judgment
 * then fails closed), polls the request's cancellation while it works, and fails with
 * {@link GuardTraceClosedException} once closed.
 *
 * <p>Build it with {@link ScriptedGuard.Builder#buildEngine()} when a test needs the recorded requests:
 *
 * <pre>{@code
 * ScriptedEngine engine = ScriptedGuard.builder().otherwise(RiskLevel.SAFE, "fine").buildEngine();
 * try (GuardTrace guard = GuardTrace.builder().engine(engine).systemPrompt("Audit this.").build()) {
 *   guard.detect(trace);
 * }
 * assertEquals("Audit this.", engine.lastRequest().systemPrompt());
 * }</pre>
 */
public final class ScriptedEngine implements Engine {
  /** GuardTrace-VL-3B's context length ({@code max_position_embeddings}). */
  public static final int CONTEXT_LENGTH = 128_000;
  /** GuardTrace-VL-3B's {@code min_pixels}. */
  static final int MODEL_MIN_PIXELS = 3136;
  /** GuardTrace-VL-3B's {@code max_pixels}. */
  static final int MODEL_MAX_PIXELS = 12_845_056;
  /** Patch size times merge size: resized images are multiples of this. */
  private static final int FACTOR = 28;
  private static final long POLL_NANOS = Duration.ofMillis(2).toNanos();

  /** One line of the script. */
  record Rule(Predicate<QtaTrace> condition, ScriptedReply reply) {}

  private final List<Rule> rules;
  private final @Nullable ScriptedReply otherwise;
  private final @Nullable Duration latency;
  private final String identity;
  private final List<EngineRequest> requests = Collections.synchronizedList(new ArrayList<>());
  private volatile ImageSettings images = ImageSettings.MODEL;
  private volatile boolean closed;

  /** The pixel budget and decompression-bomb limit images are checked against. */
  private record ImageSettings(int minPixels, int maxPixels, long maxDecodedPixels) {
    static final ImageSettings MODEL =
        new ImageSettings(MODEL_MIN_PIXELS, MODEL_MAX_PIXELS, EngineOptions.DEFAULT_MAX_DECODED_PIXELS);
  }

  ScriptedEngine(List<Rule> rules, @Nullable ScriptedReply otherwise, @Nullable Duration latency, String identity) {
    this.rules = List.copyOf(rules);
    this.otherwise = otherwise;
    this.latency = latency;
    this.identity = identity;
  }

  /**
   * Takes the image settings of {@code options} ({@code minPixels}, {@code maxPixels}, {@code maxImagePixels}),
   * as the real engine receives them when it is opened.
   */
  void useImageSettings(GuardTraceOptions options) {
    Integer min = options.minPixels();
    Integer max = options.maxPixels();
    images = new ImageSettings(min != null ? min : MODEL_MIN_PIXELS, max != null ? max : MODEL_MAX_PIXELS,
        options.maxImagePixels());
  }

  /**
   * {@code "scripted"} unless {@link ScriptedGuard.Builder#identity(String)} set another (part of every cache
   * key).
   *
   * @return the identity
   */
  @Override
  public String identity() {
    return identity;
  }

  /**
   * GuardTrace-VL-3B's, {@value #CONTEXT_LENGTH}.
   *
   * @return the context length
   */
  @Override
  public int contextLength() {
    return CONTEXT_LENGTH;
  }

  /**
   * An approximation of the Qwen2.5 tokenizer's count: one token per piece its pre-tokenizer splits off (a
   * word with its leading space, a digit, a run of punctuation or of spaces). Within a few percent of the real
   * count for English prose; fewer for rare words, which the real tokenizer splits further.
   *
   * @param text plain text
   * @return its approximate token count
   */
  @Override
  public int countTokens(String text) {
    return ApproximateTokenizer.count(text);
  }

  /**
   * The prompt's tokens as the chat template renders it ({@link #countTokens} for text, the control tokens,
   * and for each image as many tokens as GuardTrace-VL gives it, from its header).
   *
   * @param systemPrompt the system message
   * @param userParts the user turn
   * @return the prompt's token count
   * @throws io.guardtrace.InvalidImageException for an unreadable image, one over the pixel limit or one more
   *     elongated than 200:1
   */
  @Override
  public int countPromptTokens(String systemPrompt, List<PromptPart> userParts) {
    requireOpen();
    ImageSettings settings = images;
    ImageDecoder decoder = new ImageDecoder(settings.maxDecodedPixels());
    List<Integer> tokens = new ArrayList<>();
    for (PromptPart p : userParts) {
      if (p instanceof PromptPart.Image img) {
        int[] wh = decoder.size(img.image());
        tokens.add(imageTokens(wh[0], wh[1], img.image(), settings));
      }
    }
    return ApproximateTokenizer.countPrompt(systemPrompt, userParts, tokens.iterator());
  }

  /**
   * Answers {@code request} from the script.
   *
   * @param request the request
   * @return the scripted model's output
   * @throws io.guardtrace.InvalidInputException for an image that cannot be decoded or a prompt longer than
   *     the context
   * @throws GuardTraceCancelledException when the request's cancellation fires
   * @throws EngineException for a scripted failure
   * @throws AssertionError when no line of the script matches the trace and none says what to do otherwise
   */
  @Override
  public EngineResult generate(EngineRequest request) {
    Objects.requireNonNull(request, "request");
    requireOpen();
    requests.add(request);
    try {
      return answer(request);
    } catch (GuardTraceException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new EngineException("the engine failed: " + e, e);
    }
  }

  /**
   * A session for {@link io.guardtrace.GuardTrace#monitor}: each check is answered by the same script, for the
   * trace as it stands.
   *
   * @return a new session
   */
  @Override
  public EngineSession openSession() {
    requireOpen();
    return new ScriptedSession(this);
  }

  /** Marks the engine closed: later requests fail with {@link GuardTraceClosedException}. Idempotent. */
  @Override
  public void close() {
    closed = true;
  }

  /**
   * Whether {@link #close()} was called (for example by {@link io.guardtrace.GuardTrace#close()}).
   *
   * @return true once closed
   */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Every request received so far, in the order they arrived, with the exact system prompt and user parts the
   * model would have been given. Monitor checks are included.
   *
   * @return an immutable snapshot
   */
  public List<EngineRequest> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  /**
   * The latest request, or null when none arrived.
   *
   * @return the latest request or null
   */
  public @Nullable EngineRequest lastRequest() {
    List<EngineRequest> all = requests();
    return all.isEmpty() ? null : all.get(all.size() - 1);
  }

  /**
   * The traces judged so far, in order, as the model saw them (a trace cut to fit the token budget has the cut
   * thinking, marker included). A cache hit does not reach the engine and so is not listed.
   *
   * @return an immutable snapshot
   */
  public List<QtaTrace> judgedTraces() {
    List<QtaTrace> out = new ArrayList<>();
    for (EngineRequest r : requests()) {
      out.add(traceOf(r));
    }
    return List.copyOf(out);
  }

  /** Forgets the recorded requests. */
  public void clearRequests() {
    requests.clear();
  }

  @Override
  public String toString() {
    return "ScriptedEngine[" + identity + ", " + rules.size() + " rules" + (closed ? ", closed" : "") + "]";
  }

  private void requireOpen() {
    if (closed) {
      throw new GuardTraceClosedException("the engine was closed");
    }
  }

  private EngineResult answer(EngineRequest request) {
    long start = System.nanoTime();
    ImageSettings settings = images;
    ImageDecoder decoder = new ImageDecoder(settings.maxDecodedPixels());
    List<Integer> imageTokens = new ArrayList<>();
    for (PromptPart p : request.userParts()) {
      if (p instanceof PromptPart.Image img) {
        RgbImage rgb = decoder.decode(img.image());
        imageTokens.add(imageTokens(rgb.width(), rgb.height(), img.image(), settings));
      }
    }
    int promptTokens =
        ApproximateTokenizer.countPrompt(request.systemPrompt(), request.userParts(), imageTokens.iterator());
    int limit = Math.min(CONTEXT_LENGTH, Integer.MAX_VALUE - request.maxNewTokens());
    if (promptTokens + request.maxNewTokens() > limit) {
      throw new PromptTooLongException(promptTokens + request.maxNewTokens(), limit, "prompt of " + promptTokens
          + " tokens plus " + request.maxNewTokens() + " new tokens exceeds the model's context length");
    }
    long preprocessed = System.nanoTime();
    ScriptedReply reply = replyFor(traceOf(request));
    Duration wait = reply.latency() != null ? reply.latency() : latency;
    if (wait != null) {
      await(wait, request.cancellation());
    }
    reply.throwFailure();
    return write(reply, request, promptTokens, preprocessed - start, System.nanoTime() - preprocessed);
  }

  /** Streams the reply's output token by token, up to the request's limit. */
  private static EngineResult write(ScriptedReply reply, EngineRequest request, int promptTokens,
      long preprocessNanos, long busyNanos) {
    long start = System.nanoTime();
    List<String> pieces = ApproximateTokenizer.pieces(reply.output());
    List<Integer> ids = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    for (String piece : pieces) {
      if (ids.size() == request.maxNewTokens()) {
        break;
      }
      requireNotCancelled(request.cancellation(), ids.size());
      int id = ApproximateTokenizer.id(piece);
      ids.add(id);
      text.append(piece);
      request.listener().onToken(id, piece);
    }
    boolean complete = ids.size() == pieces.size();
    boolean eos = complete && !request.ignoreEos() && ids.size() < request.maxNewTokens();
    if (eos) {
      ids.add(ApproximateTokenizer.END_OF_TURN);
      request.listener().onToken(ApproximateTokenizer.END_OF_TURN, "");
    }
    // the judgment is the output's last piece: an output cut short carries no probabilities, as with the model
    JudgmentProbabilities probabilities = complete ? reply.probabilities() : null;
    return new EngineResult(text.toString(), ids, promptTokens,
        eos ? EngineResult.FinishReason.EOS : EngineResult.FinishReason.LENGTH, preprocessNanos, 0, 0,
        busyNanos + System.nanoTime() - start, probabilities);
  }

  private ScriptedReply replyFor(QtaTrace trace) {
    for (Rule rule : rules) {
      if (rule.condition().test(trace)) {
        return rule.reply();
      }
    }
    if (otherwise != null) {
      return otherwise;
    }
    throw new AssertionError("no line of the script matches this trace and none says what to do otherwise "
        + "(add otherwise(...) to the ScriptedGuard): " + trace);
  }

  /** The request's trace; for a request not made from a trace, its text parts as the question. */
  private static QtaTrace traceOf(EngineRequest request) {
    QtaTrace trace = request.trace();
    if (trace != null) {
      return trace;
    }
    StringBuilder question = new StringBuilder();
    List<TraceImage> traceImages = new ArrayList<>();
    for (PromptPart p : request.userParts()) {
      if (p instanceof PromptPart.Text t) {
        question.append(t.text());
      } else if (p instanceof PromptPart.Image img) {
        traceImages.add(img.image());
      }
    }
    return new QtaTrace(question.toString(), "", "", traceImages);
  }

  /** GuardTrace-VL's tokens for an image of this size: one per 28x28 block after {@code smart_resize}. */
  private static int imageTokens(int width, int height, TraceImage image, ImageSettings settings) {
    int[] hw = SmartResize.resize(height, width, FACTOR, settings.minPixels(), settings.maxPixels(),
        image.description());
    return (hw[0] / FACTOR) * (hw[1] / FACTOR);
  }

  /** Sleeps {@code latency}, polling {@code cancellation} every few milliseconds. */
  private static void await(Duration latency, EngineRequest.Cancellation cancellation) {
    long end = System.nanoTime() + latency.toNanos();
    while (true) {
      requireNotCancelled(cancellation, 0);
      long left = end - System.nanoTime();
      if (left <= 0) {
        return;
      }
      LockSupport.parkNanos(Math.min(left, POLL_NANOS));
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        throw new GuardTraceCancelledException("interrupted while the scripted model was working");
      }
    }
  }

  private static void requireNotCancelled(EngineRequest.Cancellation cancellation, int generated) {
    if (cancellation.isCancelled()) {
      throw new GuardTraceCancelledException("generation cancelled after " + generated + " tokens");
    }
  }
}
