package io.guardtrace;

import io.guardtrace.spi.Engine;
import io.guardtrace.spi.EngineRequest;
import io.guardtrace.spi.EngineResult;
import io.guardtrace.spi.JudgmentProbabilities;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Moderates Question-Thinking-Answer traces with GuardTrace-VL, in process.
 *
 * <p><b>Share one instance.</b> A {@code GuardTrace} holds the model (gigabytes of native memory for the
 * 3B model) and is thread-safe: build one per model and share it across threads; close it when the
 * application stops. Requests run on its executor ({@link Builder#concurrency(int)} threads by default), so
 * {@link #detect} from many threads queues rather than oversubscribing the CPU.
 *
 * <pre>{@code
 * try (GuardTrace guard = GuardTrace.builder().model(Path.of("models/GuardTrace-VL-3B")).build()) {
 *   SafetyVerdict v = guard.detect(QtaTrace.of(question, thinking, answer));
 *   if (v.level().isUnsafe()) {
 *     block(v.analysis());
 *   }
 * }
 * }</pre>
 *
 * <p><b>Verdicts are cached</b> by everything that decides them (model, system prompt, settings, the trace's
 * text and image hashes); identical concurrent requests run the model once. <b>Unreadable output is never
 * safe</b>: see {@link FailurePolicy}. <b>Long traces</b> are fitted to {@link Builder#tokenBudget(int)} by
 * cutting the middle of the thinking, visibly; see {@link SafetyVerdict#truncated()}.
 */
public final class GuardTrace implements AutoCloseable {
  private final Engine engine;
  private final GuardTraceOptions options;
  private final String systemPrompt;
  private final @Nullable VerdictCache cache;
  private final Executor executor;
  private final @Nullable ExecutorService ownedExecutor;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Object idle = new Object();
  private final java.util.concurrent.ConcurrentHashMap<VerdictCache.Key, Job> running =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final List<VerdictListener> listeners;
  private final String systemPromptSha256;

  GuardTrace(Engine engine, GuardTraceOptions options, String systemPrompt, Executor executor,
      @Nullable ExecutorService ownedExecutor, List<VerdictListener> listeners) {
    this.listeners = List.copyOf(listeners);
    this.engine = engine;
    this.options = options;
    this.systemPrompt = systemPrompt;
    this.cache = options.cacheEnabled() ? new VerdictCache(options.cacheSize(), options.cacheTtl()) : null;
    this.systemPromptSha256 = Sha256.ofText(systemPrompt);
    this.executor = executor;
    this.ownedExecutor = ownedExecutor;
  }

  /**
   * A builder; {@link Builder#build()} loads the model.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Moderates {@code trace}, blocking until the verdict is ready.
   *
   * @param trace the trace to moderate
   * @return the verdict
   * @throws NullPointerException when {@code trace} is null
   * @throws InvalidInputException for an unusable trace or image, or one too long for the budget
   * @throws VerdictParseException when the output has no judgment and the policy is {@link FailurePolicy#THROW}
   * @throws GuardTraceCancelledException when the request ran past its deadline
   * @throws GuardTraceClosedException when this instance is or gets closed
   * @throws EngineException when the engine failed
   */
  public SafetyVerdict detect(QtaTrace trace) {
    CompletableFuture<SafetyVerdict> f = detectAsync(trace);
    try {
      return f.get();
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      throw new GuardTraceCancelledException("interrupted while waiting for the verdict", e);
    } catch (ExecutionException e) {
      throw rethrow(e.getCause());
    } catch (CancellationException e) {
      throw new GuardTraceCancelledException("the request was cancelled", e);
    }
  }

  /**
   * Moderates {@code trace} on this instance's executor.
   *
   * <p><b>All the work happens inside the request</b>, on the executor: reading and hashing the trace's
   * images (for the cache key and for the prompt), fitting the token budget and running the model, all under
   * the request's deadline and cancellation. The calling thread never reads a file.
   *
   * <p><b>Every failure arrives through the future</b>, as the {@link GuardTraceException} {@link #detect}
   * would throw: an unusable image ({@link InvalidImageException}), a trace too long for the budget
   * ({@link PromptTooLongException}), the deadline ({@link GuardTraceCancelledException}), a closed instance
   * ({@link GuardTraceClosedException}), an engine failure ({@link EngineException}). This method itself
   * throws only {@link NullPointerException}, for a null trace.
   *
   * <p>Cancelling the future stops the generation within one decode step. Identical concurrent requests share
   * one model run (see {@link Builder#cacheSize}), which stops once none of its callers waits any more. With
   * {@link Builder#requestTimeout}, the future fails at the deadline even while the work is at a point where it
   * cannot stop at once (a long prefill, a slow file); the work then stops at its next check.
   *
   * @param trace the trace to moderate
   * @return the verdict, or the failure, when the request completes
   * @throws NullPointerException when {@code trace} is null
   */
  public CompletableFuture<SafetyVerdict> detectAsync(QtaTrace trace) {
    Objects.requireNonNull(trace, "trace");
    Request request = new Request(trace);
    request.start();
    return request.caller;
  }

  /**
   * Moderates every trace (concurrently, up to the executor's threads) and returns the verdicts in order.
   * Returns or throws only once every request has completed.
   *
   * @param traces the traces to moderate
   * @return their verdicts, in the same order
   * @throws NullPointerException when {@code traces} or one of its elements is null (before any request starts)
   * @throws GuardTraceException the failure of the first request in list order that failed, once every request
   *     finished (the same exception {@link #detect} would throw for that trace)
   */
  public List<SafetyVerdict> detectAll(List<QtaTrace> traces) {
    List<QtaTrace> all = List.copyOf(traces);
    List<CompletableFuture<SafetyVerdict>> futures = new ArrayList<>(all.size());
    for (QtaTrace t : all) {
      futures.add(detectAsync(t));
    }
    List<SafetyVerdict> out = new ArrayList<>(all.size());
    RuntimeException first = null;
    for (CompletableFuture<SafetyVerdict> f : futures) {
      try {
        out.add(f.join());
      } catch (CompletionException | CancellationException e) {
        if (first == null) {
          first = rethrow(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
    return out;
  }

  /**
   * Opens a monitor that judges a trace while it is streamed, keeping the model's cache of everything
   * already seen (see {@link TraceMonitor}). Close it when the stream ends.
   *
   * @param question the user's question
   * @param images the question's images
   * @return the monitor
   * @throws UnsupportedOperationException when the engine cannot keep sessions
   */
  public TraceMonitor monitor(String question, List<TraceImage> images) {
    Objects.requireNonNull(question, "question");
    Objects.requireNonNull(images, "images");
    requireOpen();
    return new TraceMonitor(this, engine.openSession(), question, images, executor);
  }

  /**
   * A text-only {@link #monitor(String, List)}.
   *
   * @param question the user's question
   * @return the monitor
   */
  public TraceMonitor monitor(String question) {
    return monitor(question, List.of());
  }

  /**
   * Tokens {@code text} encodes to in a trace.
   *
   * @param text the text
   * @return its token count
   */
  public int countTokens(String text) {
    requireOpen();
    return engine.countTokens(text);
  }

  /**
   * Runs the model on {@code trace} through {@code runner} (the engine, or a monitor's session) and turns
   * its output into a verdict: budget, request, parse, failure policy.
   */
  SafetyVerdict judge(QtaTrace trace, java.util.function.Function<EngineRequest, EngineResult> runner,
      java.util.function.BooleanSupplier cancelled) {
    long start = System.nanoTime();
    requireOpen();
    PromptBudget.Fitted fitted = PromptBudget.fit(engine, systemPrompt, trace, options.missingImageNotice(),
        options.tokenBudget());
    EngineRequest request = new EngineRequest(systemPrompt, fitted.parts(), options.maxNewTokens(), false,
        EngineRequest.TokenListener.NONE, () -> cancelled.getAsBoolean() || closed.get(),
        QtaPrompt.traceAsSent(trace, fitted.parts(), fitted.truncated()));
    EngineResult r;
    try {
      r = runner.apply(request);
    } catch (GuardTraceCancelledException e) {
      if (closed.get()) {
        throw new GuardTraceClosedException("this GuardTrace was closed while the request ran", e);
      }
      throw e;
    }
    VerdictParser.Parsed parsed = VerdictParser.parse(r.text());
    RiskLevel level = parsed.level();
    if (level == null && options.failurePolicy() == FailurePolicy.THROW) {
      throw new VerdictParseException(r.text());
    }
    JudgmentProbabilities jp = r.judgmentProbabilities();
    Probabilities probs = jp == null || level == null ? null
        : new Probabilities(jp.safe(), jp.potentiallyHarmful(), jp.harmful());
    Timings timings = new Timings(Duration.ofNanos(r.preprocessNanos()), Duration.ofNanos(r.visionNanos()),
        Duration.ofNanos(r.prefillNanos()), Duration.ofNanos(r.decodeNanos()),
        Duration.ofNanos(System.nanoTime() - start));
    return new SafetyVerdict(level == null ? RiskLevel.HARMFUL : level, parsed.analysis(), r.text(),
        level != null, false, fitted.truncated(), r.promptTokens(), r.generatedTokenIds(), timings, probs,
        r.finishReason() == EngineResult.FinishReason.EOS);
  }

  /**
   * Hit and miss counts of the verdict cache.
   *
   * @return the counts, and whether the cache is on
   */
  public CacheStats cacheStats() {
    return cache == null ? new CacheStats(0, 0, 0, false) : cache.stats();
  }

  /**
   * Requests ({@link #detect}, {@link #detectAsync}, {@link #detectAll}) queued or running on the executor now,
   * a cache hit only while it is looked up; {@link TraceMonitor} checks are not counted.
   *
   * @return the number of requests not yet finished
   */
  public int inFlightRequests() {
    return inFlight.get();
  }

  /**
   * Whether {@link #close()} was called.
   *
   * @return true once this instance is closed
   */
  public boolean isClosed() {
    return closed.get();
  }

  /** Drops every cached verdict. */
  public void clearCache() {
    if (cache != null) {
      cache.clear();
    }
  }

  /**
   * The identity of the loaded model and its settings (part of every cache key).
   *
   * @return the identity
   */
  public String modelIdentity() {
    return engine.identity();
  }

  /**
   * guardtrace's own auditor instruction, used when no system prompt is configured.
   *
   * @return the instruction
   */
  public static String defaultSystemPrompt() {
    return DefaultSystemPrompt.text();
  }

  /**
   * The system prompt sent with every trace.
   *
   * @return the system prompt
   */
  public String systemPrompt() {
    return systemPrompt;
  }

  /**
   * The settings this instance was built with.
   *
   * @return the settings
   */
  public GuardTraceOptions options() {
    return options;
  }

  /**
   * The exact number of prompt tokens {@code trace} needs before any truncation (images included).
   *
   * @param trace the trace
   * @return its prompt tokens
   */
  public int countPromptTokens(QtaTrace trace) {
    requireOpen();
    return engine.countPromptTokens(systemPrompt, QtaPrompt.userParts(trace, options.missingImageNotice()));
  }

  /**
   * Closes the model. Running requests are signalled and fail with {@link GuardTraceClosedException}; this
   * waits for them (up to 30 seconds) before freeing native memory. Later calls fail with
   * {@link GuardTraceClosedException}. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    synchronized (idle) {
      while (inFlight.get() > 0 && System.nanoTime() < deadline) {
        try {
          idle.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    if (ownedExecutor != null) {
      ownedExecutor.shutdownNow();
    }
    engine.close();
  }

  private void requireOpen() {
    if (closed.get()) {
      throw new GuardTraceClosedException("this GuardTrace is closed; build a new one");
    }
  }

  /** Tells every listener; runs before the caller sees {@code verdict}, so what it records is already there. */
  void notifyVerdict(QtaTrace trace, SafetyVerdict verdict) {
    for (VerdictListener l : listeners) {
      try {
        l.onVerdict(trace, verdict);
      } catch (RuntimeException ignored) {
        // a listener's bug must not turn a verdict into a failure
      }
    }
  }

  void notifyFailure(QtaTrace trace, Throwable failure) {
    for (VerdictListener l : listeners) {
      try {
        l.onFailure(trace, failure);
      } catch (RuntimeException ignored) {
        // as above
      }
    }
  }

  static Throwable unwrap(Throwable e) {
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  private static RuntimeException rethrow(Throwable e) {
    Throwable t = unwrap(e);
    if (t instanceof RuntimeException r) {
      return r;
    }
    if (t instanceof Error err) {
      throw err;
    }
    return new EngineException("the request failed: " + t, t);
  }

  /**
   * One caller's request. On the executor it computes its cache key (hashing the texts and reading the images),
   * then joins the model run of an identical request, takes the cached verdict, or starts the run itself and
   * runs it on the same thread. Cancelling or the deadline completes the caller's future at once and lets go
   * of the run, which stops when no caller waits for it any more.
   */
  private final class Request {
    final QtaTrace trace;
    final CompletableFuture<SafetyVerdict> caller = new CompletableFuture<>() {
      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        boolean done = super.cancel(mayInterruptIfRunning);
        if (done) {
          leave();
        }
        return done;
      }
    };
    private @Nullable Job job; // guarded by this
    private boolean left; // guarded by this: the caller cancelled or the deadline passed

    Request(QtaTrace trace) {
      this.trace = trace;
    }

    void start() {
      if (closed.get()) {
        fail(new GuardTraceClosedException("this GuardTrace is closed; build a new one"));
        return;
      }
      armDeadline();
      inFlight.incrementAndGet();
      try {
        executor.execute(this::run);
      } catch (RuntimeException e) {
        finished();
        fail(closed.get() ? new GuardTraceClosedException("this GuardTrace was closed", e)
            : e);
      }
    }

    /** Fails the caller's future when the deadline passes, whatever the work is doing then. */
    private void armDeadline() {
      Duration timeout = options.requestTimeout();
      if (timeout == null) {
        return;
      }
      CompletableFuture<Void> timer = new CompletableFuture<>();
      timer.orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS).whenComplete((v, e) -> {
        if (e != null && fail(new GuardTraceCancelledException(
            "the request ran past its deadline of " + timeout + " and was stopped"))) {
          leave();
        }
      });
      // a finished request disarms its timer (which then no longer holds the request)
      caller.whenComplete((v, e) -> timer.complete(null));
    }

    private void run() {
      try {
        // the caller's future may already be failed by the deadline while the timer thread has yet to mark the
        // request as left: either way nobody waits for this run any more
        if (hasLeft() || caller.isDone()) {
          return;
        }
        if (closed.get()) {
          throw new GuardTraceClosedException("this GuardTrace was closed before the request started");
        }
        if (cache == null) {
          Job j = new Job(trace, null);
          join(j, false);
          j.run(); // stops at once if this caller has already left
          return;
        }
        VerdictCache.Key key = VerdictCache.Key.of(engine.identity(), systemPromptSha256, options.maxNewTokens(),
            options.tokenBudget(), options.missingImageNotice(), trace);
        while (!hasLeft()) {
          Job[] created = {null};
          VerdictCache.Lookup lookup = cache.get(key, () -> {
            Job n = new Job(trace, key);
            created[0] = n;
            running.put(key, n);
            n.future.whenComplete((v, e) -> running.remove(key, n));
            return n.future;
          });
          Job started = created[0];
          if (started != null) {
            join(started, false);
            started.run(); // stops at once if every caller has already left
            return;
          }
          Job other = running.get(key);
          if (other == null || other.future != lookup.future()) {
            forward(lookup.future()); // a verdict already there, or finishing right now
            return;
          }
          if (join(other, true)) {
            return;
          }
          if (lookup.future().isDone() && !lookup.future().isCompletedExceptionally()) {
            forward(lookup.future()); // it finished just as its last caller left: the verdict stands
            return;
          }
          // every caller of that run has left and it is stopping: start afresh
          cache.invalidate(key, lookup.future());
        }
      } catch (Throwable e) {
        fail(closed.get() && !(e instanceof InvalidInputException)
            ? new GuardTraceClosedException("this GuardTrace was closed while the request ran", e) : e);
      } finally {
        finished();
      }
    }

    private synchronized boolean hasLeft() {
      return left;
    }

    /**
     * Makes this caller wait for {@code j}'s verdict ({@code shared}: someone else's run, so the verdict is
     * marked cached). False when {@code j} is already stopping for want of callers; a new run always takes
     * its creator.
     */
    private boolean join(Job j, boolean shared) {
      if (!j.tryAttach()) {
        return false;
      }
      boolean stillHere;
      synchronized (this) {
        stillHere = !left;
        if (stillHere) {
          job = j;
        }
      }
      if (!stillHere) {
        j.release();
        return true;
      }
      j.future.whenComplete((v, e) -> {
        if (e != null) {
          fail(unwrap(e));
        } else {
          succeed(shared ? v.asCached() : v);
        }
      });
      return true;
    }

    private void forward(CompletableFuture<SafetyVerdict> verdict) {
      verdict.whenComplete((v, e) -> {
        if (e != null) {
          fail(unwrap(e));
        } else {
          succeed(v.asCached());
        }
      });
    }

    /** Hands {@code verdict} to the caller, telling the listeners first so what they record is already there. */
    private void succeed(SafetyVerdict verdict) {
      if (!caller.isDone()) {
        notifyVerdict(trace, verdict);
        caller.complete(verdict);
      }
    }

    /** Hands {@code failure} to the caller, telling the listeners first; false when the caller already had a result. */
    private boolean fail(Throwable failure) {
      if (caller.isDone()) {
        return false;
      }
      notifyFailure(trace, failure);
      return caller.completeExceptionally(failure);
    }

    /** The caller is gone (cancelled, or past its deadline): let go of the run. */
    private void leave() {
      Job j;
      synchronized (this) {
        if (left) {
          return;
        }
        left = true;
        j = job;
        job = null;
      }
      if (j != null) {
        j.release();
      }
    }
  }

  private void finished() {
    if (inFlight.decrementAndGet() == 0) {
      synchronized (idle) {
        idle.notifyAll();
      }
    }
  }

  /** One model run, shared by every request waiting for the same verdict; stops when none waits. */
  private final class Job {
    final QtaTrace trace;
    final VerdictCache.@Nullable Key key;
    final CompletableFuture<SafetyVerdict> future = new CompletableFuture<>();
    /** Requests waiting for the verdict; -1 once the last one has left and the run was told to stop. */
    final AtomicInteger waiters = new AtomicInteger();
    final AtomicBoolean cancelled = new AtomicBoolean();

    Job(QtaTrace trace, VerdictCache.@Nullable Key key) {
      this.trace = trace;
      this.key = key;
    }

    boolean tryAttach() {
      while (true) {
        int w = waiters.get();
        if (w < 0) {
          return false;
        }
        if (waiters.compareAndSet(w, w + 1)) {
          return true;
        }
      }
    }

    void release() {
      if (waiters.decrementAndGet() == 0 && waiters.compareAndSet(0, -1)) {
        cancelled.set(true);
        VerdictCache.Key k = key;
        if (k != null && cache != null && !future.isDone()) {
          cache.invalidate(k, future);
        }
      }
    }

    void run() {
      try {
        if (cancelled.get()) {
          throw new GuardTraceCancelledException("the request was cancelled before it started");
        }
        future.complete(judge(trace, engine::generate, cancelled::get));
      } catch (Throwable e) {
        future.completeExceptionally(closed.get() && !(e instanceof InvalidInputException)
            && !(e instanceof GuardTraceClosedException)
            ? new GuardTraceClosedException("this GuardTrace was closed while the request ran", e) : e);
      }
    }
  }

  /**
   * Configures and builds a {@link GuardTrace}. Every setting has a default; {@link #build()} loads the model.
   * Methods validate their argument at once with a message that says what is allowed. Not thread-safe.
   */
  public static final class Builder {
    /** The published GuardTrace-VL-3B model, resolved from the local Hugging Face cache or downloaded. */
    public static final String DEFAULT_MODEL = "DloadingX/GuardTrace-VL-3B";
    /** The default generation limit: enough for an analysis of several hundred tokens and the judgment. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 1024;
    /** The default prompt budget, as the reference evaluation truncates. */
    public static final int DEFAULT_TOKEN_BUDGET = 8192;
    /** The default number of cached verdicts. */
    public static final long DEFAULT_CACHE_SIZE = 10_000;

    private java.nio.file.@Nullable Path modelDir;
    private @Nullable String modelId;
    private @Nullable String revision;
    private io.guardtrace.spi.@Nullable Engine engine;
    private String device = "auto";
    private String dtype = "auto";
    private int maxNewTokens = DEFAULT_MAX_NEW_TOKENS;
    private int tokenBudget = DEFAULT_TOKEN_BUDGET;
    private @Nullable String systemPrompt;
    private boolean missingImageNotice;
    private boolean cacheEnabled = true;
    private long cacheSize = DEFAULT_CACHE_SIZE;
    private @Nullable Duration cacheTtl;
    private FailurePolicy failurePolicy = FailurePolicy.FAIL_CLOSED;
    private @Nullable Executor executor;
    private int concurrency = 2;
    private @Nullable Duration requestTimeout;
    private @Nullable Integer minPixels;
    private @Nullable Integer maxPixels;
    private long maxImagePixels = io.guardtrace.spi.EngineOptions.DEFAULT_MAX_DECODED_PIXELS;
    private int threads;
    private boolean prefixCache = true;
    private DownloadListener downloadListener = DownloadListener.none();
    private final List<VerdictListener> listeners = new ArrayList<>();

    private Builder() {}

    /**
     * A local model directory in Hugging Face layout.
     *
     * @param directory the directory holding config.json, tokenizer.json and the weights
     * @return this builder
     */
    public Builder model(java.nio.file.Path directory) {
      this.modelDir = Objects.requireNonNull(directory, "directory");
      this.modelId = null;
      return this;
    }

    /**
     * A model by Hugging Face id or by directory. {@code ORG/NAME} is an id, found in the local Hugging Face cache
     * or downloaded, never a directory of that name under the working directory (such a directory makes the
     * string ambiguous and is rejected: write {@code ./ORG/NAME} for it). An absolute path, or one starting
     * with {@code ./} or {@code ../}, is a directory; so is any other string that names an existing directory
     * or contains a path separator. Default (without this call) {@value #DEFAULT_MODEL}, from the hub cache.
     *
     * @param idOrDirectory a Hugging Face id or a directory path
     * @return this builder
     * @throws IllegalArgumentException when the string is ambiguous or neither an id nor a directory
     */
    public Builder model(String idOrDirectory) {
      ModelReference ref;
      try {
        ref = ModelReference.parse(idOrDirectory, java.nio.file.Path.of(""));
      } catch (java.nio.file.InvalidPathException e) {
        throw new IllegalArgumentException("model '" + idOrDirectory + "' is not a valid path or id: "
            + e.getMessage(), e);
      }
      if (ref.directory() != null) {
        return model(ref.directory());
      }
      this.modelId = ref.id();
      this.modelDir = null;
      return this;
    }

    /**
     * The Hugging Face revision (branch, tag or commit) of a model given by id. Default {@code main}.
     *
     * @param revision the revision
     * @return this builder
     */
    public Builder revision(String revision) {
      this.revision = Objects.requireNonNull(revision, "revision");
      return this;
    }

    /**
     * Uses {@code engine} directly instead of loading a model (custom engines, tests). Closed with this.
     *
     * @param engine the engine
     * @return this builder
     */
    public Builder engine(io.guardtrace.spi.Engine engine) {
      this.engine = Objects.requireNonNull(engine, "engine");
      return this;
    }

    /**
     * {@code auto} (a GPU when one is visible), {@code cpu}, {@code gpu} or {@code gpu:N}.
     *
     * @param device the device
     * @return this builder
     */
    public Builder device(String device) {
      Objects.requireNonNull(device, "device");
      if (!device.matches("auto|cpu|gpu|gpu:\\d+|cuda|cuda:\\d+")) {
        throw new IllegalArgumentException("device must be auto, cpu, gpu or gpu:N, was '" + device + "'");
      }
      this.device = device;
      return this;
    }

    /**
     * {@code auto} (the default), {@code float32}, {@code bfloat16} or {@code int8}.
     *
     * <p>{@code auto} picks bfloat16 on GPUs and on CPUs that multiply it natively (AVX512-BF16, AMX), else
     * float32. {@code int8} is an opt-in speed/accuracy trade for the CPU: bfloat16, except that each generated
     * token reads int8 copies of the language model's linear layers (one scale per output row), about half the
     * bytes (decode steps took 0.60x bfloat16's time on a 2-core Xeon); logits then differ slightly from
     * bfloat16's and greedy output may differ after some tokens (docs/performance.md measures it). It needs the
     * JVM option {@code --add-modules jdk.incubator.vector} and costs half the bfloat16 weights' memory on top of
     * them; loading fails with a {@link ModelLoadException} where it cannot run (on a GPU, or without the Vector
     * API).
     *
     * @param dtype the precision
     * @return this builder
     */
    public Builder dtype(String dtype) {
      Objects.requireNonNull(dtype, "dtype");
      if (!dtype.matches("auto|float32|bfloat16|int8")) {
        throw new IllegalArgumentException("dtype must be auto, float32, bfloat16 or int8, was '" + dtype + "'");
      }
      this.dtype = dtype;
      return this;
    }

    /**
     * The most tokens generated per verdict. Default {@value #DEFAULT_MAX_NEW_TOKENS}.
     *
     * @param maxNewTokens the limit, at least 1
     * @return this builder
     */
    public Builder maxNewTokens(int maxNewTokens) {
      if (maxNewTokens < 1) {
        throw new IllegalArgumentException("maxNewTokens must be at least 1, was " + maxNewTokens);
      }
      this.maxNewTokens = maxNewTokens;
      return this;
    }

    /**
     * The prompt token budget (see {@link GuardTrace}). Default {@value #DEFAULT_TOKEN_BUDGET}.
     *
     * @param tokenBudget the budget, at least 64
     * @return this builder
     */
    public Builder tokenBudget(int tokenBudget) {
      if (tokenBudget < 64) {
        throw new IllegalArgumentException("tokenBudget must be at least 64, was " + tokenBudget);
      }
      this.tokenBudget = tokenBudget;
      return this;
    }

    /**
     * The system prompt. The default is guardtrace's own auditor instruction; the prompt the model was trained
     * with (published by its authors) usually gives the most accurate verdicts.
     *
     * @param systemPrompt the system prompt, not blank
     * @return this builder
     */
    public Builder systemPrompt(String systemPrompt) {
      Objects.requireNonNull(systemPrompt, "systemPrompt");
      if (systemPrompt.isBlank()) {
        throw new IllegalArgumentException("systemPrompt must not be blank");
      }
      this.systemPrompt = systemPrompt;
      return this;
    }

    /**
     * The system prompt, read now from a UTF-8 file.
     *
     * @param file a UTF-8 text file
     * @return this builder
     * @throws IllegalArgumentException when the file cannot be read or is blank
     */
    public Builder systemPrompt(java.nio.file.Path file) {
      Objects.requireNonNull(file, "file");
      try {
        return systemPrompt(java.nio.file.Files.readString(file));
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException("cannot read system prompt file " + file + ": " + e, e);
      }
    }

    /**
     * Whether traces without images get the text part "Image missing or unavailable". Default false.
     *
     * @param enabled whether to add the notice
     * @return this builder
     */
    public Builder missingImageNotice(boolean enabled) {
      this.missingImageNotice = enabled;
      return this;
    }

    /**
     * The most verdicts cached. Default {@value #DEFAULT_CACHE_SIZE}.
     *
     * @param size the most verdicts; 0 turns the cache off
     * @return this builder
     */
    public Builder cacheSize(long size) {
      if (size < 0) {
        throw new IllegalArgumentException("cacheSize must not be negative, was " + size);
      }
      this.cacheSize = size;
      this.cacheEnabled = size > 0;
      return this;
    }

    /**
     * How long a cached verdict lives. Default: until evicted by size.
     *
     * @param ttl a positive duration
     * @return this builder
     */
    public Builder cacheTtl(Duration ttl) {
      Objects.requireNonNull(ttl, "ttl");
      if (ttl.isNegative() || ttl.isZero()) {
        throw new IllegalArgumentException("cacheTtl must be positive, was " + ttl);
      }
      this.cacheTtl = ttl;
      return this;
    }

    /**
     * Turns the verdict cache off.
     *
     * @return this builder
     */
    public Builder disableCache() {
      this.cacheEnabled = false;
      return this;
    }

    /**
     * What an unreadable output becomes. Default {@link FailurePolicy#FAIL_CLOSED}.
     *
     * @param policy the policy
     * @return this builder
     */
    public Builder failurePolicy(FailurePolicy policy) {
      this.failurePolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Runs requests on {@code executor} (not shut down by {@link GuardTrace#close()}).
     *
     * @param executor the executor
     * @return this builder
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Threads of the internal executor (ignored with {@link #executor}). Default 2.
     *
     * @param threads at least 1
     * @return this builder
     */
    public Builder concurrency(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("concurrency must be at least 1, was " + threads);
      }
      this.concurrency = threads;
      return this;
    }

    /**
     * A deadline per request; a request still running then is stopped. Default none.
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder requestTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("requestTimeout must be positive, was " + timeout);
      }
      this.requestTimeout = timeout;
      return this;
    }

    /**
     * Overrides preprocessor_config.json's min_pixels.
     *
     * @param minPixels a positive pixel count
     * @return this builder
     */
    public Builder minPixels(int minPixels) {
      if (minPixels < 1) {
        throw new IllegalArgumentException("minPixels must be positive, was " + minPixels);
      }
      this.minPixels = minPixels;
      return this;
    }

    /**
     * Overrides preprocessor_config.json's max_pixels (fewer pixels: fewer image tokens, faster).
     *
     * @param maxPixels a positive pixel count
     * @return this builder
     */
    public Builder maxPixels(int maxPixels) {
      if (maxPixels < 1) {
        throw new IllegalArgumentException("maxPixels must be positive, was " + maxPixels);
      }
      this.maxPixels = maxPixels;
      return this;
    }

    /**
     * Images declaring more pixels than this are rejected before decoding. Default 50 million.
     *
     * @param pixels a positive pixel count
     * @return this builder
     */
    public Builder maxImagePixels(long pixels) {
      if (pixels < 1) {
        throw new IllegalArgumentException("maxImagePixels must be positive, was " + pixels);
      }
      this.maxImagePixels = pixels;
      return this;
    }

    /**
     * CPU threads for the engine's operators. Default: the engine's (all cores).
     *
     * @param threads at least 1
     * @return this builder
     */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1, was " + threads);
      }
      this.threads = threads;
      return this;
    }

    /**
     * Whether the engine caches the system prompt's keys and values (outputs are identical). Default true.
     *
     * @param enabled whether to cache the prefix
     * @return this builder
     */
    public Builder prefixCache(boolean enabled) {
      this.prefixCache = enabled;
      return this;
    }

    /**
     * Receives the progress of a model download, when a model given by id is not in the local Hugging Face
     * cache. Default: none (guardtrace never prints progress itself).
     *
     * @param listener called on the building thread as files arrive
     * @return this builder
     */
    public Builder downloadListener(DownloadListener listener) {
      this.downloadListener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Adds a listener that hears every verdict and failure handed to a caller (metrics, audit). May be called
     * several times; listeners run in the order added.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(VerdictListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Loads the model and returns the guard.
     *
     * @return the guard; close it when done
     * @throws ModelLoadException when the model cannot be found or loaded
     */
    public GuardTrace build() {
      if (minPixels != null && maxPixels != null && minPixels > maxPixels) {
        throw new IllegalStateException("minPixels " + minPixels + " exceeds maxPixels " + maxPixels);
      }
      GuardTraceOptions options = new GuardTraceOptions(device, dtype, maxNewTokens, tokenBudget,
          missingImageNotice, cacheEnabled && cacheSize > 0, cacheSize, cacheTtl, failurePolicy, requestTimeout,
          minPixels, maxPixels, maxImagePixels, threads, prefixCache);
      String prompt = systemPrompt != null ? systemPrompt : DefaultSystemPrompt.text();
      io.guardtrace.spi.Engine e = engine != null ? engine : Engines.open(resolveModel(), options);
      ExecutorService owned = null;
      Executor ex = executor;
      if (ex == null) {
        owned = java.util.concurrent.Executors.newFixedThreadPool(concurrency, daemonThreads());
        ex = owned;
      }
      return new GuardTrace(e, options, prompt, ex, owned, listeners);
    }

    private java.nio.file.Path resolveModel() {
      if (modelDir != null) {
        return modelDir;
      }
      return Engines.locate(modelId != null ? modelId : DEFAULT_MODEL, revision, downloadListener);
    }

    private static java.util.concurrent.ThreadFactory daemonThreads() {
      AtomicInteger n = new AtomicInteger();
      return r -> {
        Thread t = new Thread(r, "guardtrace-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      };
    }
  }
}
