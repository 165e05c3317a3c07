package io.guardtrace;

import io.guardtrace.spi.EngineSession;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Judges a trace while the reasoning model is still streaming it. Feed the thinking and then the answer as
 * they arrive; {@link #check()} returns exactly the verdict {@link GuardTrace#detect} would return for the
 * trace so far (same prompt tokens, same generated ids), but prefills only what was appended since the last
 * check plus the short closing part of the prompt: the keys and values of everything before are kept.
 *
 * <pre>{@code
 * try (TraceMonitor m = guard.monitor(question, images)) {
 *   m.autoCheck(256, verdict -> stream.cancel());        // check every 256 new tokens, stop on harm
 *   for (String chunk : reasoningStream) {
 *     m.appendThinking(chunk);
 *   }
 *   m.appendAnswer(answer);
 *   SafetyVerdict finalVerdict = m.check();
 * }
 * }</pre>
 *
 * <p>Thread-safety: appends from several threads are applied atomically, in the order the calls take the
 * monitor's lock. Checks are serialised: a check that starts while another runs waits for it, then judges the
 * trace as it is when it starts. After {@link #close()} every call fails with {@link GuardTraceClosedException}.
 * Appending thinking after the answer has started is an {@link IllegalStateException}. Verdicts of a monitor
 * are not cached.
 */
public final class TraceMonitor implements AutoCloseable {
  /** Called once, on the first verdict of an automatic check that is not {@link RiskLevel#SAFE}. */
  @FunctionalInterface
  public interface UnsafeListener {
    void onUnsafe(SafetyVerdict verdict);
  }

  private final GuardTrace guard;
  private final EngineSession session;
  private final String question;
  private final List<TraceImage> images;
  private final Executor executor;
  private final StringBuilder thinking = new StringBuilder();
  private final StringBuilder answer = new StringBuilder();
  private final ReentrantLock checkLock = new ReentrantLock();
  private boolean answering;
  private volatile boolean closed;
  private int autoEvery;
  private @Nullable UnsafeListener listener;
  private boolean alerted;
  private int charsAtLastAutoCheck;
  private @Nullable CompletableFuture<SafetyVerdict> autoRunning;
  private @Nullable SafetyVerdict lastAutoVerdict;

  TraceMonitor(GuardTrace guard, EngineSession session, String question, List<TraceImage> images,
      Executor executor) {
    this.guard = guard;
    this.session = session;
    this.question = question;
    this.images = List.copyOf(images);
    this.executor = executor;
    new QtaTrace(question, "", "", this.images); // validates the question now
  }

  /**
   * Checks automatically once at least {@code everyTokens} tokens were appended since the last automatic
   * check, on the guard's executor; {@code listener} hears the first verdict that is not safe. Returns this.
   */
  public synchronized TraceMonitor autoCheck(int everyTokens, UnsafeListener listener) {
    if (everyTokens < 1) {
      throw new IllegalArgumentException("everyTokens must be at least 1, was " + everyTokens);
    }
    this.autoEvery = everyTokens;
    this.listener = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /** Appends a chunk of the model's reasoning. */
  public void appendThinking(String chunk) {
    Objects.requireNonNull(chunk, "chunk");
    synchronized (this) {
      requireOpen();
      if (answering) {
        throw new IllegalStateException("the answer has started; thinking can no longer be appended");
      }
      thinking.append(chunk);
    }
    maybeAutoCheck();
  }

  /** Appends a chunk of the model's final answer (the thinking is then complete). */
  public void appendAnswer(String chunk) {
    Objects.requireNonNull(chunk, "chunk");
    synchronized (this) {
      requireOpen();
      answering = true;
      answer.append(chunk);
    }
    maybeAutoCheck();
  }

  /** The trace as it stands now. */
  public synchronized QtaTrace trace() {
    return new QtaTrace(question, thinking.toString(), answer.toString(), images);
  }

  /**
   * Judges the trace so far. Equals {@code guard.detect(trace())} apart from {@link SafetyVerdict#cached()}
   * and timings.
   */
  public SafetyVerdict check() {
    requireOpen();
    checkLock.lock();
    QtaTrace trace = trace();
    try {
      requireOpen();
      SafetyVerdict v = guard.judge(trace, session::generate, () -> closed);
      guard.notifyVerdict(trace, v);
      return v;
    } catch (RuntimeException e) {
      guard.notifyFailure(trace, e);
      throw e;
    } finally {
      checkLock.unlock();
    }
  }

  /** {@link #check()} on the guard's executor. */
  public CompletableFuture<SafetyVerdict> checkAsync() {
    requireOpen();
    return CompletableFuture.supplyAsync(this::check, executor);
  }

  /** The verdict of the latest finished automatic check, or null. */
  public synchronized @Nullable SafetyVerdict lastAutoVerdict() {
    return lastAutoVerdict;
  }

  /** Prompt tokens whose keys and values are kept between checks. */
  public int cachedTokens() {
    return session.cachedTokens();
  }

  private void maybeAutoCheck() {
    UnsafeListener l;
    synchronized (this) {
      l = listener;
      if (l == null || alerted || (autoRunning != null && !autoRunning.isDone())) {
        return;
      }
      int chars = thinking.length() + answer.length();
      // a cheap pre-filter: a token is at least one character
      if (chars - charsAtLastAutoCheck < autoEvery) {
        return;
      }
      String appended = (thinking.toString() + answer).substring(charsAtLastAutoCheck);
      if (guard.countTokens(appended) < autoEvery) {
        return;
      }
      charsAtLastAutoCheck = chars;
      autoRunning = checkAsync();
      autoRunning.thenAccept(v -> {
        boolean fire;
        synchronized (this) {
          lastAutoVerdict = v;
          fire = !v.isSafe() && !alerted;
          alerted |= fire;
        }
        if (fire) {
          l.onUnsafe(v);
        }
      });
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new GuardTraceClosedException("this monitor is closed");
    }
  }

  /** Frees the monitor's cache; a running check fails with {@link GuardTraceClosedException}. Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    checkLock.lock();
    try {
      session.close();
    } finally {
      checkLock.unlock();
    }
  }
}
