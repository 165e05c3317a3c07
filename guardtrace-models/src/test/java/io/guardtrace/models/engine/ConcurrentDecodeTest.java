package io.guardtrace.models.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardtrace.models.Fixtures;
import io.guardtrace.models.text.DecodeBatcher;
import io.guardtrace.spi.EngineOptions;
import io.guardtrace.spi.EngineRequest;
import io.guardtrace.spi.EngineResult;
import io.guardtrace.spi.PromptPart;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Concurrent requests in bfloat16 through the whole engine (chat template, prefix cache, repetition penalty,
 * judgment probabilities): each produces the tokens and judgment probabilities it produces alone, and where
 * this machine allows shared decode steps ({@link DecodeBatcher}) they were shared.
 */
class ConcurrentDecodeTest {

  static EngineRequest request(int i) {
    return request(i, EngineRequest.TokenListener.NONE);
  }

  static EngineRequest request(int i, EngineRequest.TokenListener listener) {
    String text = "Question: how do I handle case " + i + " of the rollout? Thinking: the user asks about case "
        + i + ", " + "which needs care. ".repeat(1 + i % 3) + "Answer: do it in step " + (i * 7 % 11) + ".";
    return new EngineRequest("You audit reasoning traces.", List.of(PromptPart.text(text)), 10 + i % 3, true,
        listener, EngineRequest.Cancellation.NEVER);
  }

  @Test
  void fourThreadsInBf16_matchOneAtATime_andShareDecodeSteps() throws Exception {
    int threads = 4;
    int perThread = 3;
    try (Qwen25VlEngine engine = Qwen25VlEngine.open(new EngineOptions(Fixtures.tinyModel(), Fixtures.deviceName(),
        "bfloat16", null, null, EngineOptions.DEFAULT_MAX_DECODED_PIXELS, 0, true))) {
      List<EngineResult> alone = new ArrayList<>();
      for (int i = 0; i < threads * perThread; i++) {
        alone.add(engine.generate(request(i)));
      }
      DecodeBatcher batcher = engine.decodeBatcher();
      long sharedBefore = batcher != null ? batcher.sharedSteps() : 0;
      assertThat(sharedBefore).as("one request at a time never shares a step").isZero();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      CyclicBarrier start = new CyclicBarrier(threads);
      try {
        List<Future<List<EngineResult>>> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int first = t * perThread;
          running.add(pool.submit(() -> {
            List<EngineResult> mine = new ArrayList<>();
            // the first requests wait at their first token (past prefill, decoding) for each other, so their
            // later steps are pending together however the threads are scheduled
            boolean[] met = {false};
            mine.add(engine.generate(request(first, (id, piece) -> {
              if (!met[0]) {
                met[0] = true;
                try {
                  start.await(60, TimeUnit.SECONDS);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              }
            })));
            for (int k = 1; k < perThread; k++) {
              mine.add(engine.generate(request(first + k)));
            }
            return mine;
          }));
        }
        for (int t = 0; t < threads; t++) {
          List<EngineResult> mine = running.get(t).get(120, TimeUnit.SECONDS);
          for (int k = 0; k < perThread; k++) {
            EngineResult expected = alone.get(t * perThread + k);
            assertThat(mine.get(k).generatedTokenIds()).as("request %d", t * perThread + k)
                .isEqualTo(expected.generatedTokenIds());
            assertThat(mine.get(k).judgmentProbabilities()).isEqualTo(expected.judgmentProbabilities());
          }
        }
      } finally {
        pool.shutdownNow();
      }
      if (engine.decodeBatchSize() > 1) {
        assertThat(batcher.sharedSteps()).as("concurrent requests shared decode steps").isPositive();
      }
    }
  }
}
