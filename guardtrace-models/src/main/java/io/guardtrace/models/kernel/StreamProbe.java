package io.guardtrace.models.kernel;

import java.util.Arrays;

/**
 * Picks how many row streams each thread reads side by side in a decode step's matrix products (1 or
 * {@link MatVec#SIDE_BY_SIDE}), by timing both on the model's own weights when it loads.
 *
 * <p>Why measure instead of asking the CPU: which is faster depends on the cores' prefetchers and on how many
 * reads each core can keep in flight, not on an instruction set. On an Intel Xeon (AMX, 2 threads) four streams
 * read at 29-31 GB/s where one reads at 23-24; on an AMD EPYC (Zen 4) one stream already read at a plain read's
 * rate in a standalone loop, yet whole decode steps there took 0.74-1.04x (median 0.90x) the time with four
 * (docs/performance.md). The two choices give the same bits, so the probe can only change speed. Timing is paired (the two
 * alternate, five rounds, the order flipped each round) because a shared machine's bandwidth moves within
 * seconds. Four streams are kept unless they take at least 3 % longer in the median of the rounds: the probe
 * only has to guard against a loss, and it understates the gain (on the Intel Xeon it measured 0.89-0.96x in four
 * loads where whole decode steps took 0.86-0.89x, so a threshold on the gain side would sometimes have thrown
 * a 12 % win away). It adds about a second to loading.
 *
 * <p>{@code -Dguardtrace.kernelStreams=1} or {@code =4} skips the probe.
 */
public final class StreamProbe {
  /** The system property that fixes the choice. */
  public static final String PROPERTY = "guardtrace.kernelStreams";

  /** Below this many bytes of weights the matrices may sit in a cache and timing tells nothing. */
  static final long MIN_BYTES = 256L << 20;

  /** About this many bytes are timed per pass (the first matrices of the list). */
  private static final long PASS_BYTES = 1L << 30;

  /**
   * Both choices run alternately this long before timing. With a single warm-up pass each, the probe timed four
   * streams at 0.97x of one on an Intel Xeon where whole decode steps took 0.86x (216 against 252 ms): the
   * four-stream loop was still being compiled.
   */
  private static final long WARM_UP_NANOS = 600_000_000L;

  private static final int ROUNDS = 5;
  /** Four streams are dropped when they take at least this many times as long as one. */
  static final double LOSS_LIMIT = 1.03;

  /**
   * The choice and how it was made.
   *
   * @param streams 1 or {@link MatVec#SIDE_BY_SIDE}
   * @param reason a few words for the load log: set, timed (with the ratio) or not timed (why)
   */
  public record Choice(int streams, String reason) {}

  private StreamProbe() {}

  /**
   * Times one pass over {@code matrices} (whose rows must stream: {@link RowMatrix#streams}) with each choice and
   * picks the faster, unless {@link #PROPERTY} fixes it.
   *
   * @param matrices weights of one shape, as a decode step reads them (for example every layer's gate/up)
   * @param rowsPerChunk rows per chunk of the parallel loop, as the decode step splits them
   * @param threads the decode step's threads
   * @return the choice
   * @throws IllegalArgumentException when the property holds something other than 1 or 4
   */
  public static Choice choose(RowMatrix[] matrices, int rowsPerChunk, KernelThreads threads) {
    String fixed = System.getProperty(PROPERTY);
    if (fixed != null) {
      int n = switch (fixed.trim()) {
        case "1" -> 1;
        case "4" -> MatVec.SIDE_BY_SIDE;
        default -> throw new IllegalArgumentException(
            "-D" + PROPERTY + "=" + fixed + ": expected 1 or " + MatVec.SIDE_BY_SIDE);
      };
      return new Choice(n, "set by -D" + PROPERTY);
    }
    long started = System.nanoTime();
    long bytes = 0;
    int used = 0;
    while (used < matrices.length && bytes < PASS_BYTES && RowMatrix.streams(matrices[used])) {
      bytes += matrices[used].bytes();
      used++;
    }
    if (bytes < MIN_BYTES) {
      return new Choice(1, "not timed: " + (bytes >> 20) + " MB of streaming weights");
    }
    RowMatrix[] timed = Arrays.copyOf(matrices, used);
    int cols = timed[0].cols();
    float[][] xe = new float[1][cols / 2];
    float[][] xo = new float[1][cols / 2];
    Arrays.fill(xe[0], 0.01f);
    Arrays.fill(xo[0], -0.01f);
    int maxRows = Arrays.stream(timed).mapToInt(RowMatrix::rows).max().orElse(0);
    float[][][] out = new float[threads.size()][1][maxRows];
    float[][] lanes = new float[threads.size()][MatVec.lanes()];
    // warm-up until both loops run compiled: one pass takes some 40 ms, less than the JIT needs
    long warmUntil = System.nanoTime() + WARM_UP_NANOS;
    while (System.nanoTime() < warmUntil) {
      pass(timed, rowsPerChunk, threads, xe, xo, out, lanes, 1);
      pass(timed, rowsPerChunk, threads, xe, xo, out, lanes, MatVec.SIDE_BY_SIDE);
    }
    double[] ratios = new double[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      long one;
      long side;
      if (r % 2 == 0) {
        one = pass(timed, rowsPerChunk, threads, xe, xo, out, lanes, 1);
        side = pass(timed, rowsPerChunk, threads, xe, xo, out, lanes, MatVec.SIDE_BY_SIDE);
      } else {
        side = pass(timed, rowsPerChunk, threads, xe, xo, out, lanes, MatVec.SIDE_BY_SIDE);
        one = pass(timed, rowsPerChunk, threads, xe, xo, out, lanes, 1);
      }
      ratios[r] = (double) side / one;
    }
    Arrays.sort(ratios);
    double median = ratios[ROUNDS / 2];
    String timedHow = String.format(java.util.Locale.ROOT,
        "timed at load in %.1f s: %d side by side took %.2fx the time of one",
        (System.nanoTime() - started) / 1e9, MatVec.SIDE_BY_SIDE, median);
    return new Choice(median < LOSS_LIMIT ? MatVec.SIDE_BY_SIDE : 1, timedHow);
  }

  /** Nanoseconds for one decode-like pass over the matrices. */
  private static long pass(RowMatrix[] matrices, int rowsPerChunk, KernelThreads threads, float[][] xe,
      float[][] xo, float[][][] out, float[][] lanes, int streams) {
    long start = System.nanoTime();
    for (RowMatrix w : matrices) {
      int rows = w.rows();
      int chunks = (rows + rowsPerChunk - 1) / rowsPerChunk;
      threads.run(chunks, (c, worker) -> RowMatrix.dots(w, c * rowsPerChunk, Math.min(rows, (c + 1) * rowsPerChunk),
          xe, xo, 1, out[worker], lanes[worker], streams));
    }
    return System.nanoTime() - start;
  }
}
