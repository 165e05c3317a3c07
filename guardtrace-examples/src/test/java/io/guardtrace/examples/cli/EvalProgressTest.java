package io.guardtrace.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Progress lines with an estimate of the time left, on a clock the test drives. */
class EvalProgressTest {
  @Test
  void withoutTerminal_aLineEveryNItems_withRateAndEta() {
    StringWriter w = new StringWriter();
    AtomicLong now = new AtomicLong(1_000);
    EvalProgress p = new EvalProgress(new PrintWriter(w), 10, false, 4, now::get);
    for (int i = 0; i < 10; i++) {
      now.addAndGet(3_000_000_000L); // 3 s per item
      p.itemDone();
    }
    assertThat(w.toString().lines()).containsExactly(
        "eval: 4/10 items (40.0%), 3.00 s/item, ETA 18s",
        "eval: 8/10 items (80.0%), 3.00 s/item, ETA 6s",
        "eval: 10/10 items (100.0%), 3.00 s/item, done in 30s");
  }

  @Test
  void onTerminal_redrawsABar() {
    StringWriter w = new StringWriter();
    AtomicLong now = new AtomicLong();
    EvalProgress p = new EvalProgress(new PrintWriter(w), 2, true, 100, now::get);
    now.set(2_000_000_000L);
    p.itemDone();
    assertThat(w.toString()).isEqualTo("\r[###############...............] 1/2 items (50.0%), 2.00 s/item, ETA 2s");
  }

  @Test
  void durations() {
    assertThat(EvalProgress.duration(37_400_000_000L)).isEqualTo("37s");
    assertThat(EvalProgress.duration(252_000_000_000L)).isEqualTo("4m12s");
    assertThat(EvalProgress.duration((98 * 60 + 20) * 1_000_000_000L)).isEqualTo("1h38m");
  }
}
