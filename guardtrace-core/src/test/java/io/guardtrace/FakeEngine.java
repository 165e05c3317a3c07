package io.guardtrace;

import io.guardtrace.spi.Engine;
import io.guardtrace.spi.EngineRequest;
import io.guardtrace.spi.EngineResult;
import io.guardtrace.spi.EngineSession;
import io.guardtrace.spi.JudgmentProbabilities;
import io.guardtrace.spi.PromptPart;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * An engine that answers from a function, counts its calls and can block or loop until cancelled. Its tokenizer
 * makes one token of every {@link #charsPerToken} characters (rounded up), so budgets are easy to reason
 * about, and it counts how much text it was asked to tokenize.
 */
final class FakeEngine implements Engine {
  final AtomicInteger calls = new AtomicInteger();
  final AtomicBoolean closed = new AtomicBoolean();
  final List<EngineRequest> requests = new CopyOnWriteArrayList<>();
  volatile Function<EngineRequest, String> answer = r -> "\"Analysis\": fine.\n\"Judgment\": 0";
  volatile CountDownLatch gate;
  volatile boolean loopUntilCancelled;
  final CountDownLatch started = new CountDownLatch(1);
  /** Counted down when a generation looping until cancelled saw its request's cancellation. */
  final CountDownLatch cancellationObserved = new CountDownLatch(1);
  /** Characters per token of this fake's tokenizer. */
  volatile int charsPerToken = 1;
  /** What {@link #maxTokenChars()} reports; by default the true bound, {@link #charsPerToken}. */
  volatile int declaredMaxTokenChars = -1;
  /** Calls of countTokens and countPromptTokens. */
  final AtomicInteger tokenizeCalls = new AtomicInteger();
  /** Characters of text passed to countTokens and countPromptTokens, in total. */
  final AtomicLong charsTokenized = new AtomicLong();
  /** Sessions opened, in order. */
  final List<FakeSession> sessions = new CopyOnWriteArrayList<>();

  @Override
  public String identity() {
    return "fake";
  }

  @Override
  public int contextLength() {
    return 1 << 20;
  }

  @Override
  public int maxTokenChars() {
    int declared = declaredMaxTokenChars;
    return declared >= 0 ? declared : charsPerToken;
  }

  /** One token per {@link #charsPerToken} characters: easy to reason about in budget tests. */
  @Override
  public int countTokens(String text) {
    tokenizeCalls.incrementAndGet();
    charsTokenized.addAndGet(text.length());
    return tokens(text);
  }

  @Override
  public int countPromptTokens(String systemPrompt, List<PromptPart> userParts) {
    tokenizeCalls.incrementAndGet();
    charsTokenized.addAndGet(systemPrompt.length());
    for (PromptPart p : userParts) {
      if (p instanceof PromptPart.Text t) {
        charsTokenized.addAndGet(t.text().length());
      }
    }
    return promptTokens(systemPrompt, userParts);
  }

  private int tokens(String text) {
    int k = charsPerToken;
    return (text.length() + k - 1) / k;
  }

  private int promptTokens(String systemPrompt, List<PromptPart> userParts) {
    int n = tokens(systemPrompt) + 10;
    for (PromptPart p : userParts) {
      if (p instanceof PromptPart.Image i) {
        i.image().size(); // reads the image, as a real engine reads its header for its size
        n += 100;
      } else {
        n += tokens(((PromptPart.Text) p).text());
      }
    }
    return n;
  }

  @Override
  public EngineResult generate(EngineRequest request) {
    calls.incrementAndGet();
    requests.add(request);
    started.countDown();
    try {
      CountDownLatch g = gate;
      if (g != null) {
        g.await();
      }
      if (loopUntilCancelled) {
        int steps = 0;
        while (true) {
          if (request.cancellation().isCancelled()) {
            cancellationObserved.countDown();
            throw new GuardTraceCancelledException("cancelled after " + steps + " steps");
          }
          steps++;
          Thread.sleep(1);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineException("interrupted", e);
    }
    String text = answer.apply(request);
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < text.length(); i++) {
      ids.add((int) text.charAt(i));
    }
    return new EngineResult(text, ids, promptTokens(request.systemPrompt(), request.userParts()),
        EngineResult.FinishReason.EOS, 1, 2, 3, 4, new JudgmentProbabilities(0.7, 0.2, 0.1));
  }

  /** A session that runs every request through {@link #generate}, as a real session must behave. */
  @Override
  public EngineSession openSession() {
    FakeSession s = new FakeSession();
    sessions.add(s);
    return s;
  }

  @Override
  public void close() {
    closed.set(true);
  }

  /** A session of this engine; remembers whether it was closed. */
  final class FakeSession implements EngineSession {
    final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public EngineResult generate(EngineRequest request) {
      return FakeEngine.this.generate(request);
    }

    @Override
    public int cachedTokens() {
      return 0;
    }

    @Override
    public void close() {
      closed.set(true);
    }
  }
}
