package io.guardtrace;

import io.guardtrace.spi.Engine;
import io.guardtrace.spi.EngineRequest;
import io.guardtrace.spi.EngineResult;
import io.guardtrace.spi.JudgmentProbabilities;
import io.guardtrace.spi.PromptPart;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** An engine that answers from a function, counts its calls and can block or loop until cancelled. */
final class FakeEngine implements Engine {
  final AtomicInteger calls = new AtomicInteger();
  final AtomicBoolean closed = new AtomicBoolean();
  final List<EngineRequest> requests = new CopyOnWriteArrayList<>();
  volatile Function<EngineRequest, String> answer = r -> "\"Analysis\": fine.\n\"Judgment\": 0";
  volatile CountDownLatch gate;
  volatile boolean loopUntilCancelled;
  final CountDownLatch started = new CountDownLatch(1);
  final AtomicInteger stepsAfterCancel = new AtomicInteger(-1);

  @Override
  public String identity() {
    return "fake";
  }

  @Override
  public int contextLength() {
    return 1 << 20;
  }

  /** One token per character: easy to reason about in budget tests. */
  @Override
  public int countTokens(String text) {
    return text.length();
  }

  @Override
  public int countPromptTokens(String systemPrompt, List<PromptPart> userParts) {
    int n = systemPrompt.length() + 10;
    for (PromptPart p : userParts) {
      n += p instanceof PromptPart.Text t ? t.text().length() : 100;
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
    return new EngineResult(text, ids, countPromptTokens(request.systemPrompt(), request.userParts()),
        EngineResult.FinishReason.EOS, 1, 2, 3, 4, new JudgmentProbabilities(0.7, 0.2, 0.1));
  }

  @Override
  public void close() {
    closed.set(true);
  }
}
