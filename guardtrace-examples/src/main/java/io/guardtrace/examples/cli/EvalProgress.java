package io.guardtrace.examples.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of an evaluation on stderr with the time per item and an estimate of the time left: a bar redrawn
 * in place on a terminal, else (a log file, a CI job) one line every {@code every} items and at the end. The
 * estimate is the mean wall time per item judged so far in this run times the items left, so it includes the
 * gain from judging items concurrently. Thread-safe.
 */
final class EvalProgress {
  private final PrintWriter err;
  private final int total;
  private final boolean terminal;
  private final int every;
  private final LongSupplier nanoClock;
  private final long start;
  private int done;

  /**
   * @param total the items this run judges
   * @param terminal whether stderr is a terminal (redraw a bar) or not (print lines)
   * @param every without a terminal, print a line every this many items
   * @param nanoClock the clock, in nanoseconds
   */
  EvalProgress(PrintWriter err, int total, boolean terminal, int every, LongSupplier nanoClock) {
    this.err = err;
    this.total = total;
    this.terminal = terminal;
    this.every = every;
    this.nanoClock = nanoClock;
    this.start = nanoClock.getAsLong();
  }

  /** Counts one judged (or failed) item. */
  synchronized void itemDone() {
    done++;
    if (terminal) {
      int width = 30;
      int filled = (int) ((long) done * width / Math.max(1, total));
      err.print("\r[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + status());
      if (done == total) {
        err.println();
      }
      err.flush();
    } else if (done % every == 0 || done == total) {
      err.println("eval: " + status());
      err.flush();
    }
  }

  /** {@code 150/2000 items (7.5%), 3.21 s/item, ETA 1h38m}. */
  private String status() {
    long elapsed = nanoClock.getAsLong() - start;
    double perItem = (double) elapsed / done;
    long left = (long) (perItem * (total - done));
    return String.format(Locale.ROOT, "%d/%d items (%.1f%%), %.2f s/item, %s", done, total, 100.0 * done / total,
        perItem / 1e9, done == total ? "done in " + duration(elapsed) : "ETA " + duration(left));
  }

  /** {@code 1h38m}, {@code 4m12s} or {@code 37s}. */
  static String duration(long nanos) {
    long s = Math.round(nanos / 1e9);
    Duration d = Duration.ofSeconds(s);
    if (d.toHours() > 0) {
      return d.toHours() + "h" + String.format(Locale.ROOT, "%02dm", d.toMinutesPart());
    }
    if (d.toMinutes() > 0) {
      return d.toMinutes() + "m" + String.format(Locale.ROOT, "%02ds", d.toSecondsPart());
    }
    return s + "s";
  }
}
