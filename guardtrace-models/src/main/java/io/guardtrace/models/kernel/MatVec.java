package io.guardtrace.models.kernel;

import java.nio.ByteBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Products of bfloat16 matrix rows with float vectors, streaming the matrix once: the decode step's linear
 * layers (a few inputs at a time) and attention scores.
 *
 * <p>Inputs are given <em>split</em>: {@code xe[p] = x[2p]} and {@code xo[p] = x[2p + 1]}. A vector of
 * {@code INTS.length()} ints read from a bf16 row then holds the row's even elements in its low halves and the
 * odd ones in its high halves, and widening to float32 is one shift (even) and one mask (odd) — no shuffles.
 *
 * <p>Every output is computed in one fixed order, whatever the row range, the number of inputs or the thread:
 * two float32 accumulator vectors (even, odd) fed with fused multiply-adds along the row, added, their lanes
 * summed first to last, then any tail pairs in order. Lane sums are done by hand rather than with
 * {@code reduceLanes}, whose order may differ between interpreted and compiled code. So a row computed for one
 * sequence is bit-identical to the same row computed in a batch: what decode batching relies on. It is also
 * the same whether one input's rows are read one stream at a time or {@link #SIDE_BY_SIDE} streams at once.
 */
public final class MatVec {
  private static final VectorSpecies<Integer> INTS = VectorAccess.INTS;
  private static final VectorSpecies<Float> FLOATS = VectorAccess.FLOATS;
  private static final int LANES = INTS.length();
  private static final int HIGH = 0xffff0000;
  private static final int STREAM_INPUT_BYTES = 16 << 10;
  private static final int PACKED_INPUT_BYTES = 24 << 10;

  /**
   * How many row streams the single-input kernels can read side by side: a thread's rows split into that many
   * equal runs, read in one loop. Intel cores need several streams in flight to reach the read bandwidth (Xeon
   * with AMX, 2 threads: 29-31 GB/s with four against 23-24 with one, a plain read 30); on an AMD EPYC one
   * stream already read at a plain read's rate, though decode steps there were still about 10 % faster with
   * four. {@code StreamProbe} picks per machine; the results are the
   * same bits either way.
   */
  public static final int SIDE_BY_SIDE = 4;

  private MatVec() {}

  /**
   * Floats per vector: the size of one thread's scratch for lane sums, {@code float[lanes()]}.
   *
   * @return the lane count
   */
  public static int lanes() {
    return LANES;
  }

  /**
   * {@code out[r - r0 + outOffset] = dot(w[r], x)} for rows {@code [r0, r1)} and one input.
   *
   * @param w the matrix
   * @param r0 first row
   * @param r1 end row (exclusive)
   * @param xe even elements of x, from {@code xOffset}, {@code w.cols() / 2} of them
   * @param xo odd elements of x, likewise
   * @param xOffset first index into xe and xo
   * @param out receives the float32 products
   * @param outOffset where row r0's goes
   * @param lanes scratch of {@link #lanes()} floats, not shared with another thread
   */
  public static void dots(Bf16Matrix w, int r0, int r1, float[] xe, float[] xo, int xOffset, float[] out,
      int outOffset, float[] lanes) {
    int pairs = w.cols / 2;
    if (streams(w)) {
      stream(w, r0, r1, pairs, xe, xo, xOffset, out, outOffset, lanes);
      return;
    }
    int vec = pairs - pairs % LANES;
    int r = r0;
    for (; r + 4 <= r1; r += 4) {
      dot4(w, w.offset + r * w.rowBytes, pairs, vec, xe, xo, xOffset, out, outOffset + r - r0, lanes);
    }
    for (; r < r1; r++) {
      out[outOffset + r - r0] = dot1(w, w.offset + r * w.rowBytes, pairs, vec, xe, xo, xOffset, lanes);
    }
  }

  /**
   * {@code out[i][r] = dot(w[r], x_i)} for rows {@code [r0, r1)} and inputs {@code i < m}: each block of four
   * rows is read from memory once and used for every input while it is in cache.
   *
   * @param w the matrix
   * @param r0 first row
   * @param r1 end row (exclusive)
   * @param xe even elements of each input
   * @param xo odd elements of each input
   * @param m inputs
   * @param out receives the products, indexed by row
   * @param lanes scratch of {@link #lanes()} floats, not shared with another thread
   */
  public static void dots(Bf16Matrix w, int r0, int r1, float[][] xe, float[][] xo, int m, float[][] out,
      float[] lanes) {
    dots(w, r0, r1, xe, xo, m, out, lanes, 1);
  }

  /**
   * {@link #dots(Bf16Matrix, int, int, float[][], float[][], int, float[][], float[])}, a lone input's rows read
   * {@code streams} runs side by side where its rows stream: the same results, at another speed.
   *
   * @param w the matrix
   * @param r0 first row
   * @param r1 end row (exclusive)
   * @param xe even elements of each input
   * @param xo odd elements of each input
   * @param m inputs
   * @param out receives the products, indexed by row
   * @param lanes scratch of {@link #lanes()} floats, not shared with another thread
   * @param streams 1 or {@link #SIDE_BY_SIDE}
   */
  public static void dots(Bf16Matrix w, int r0, int r1, float[][] xe, float[][] xo, int m, float[][] out,
      float[] lanes, int streams) {
    checkStreams(streams);
    int pairs = w.cols / 2;
    if (m == 1 && streams(w)) {
      int side = streams == SIDE_BY_SIDE ? (r1 - r0) / SIDE_BY_SIDE : 0;
      if (side > 0) {
        stream4(w, r0, side, pairs, xe[0], xo[0], out[0], r0, lanes);
      }
      stream(w, r0 + SIDE_BY_SIDE * side, r1, pairs, xe[0], xo[0], 0, out[0], r0 + SIDE_BY_SIDE * side, lanes);
      return;
    }
    int vec = pairs - pairs % LANES;
    int r = r0;
    for (; r + 4 <= r1; r += 4) {
      long base = w.offset + r * w.rowBytes;
      for (int i = 0; i < m; i++) {
        dot4(w, base, pairs, vec, xe[i], xo[i], 0, out[i], r, lanes);
      }
    }
    for (; r < r1; r++) {
      long base = w.offset + r * w.rowBytes;
      for (int i = 0; i < m; i++) {
        out[i][r] = dot1(w, base, pairs, vec, xe[i], xo[i], 0, lanes);
      }
    }
  }

  /**
   * Whether one input's rows go through {@link #stream}: rows of whole vectors, and an input small enough to
   * stay in the level-1 cache while every row reads it again ({@code 4 * cols} bytes of floats, at most 16 KiB).
   * Longer rows (down_proj's) are faster four at a time, each input vector loaded once per four rows.
   */
  static boolean streams(Bf16Matrix w) {
    return (w.cols / 2) % LANES == 0 && 4L * w.cols <= STREAM_INPUT_BYTES;
  }

  /**
   * Rows {@code [r0, r1)} for one input whose rows are a whole number of vectors ({@code pairs % LANES == 0}),
   * in {@link #dot4}'s order per row, read as one stream: the rows are consecutive in memory, so the loop runs
   * over all of their bytes at once and closes a row's sum every {@code pairs / LANES} steps. One long loop
   * lets the hardware prefetchers run ahead unbroken, where a loop per row (or per four rows) restarts every
   * few kilobytes: on the development machine (AMD EPYC, Zen 4) this read a (22016, 2048) matrix at 58-62
   * GB/s with 2 threads, the rate of a plain read, against 36-39 GB/s for {@link #dot4} in the same process
   * (docs/performance.md).
   */
  private static void stream(Bf16Matrix w, int r0, int r1, int pairs, float[] xe, float[] xo, int xOffset,
      float[] out, int at, float[] lanes) {
    Object src = w.source;
    FloatVector zero = FloatVector.zero(FLOATS);
    FloatVector a = zero;
    FloatVector b = zero;
    int j = 0;
    int o = at;
    long end = w.offset + r1 * w.rowBytes;
    for (long p = w.offset + r0 * w.rowBytes; p < end; p += 4L * LANES) {
      IntVector v = VectorAccess.ints(src, p);
      a = even(v).fma(FloatVector.fromArray(FLOATS, xe, xOffset + j), a);
      b = odd(v).fma(FloatVector.fromArray(FLOATS, xo, xOffset + j), b);
      j += LANES;
      if (j == pairs) {
        out[o++] = sumLanes(a.add(b), lanes);
        a = zero;
        b = zero;
        j = 0;
      }
    }
  }

  /**
   * {@link #stream} of rows {@code [r0, r0 + 4 * side)} as four runs of {@code side} rows read side by side:
   * each row's sum in the same order as alone.
   */
  private static void stream4(Bf16Matrix w, int r0, int side, int pairs, float[] xe, float[] xo, float[] out,
      int at, float[] lanes) {
    Object src = w.source;
    long run = side * w.rowBytes;
    FloatVector zero = FloatVector.zero(FLOATS);
    FloatVector a0 = zero;
    FloatVector b0 = zero;
    FloatVector a1 = zero;
    FloatVector b1 = zero;
    FloatVector a2 = zero;
    FloatVector b2 = zero;
    FloatVector a3 = zero;
    FloatVector b3 = zero;
    int j = 0;
    int o = at;
    long end = w.offset + (r0 + side) * w.rowBytes;
    for (long p = w.offset + r0 * w.rowBytes; p < end; p += 4L * LANES) {
      IntVector v0 = VectorAccess.ints(src, p);
      IntVector v1 = VectorAccess.ints(src, p + run);
      IntVector v2 = VectorAccess.ints(src, p + 2 * run);
      IntVector v3 = VectorAccess.ints(src, p + 3 * run);
      FloatVector e = FloatVector.fromArray(FLOATS, xe, j);
      FloatVector d = FloatVector.fromArray(FLOATS, xo, j);
      a0 = even(v0).fma(e, a0);
      b0 = odd(v0).fma(d, b0);
      a1 = even(v1).fma(e, a1);
      b1 = odd(v1).fma(d, b1);
      a2 = even(v2).fma(e, a2);
      b2 = odd(v2).fma(d, b2);
      a3 = even(v3).fma(e, a3);
      b3 = odd(v3).fma(d, b3);
      j += LANES;
      if (j == pairs) {
        out[o] = sumLanes(a0.add(b0), lanes);
        out[o + side] = sumLanes(a1.add(b1), lanes);
        out[o + 2 * side] = sumLanes(a2.add(b2), lanes);
        out[o + 3 * side] = sumLanes(a3.add(b3), lanes);
        o++;
        a0 = zero;
        b0 = zero;
        a1 = zero;
        b1 = zero;
        a2 = zero;
        b2 = zero;
        a3 = zero;
        b3 = zero;
        j = 0;
      }
    }
  }

  /** Refuses a stream count other than 1 and {@link #SIDE_BY_SIDE} (also for {@link Int8MatVec}). */
  static void checkStreams(int streams) {
    if (streams != 1 && streams != SIDE_BY_SIDE) {
      throw new IllegalArgumentException("streams " + streams + " (1 or " + SIDE_BY_SIDE + ")");
    }
  }

  /**
   * Whether {@link #dotsPacked} can run {@code w}: rows of whole vectors and a packed input of at most 24 KiB
   * ({@code 2 * cols} bytes), which stays in the level-1 cache while every row reads it again.
   *
   * @param w the matrix
   * @return true when {@link #dotsPacked} accepts it
   */
  public static boolean streamsPacked(Bf16Matrix w) {
    return (w.cols / 2) % LANES == 0 && 2L * w.cols <= PACKED_INPUT_BYTES;
  }

  /**
   * {@code out[r - r0 + outOffset] = dot(w[r], x)} for rows {@code [r0, r1)} and one input of bf16 values given
   * packed: {@code xp[p]} holds {@code x[2p]}'s bf16 bits in its low half and {@code x[2p + 1]}'s in its high
   * half, half the bytes of the split form, so a long input (down_proj's) still fits the level-1 cache and the
   * rows can stream. Bit-identical to {@link #dots} on the same values (the products and their order are the
   * same).
   *
   * @param w the matrix; {@link #streamsPacked} must be true for it
   * @param r0 first row
   * @param r1 end row (exclusive)
   * @param xp the packed input, {@code w.cols() / 2} ints
   * @param out receives the float32 products
   * @param outOffset where row r0's goes
   * @param lanes scratch of {@link #lanes()} floats, not shared with another thread
   * @param streams 1, or {@link #SIDE_BY_SIDE} to read that many runs of the rows side by side (same results)
   * @throws IllegalArgumentException when {@link #streamsPacked} is false for {@code w}
   */
  public static void dotsPacked(Bf16Matrix w, int r0, int r1, int[] xp, float[] out, int outOffset,
      float[] lanes, int streams) {
    if (!streamsPacked(w)) {
      throw new IllegalArgumentException("(" + w.rows + ", " + w.cols + ") does not stream a packed input");
    }
    checkStreams(streams);
    int side = streams == SIDE_BY_SIDE ? (r1 - r0) / SIDE_BY_SIDE : 0;
    if (side > 0) {
      packed4(w, r0, side, xp, out, outOffset, lanes);
    }
    packed(w, r0 + SIDE_BY_SIDE * side, r1, xp, out, outOffset + SIDE_BY_SIDE * side, lanes);
  }

  /** Rows {@code [r0, r1)} with a packed input, one stream. */
  private static void packed(Bf16Matrix w, int r0, int r1, int[] xp, float[] out, int outOffset,
      float[] lanes) {
    int pairs = w.cols / 2;
    Object src = w.source;
    FloatVector zero = FloatVector.zero(FLOATS);
    FloatVector a = zero;
    FloatVector b = zero;
    int j = 0;
    int o = outOffset;
    long end = w.offset + r1 * w.rowBytes;
    for (long p = w.offset + r0 * w.rowBytes; p < end; p += 4L * LANES) {
      IntVector v = VectorAccess.ints(src, p);
      IntVector x = IntVector.fromArray(INTS, xp, j);
      a = even(v).fma(even(x), a);
      b = odd(v).fma(odd(x), b);
      j += LANES;
      if (j == pairs) {
        out[o++] = sumLanes(a.add(b), lanes);
        a = zero;
        b = zero;
        j = 0;
      }
    }
  }

  /** {@link #packed} of rows {@code [r0, r0 + 4 * side)} as four runs of {@code side} rows side by side. */
  private static void packed4(Bf16Matrix w, int r0, int side, int[] xp, float[] out, int at, float[] lanes) {
    int pairs = w.cols / 2;
    Object src = w.source;
    long run = side * w.rowBytes;
    FloatVector zero = FloatVector.zero(FLOATS);
    FloatVector a0 = zero;
    FloatVector b0 = zero;
    FloatVector a1 = zero;
    FloatVector b1 = zero;
    FloatVector a2 = zero;
    FloatVector b2 = zero;
    FloatVector a3 = zero;
    FloatVector b3 = zero;
    int j = 0;
    int o = at;
    long end = w.offset + (r0 + side) * w.rowBytes;
    for (long p = w.offset + r0 * w.rowBytes; p < end; p += 4L * LANES) {
      IntVector v0 = VectorAccess.ints(src, p);
      IntVector v1 = VectorAccess.ints(src, p + run);
      IntVector v2 = VectorAccess.ints(src, p + 2 * run);
      IntVector v3 = VectorAccess.ints(src, p + 3 * run);
      IntVector x = IntVector.fromArray(INTS, xp, j);
      FloatVector e = even(x);
      FloatVector d = odd(x);
      a0 = even(v0).fma(e, a0);
      b0 = odd(v0).fma(d, b0);
      a1 = even(v1).fma(e, a1);
      b1 = odd(v1).fma(d, b1);
      a2 = even(v2).fma(e, a2);
      b2 = odd(v2).fma(d, b2);
      a3 = even(v3).fma(e, a3);
      b3 = odd(v3).fma(d, b3);
      j += LANES;
      if (j == pairs) {
        out[o] = sumLanes(a0.add(b0), lanes);
        out[o + side] = sumLanes(a1.add(b1), lanes);
        out[o + 2 * side] = sumLanes(a2.add(b2), lanes);
        out[o + 3 * side] = sumLanes(a3.add(b3), lanes);
        o++;
        a0 = zero;
        b0 = zero;
        a1 = zero;
        b1 = zero;
        a2 = zero;
        b2 = zero;
        a3 = zero;
        b3 = zero;
        j = 0;
      }
    }
  }

  /** Four consecutive rows from byte {@code base}; results to {@code out[at..at+3]}. */
  private static void dot4(Bf16Matrix w, long base, int pairs, int vec, float[] xe, float[] xo, int xOffset,
      float[] out, int at, float[] lanes) {
    Object src = w.source;
    long stride = w.rowBytes;
    FloatVector a0 = FloatVector.zero(FLOATS);
    FloatVector b0 = a0;
    FloatVector a1 = a0;
    FloatVector b1 = a0;
    FloatVector a2 = a0;
    FloatVector b2 = a0;
    FloatVector a3 = a0;
    FloatVector b3 = a0;
    for (int j = 0; j < vec; j += LANES) {
      FloatVector e = FloatVector.fromArray(FLOATS, xe, xOffset + j);
      FloatVector o = FloatVector.fromArray(FLOATS, xo, xOffset + j);
      long at0 = base + 4L * j;
      IntVector w0 = VectorAccess.ints(src, at0);
      IntVector w1 = VectorAccess.ints(src, at0 + stride);
      IntVector w2 = VectorAccess.ints(src, at0 + 2 * stride);
      IntVector w3 = VectorAccess.ints(src, at0 + 3 * stride);
      a0 = even(w0).fma(e, a0);
      b0 = odd(w0).fma(o, b0);
      a1 = even(w1).fma(e, a1);
      b1 = odd(w1).fma(o, b1);
      a2 = even(w2).fma(e, a2);
      b2 = odd(w2).fma(o, b2);
      a3 = even(w3).fma(e, a3);
      b3 = odd(w3).fma(o, b3);
    }
    out[at] = finish(a0, b0, w.buffer, base, pairs, vec, xe, xo, xOffset, lanes);
    out[at + 1] = finish(a1, b1, w.buffer, base + stride, pairs, vec, xe, xo, xOffset, lanes);
    out[at + 2] = finish(a2, b2, w.buffer, base + 2 * stride, pairs, vec, xe, xo, xOffset, lanes);
    out[at + 3] = finish(a3, b3, w.buffer, base + 3 * stride, pairs, vec, xe, xo, xOffset, lanes);
  }

  /** One row from byte {@code base}, in exactly {@link #dot4}'s order. */
  private static float dot1(Bf16Matrix w, long base, int pairs, int vec, float[] xe, float[] xo, int xOffset,
      float[] lanes) {
    Object src = w.source;
    FloatVector a = FloatVector.zero(FLOATS);
    FloatVector b = a;
    for (int j = 0; j < vec; j += LANES) {
      IntVector v = VectorAccess.ints(src, base + 4L * j);
      a = even(v).fma(FloatVector.fromArray(FLOATS, xe, xOffset + j), a);
      b = odd(v).fma(FloatVector.fromArray(FLOATS, xo, xOffset + j), b);
    }
    return finish(a, b, w.buffer, base, pairs, vec, xe, xo, xOffset, lanes);
  }

  static FloatVector even(IntVector v) {
    return v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
  }

  static FloatVector odd(IntVector v) {
    return v.and(HIGH).reinterpretAsFloats();
  }

  /** Lane sum of {@code a + b} (first to last), then the tail pairs {@code [vec, pairs)} in order. */
  private static float finish(FloatVector a, FloatVector b, ByteBuffer buffer, long base, int pairs, int vec,
      float[] xe, float[] xo, int xOffset, float[] lanes) {
    float s = sumLanes(a.add(b), lanes);
    for (int j = vec; j < pairs; j++) {
      int bits = buffer.getInt((int) (base + 4L * j));
      s += Float.intBitsToFloat(bits << 16) * xe[xOffset + j];
      s += Float.intBitsToFloat(bits & HIGH) * xo[xOffset + j];
    }
    return s;
  }

  /** The lanes of {@code v} added first to last. */
  static float sumLanes(FloatVector v, float[] lanes) {
    v.intoArray(lanes, 0);
    float s = lanes[0];
    for (int l = 1; l < LANES; l++) {
      s += lanes[l];
    }
    return s;
  }
}
