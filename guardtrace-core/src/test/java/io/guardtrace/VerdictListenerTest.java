package io.guardtrace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class VerdictListenerTest {
  static final QtaTrace TRACE = QtaTrace.of("How do I bake bread?", "Simple question.", "Mix flour and water.");

  /** Records what it hears. */
  static final class Recorder implements VerdictListener {
    final List<SafetyVerdict> verdicts = new CopyOnWriteArrayList<>();
    final List<QtaTrace> traces = new CopyOnWriteArrayList<>();
    final List<Throwable> failures = new CopyOnWriteArrayList<>();

    @Override
    public void onVerdict(QtaTrace trace, SafetyVerdict verdict) {
      traces.add(trace);
      verdicts.add(verdict);
    }

    @Override
    public void onFailure(QtaTrace trace, Throwable failure) {
      traces.add(trace);
      failures.add(failure);
    }
  }

  @Test
  void detect_listenerHearsEachCallerBeforeTheCallerReturns_cacheHitMarkedCached() {
    Recorder rec = new Recorder();
    try (GuardTrace g = GuardTrace.builder().engine(new FakeEngine()).listener(rec).build()) {
      SafetyVerdict first = g.detect(TRACE);
      assertThat(rec.verdicts).containsExactly(first);
      SafetyVerdict second = g.detect(TRACE);
      assertThat(rec.verdicts).hasSize(2);
      assertThat(rec.verdicts.get(0).cached()).isFalse();
      assertThat(rec.verdicts.get(1).cached()).isTrue();
      assertThat(rec.verdicts.get(1)).isEqualTo(second);
      assertThat(rec.traces).containsExactly(TRACE, TRACE);
      assertThat(rec.failures).isEmpty();
    }
  }

  @Test
  void detectAsync_joinedIdenticalRequests_eachCallerHeard() throws Exception {
    Recorder rec = new Recorder();
    FakeEngine engine = new FakeEngine();
    engine.gate = new CountDownLatch(1);
    try (GuardTrace g = GuardTrace.builder().engine(engine).listener(rec).build()) {
      CompletableFuture<SafetyVerdict> a;
      CompletableFuture<SafetyVerdict> b;
      try {
        a = g.detectAsync(TRACE);
        b = g.detectAsync(TRACE);
        // a holds the model run; b counts as in flight until its executor task has joined a's run (then only
        // a's run is on the executor), so either count is right here
        assertThat(g.inFlightRequests()).isBetween(1, 2);
        assertThat(a).isNotDone();
        assertThat(b).isNotDone();
      } finally {
        engine.gate.countDown();
      }
      a.get();
      b.get();
      assertThat(rec.verdicts).hasSize(2);
      assertThat(rec.verdicts).filteredOn(SafetyVerdict::cached).hasSize(1);
      assertThat(engine.calls.get()).isEqualTo(1);
    }
  }

  @Test
  void detect_engineFails_listenerHearsTheSameFailure() {
    Recorder rec = new Recorder();
    FakeEngine engine = new FakeEngine();
    engine.answer = r -> {
      throw new EngineException("boom");
    };
    try (GuardTrace g = GuardTrace.builder().engine(engine).listener(rec).build()) {
      assertThatThrownBy(() -> g.detect(TRACE)).isInstanceOf(EngineException.class).hasMessage("boom");
      assertThat(rec.failures).singleElement().isInstanceOf(EngineException.class);
      assertThat(rec.verdicts).isEmpty();
    }
  }

  @Test
  void detect_listenerThrows_verdictStillReturned_laterListenersStillCalled() {
    Recorder rec = new Recorder();
    try (GuardTrace g = GuardTrace.builder().engine(new FakeEngine())
        .listener((t, v) -> {
          throw new IllegalStateException("listener bug");
        })
        .listener(rec).build()) {
      assertThat(g.detect(TRACE).level()).isEqualTo(RiskLevel.SAFE);
      assertThat(rec.verdicts).hasSize(1);
    }
  }

  @Test
  void isClosed_andInFlight_reflectTheLifecycle() {
    GuardTrace g = GuardTrace.builder().engine(new FakeEngine()).build();
    assertThat(g.isClosed()).isFalse();
    assertThat(g.inFlightRequests()).isZero();
    g.close();
    assertThat(g.isClosed()).isTrue();
  }
}
