package io.guardtrace;

import io.guardtrace.spi.EngineSession;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Judges a trace while the reasoning model is still streaming it. Feed the thinking and then the answer as
 * they arrive; {@link #check()} returns exactly the verdict {@link GuardTrace#detect} would return for the
 * trace so far (same prompt tokens, same generated ids), but prefills only what was appended since the last
 * check plus the short closing part of the prompt: the keys and values of everything before are kept.
 *
 * <pre>{@code
 * try (TraceMonitor m = guard.monitor(question, images)) {
 *   m.autoCheck(256, verdict -> stream.cancel(),          // check every 256 new tokens, stop on harm
 *       error -> stream.cancel());                        // ... and when a check fails: fail closed
 *   for (String chunk : reasoningStream) {
 *     m.appendThinking(chunk);
 *   }
 *   m.appendAnswer(answer);
 *   SafetyVerdict finalVerdict = m.check();
 * }
 * }</pre>
 *
 * <p><b>A failed automatic check is never silence.</b> When an automatic check fails (an undecodable image,
 * an engine failure), the error listener hears it, and every later append or check throws
 * {@link AutoCheckFailedException} carrying the failure: a stream whose check failed cannot go on as if the
 * check had found nothing.
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
    /**
     * Hears the first unsafe verdict, on the thread that ran the check.
     *
     * @param verdict the verdict, not {@link RiskLevel#SAFE}
     */
    void onUnsafe(SafetyVerdict verdict);
  }

  /** Called when an automatic check fails; the monitor then refuses every append and check. */
  @FunctionalInterface
  public interface ErrorListener {
    /**
     * Hears the failure of an automatic check, on the thread that ran it. Later appends and checks throw
     * {@link AutoCheckFailedException} with {@code error} as its cause.
     *
     * @param error why the check failed: usually a {@link GuardTraceException} such as
     *     {@link InvalidImageException} or {@link EngineException}
     */
    void onError(Throwable error);
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
  private @Nullable ErrorListener errorListener;
  private boolean alerted;
  private int charsAtLastAutoCheck;
  private @Nullable CompletableFuture<SafetyVerdict> autoRunning;
  private @Nullable SafetyVerdict lastAutoVerdict;
  private volatile @Nullable Throwable autoCheckFailure;

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
   * check, on the guard's executor; {@code listener} hears the first verdict that is not safe. A check that
   * fails reaches no listener here, but every later append or check throws {@link AutoCheckFailedException};
   * use {@link #autoCheck(int, UnsafeListener, ErrorListener)} to hear it at once.
   *
   * @param everyTokens tokens to append between automatic checks, at least 1
   * @param listener hears the first unsafe verdict
   * @return this monitor
   */
  public TraceMonitor autoCheck(int everyTokens, UnsafeListener listener) {
    return autoCheck(everyTokens, listener, error -> {});
  }

  /**
   * As {@link #autoCheck(int, UnsafeListener)}, and {@code onError} hears an automatic check that failed
   * (after which every append and check throws {@link AutoCheckFailedException}).
   *
   * @param everyTokens tokens to append between automatic checks, at least 1
   * @param onUnsafe hears the first unsafe verdict
   * @param onError hears the failure of an automatic check
   * @return this monitor
   */
  public synchronized TraceMonitor autoCheck(int everyTokens, UnsafeListener onUnsafe, ErrorListener onError) {
    if (everyTokens < 1) {
      throw new IllegalArgumentException("everyTokens must be at least 1, was " + everyTokens);
    }
    this.autoEvery = everyTokens;
    this.listener = Objects.requireNonNull(onUnsafe, "onUnsafe");
    this.errorListener = Objects.requireNonNull(onError, "onError");
    return this;
  }

  /**
   * Appends a chunk of the model's reasoning.
   *
   * @param chunk the text to append
   * @throws AutoCheckFailedException when an automatic check of this monitor failed
   * @throws GuardTraceClosedException when this monitor is closed
   */
  public void appendThinking(String chunk) {
    Objects.requireNonNull(chunk, "chunk");
    synchronized (this) {
      requireUsable();
      if (answering) {
        throw new IllegalStateException("the answer has started; thinking can no longer be appended");
      }
      thinking.append(chunk);
    }
    maybeAutoCheck();
  }

  /**
   * Appends a chunk of the model's final answer (the thinking is then complete).
   *
   * @param chunk the text to append
   * @throws AutoCheckFailedException when an automatic check of this monitor failed
   * @throws GuardTraceClosedException when this monitor is closed
   */
  public void appendAnswer(String chunk) {
    Objects.requireNonNull(chunk, "chunk");
    synchronized (this) {
      requireUsable();
      answering = true;
      answer.append(chunk);
    }
    maybeAutoCheck();
  }

  /**
   * The trace as it stands now.
   *
   * @return the question, images, thinking and answer appended so far
   */
  public synchronized QtaTrace trace() {
    return new QtaTrace(question, thinking.toString(), answer.toString(), images);
  }

  /**
   * Judges the trace so far. Equals {@code guard.detect(trace())} apart from {@link SafetyVerdict#cached()}
   * and timings.
   *
   * @return the verdict
   * @throws AutoCheckFailedException when an automatic check of this monitor failed
   * @throws GuardTraceClosedException when this monitor or its guard is or gets closed
   */
  public SafetyVerdict check() {
    return check(() -> false);
  }

  private SafetyVerdict check(BooleanSupplier cancelled) {
    requireUsable();
    checkLock.lock();
    QtaTrace trace = trace();
    try {
      requireUsable();
      if (cancelled.getAsBoolean()) {
        throw new GuardTraceCancelledException("the check was cancelled before it started");
      }
      SafetyVerdict v = guard.judge(trace, session::generate, () -> closed || cancelled.getAsBoolean());
      guard.notifyVerdict(trace, v);
      return v;
    } catch (GuardTraceCancelledException e) {
      RuntimeException failure = closed
          ? new GuardTraceClosedException("this monitor was closed while the check ran", e) : e;
      guard.notifyFailure(trace, failure);
      throw failure;
    } catch (RuntimeException e) {
      guard.notifyFailure(trace, e);
      throw e;
    } finally {
      checkLock.unlock();
    }
  }

  /**
   * {@link #check()} on the guard's executor. Cancelling the future stops the check's generation within one
   * decode step. Failures, those of a closed monitor included, arrive through the future.
   *
   * @return the verdict's future
   */
  public CompletableFuture<SafetyVerdict> checkAsync() {
    AtomicBoolean cancelled = new AtomicBoolean();
    CompletableFuture<SafetyVerdict> f = new CompletableFuture<>() {
      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        cancelled.set(true);
        return super.cancel(mayInterruptIfRunning);
      }
    };
    try {
      requireUsable();
      executor.execute(() -> {
        if (f.isDone()) {
          return; // cancelled while queued
        }
        try {
          f.complete(check(cancelled::get));
        } catch (Throwable e) {
          f.completeExceptionally(e);
        }
      });
    } catch (RuntimeException e) {
      f.completeExceptionally(e);
    }
    return f;
  }

  /**
   * The verdict of the latest finished automatic check.
   *
   * @return that verdict, or null when none finished yet
   */
  public synchronized @Nullable SafetyVerdict lastAutoVerdict() {
    return lastAutoVerdict;
  }

  /**
   * Prompt tokens whose keys and values are kept between checks.
   *
   * @return the number of cached prompt tokens
   */
  public int cachedTokens() {
    return session.cachedTokens();
  }

  private void maybeAutoCheck() {
    UnsafeListener onUnsafe;
    ErrorListener onError;
    synchronized (this) {
      onUnsafe = listener;
      onError = errorListener;
      if (onUnsafe == null || onError == null || alerted || (autoRunning != null && !autoRunning.isDone())) {
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
      autoRunning.whenComplete((v, e) -> autoCheckDone(onUnsafe, onError, v, e));
    }
  }

  private void autoCheckDone(UnsafeListener onUnsafe, ErrorListener onError, @Nullable SafetyVerdict v,
      @Nullable Throwable e) {
    if (e != null) {
      if (closed) {
        return; // closed under the check by its owner: nothing left to vouch for
      }
      Throwable cause = GuardTrace.unwrap(e);
      synchronized (this) {
        if (autoCheckFailure == null) {
          autoCheckFailure = cause;
        }
      }
      onError.onError(cause);
      return;
    }
    boolean fire;
    synchronized (this) {
      lastAutoVerdict = v;
      fire = !v.isSafe() && !alerted;
      alerted |= fire;
    }
    if (fire) {
      onUnsafe.onUnsafe(v);
    }
  }

  private void requireUsable() {
    if (closed) {
      throw new GuardTraceClosedException("this monitor is closed");
    }
    Throwable failed = autoCheckFailure;
    if (failed != null) {
      throw new AutoCheckFailedException(failed);
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
