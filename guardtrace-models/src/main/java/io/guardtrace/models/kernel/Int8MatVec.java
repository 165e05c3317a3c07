package io.guardtrace.models.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Products of int8 matrix rows ({@link Int8Matrix}) with float vectors given split into even and odd elements,
 * the int8 counterpart of {@link MatVec}: half the bytes per row, so a decode step that waits on memory reads
 * its linear layers in about half the time.
 *
 * <p>Each load of {@code L} bytes (a quarter-size vector) widens with one {@code B2F} conversion to {@code L}
 * floats: the even (or odd) weights of {@code L} consecutive input pairs, multiplied with the matching split
 * input. Every output is computed in one fixed order, whatever the row range, number of inputs, stream count or
 * thread, as in {@link MatVec}: even and odd float32 accumulators fed with fused multiply-adds along the row,
 * added, their lanes summed first to last, any tail pairs added in order, and the sum times the row's scale.
 * So batched decode steps stay bit-identical to single ones.
 */
public final class Int8MatVec {
  private static final VectorSpecies<Float> FLOATS = VectorAccess.FLOATS;
  private static final int LANES = Int8Matrix.LANES;

  private Int8MatVec() {}

  /**
   * {@code out[i][r] = dot(w[r], x_i)} for rows {@code [r0, r1)} and inputs {@code i < m}.
   *
   * @param w the matrix
   * @param r0 first row
   * @param r1 end row (exclusive)
   * @param xe even elements of each input, {@code w.cols() / 2} of them
   * @param xo odd elements of each input, likewise
   * @param m inputs
   * @param out receives the float32 products, indexed by row
   * @param lanes scratch of {@link MatVec#lanes()} floats, not shared with another thread
   * @param streams 1, or {@link MatVec#SIDE_BY_SIDE} to read a lone input's rows as that many runs side by side
   *     (the same results)
   */
  public static void dots(Int8Matrix w, int r0, int r1, float[][] xe, float[][] xo, int m, float[][] out,
      float[] lanes, int streams) {
    MatVec.checkStreams(streams);
    if (m == 1 && streams(w)) {
      int side = streams == MatVec.SIDE_BY_SIDE ? (r1 - r0) / MatVec.SIDE_BY_SIDE : 0;
      if (side > 0) {
        stream4(w, r0, side, xe[0], xo[0], out[0], lanes);
      }
      stream(w, r0 + MatVec.SIDE_BY_SIDE * side, r1, xe[0], xo[0], out[0], lanes);
      return;
    }
    int r = r0;
    for (; r + 4 <= r1; r += 4) {
      for (int i = 0; i < m; i++) {
        dot4(w, r, xe[i], xo[i], out[i], lanes);
      }
    }
    for (; r < r1; r++) {
      for (int i = 0; i < m; i++) {
        out[i][r] = dot1(w, r, xe[i], xo[i], lanes);
      }
    }
  }

  /**
   * Whether a lone input's rows are read as streams ({@link #stream}): rows of whole vector runs. Unlike bf16
   * rows ({@link MatVec#streams}) long ones stream too: four runs side by side share each input load, and an
   * int8 row reads a quarter of its input's bytes, so the input's reads from the level-2 cache keep up.
   *
   * @param w the matrix
   * @return true when its rows are whole runs
   */
  static boolean streams(Int8Matrix w) {
    return w.vec == w.pairs;
  }

  /**
   * Rows {@code [r0, r1)} of whole runs for one input, read as one stream: the rows are consecutive in memory,
   * so one loop runs over all their bytes and closes a row's sum every {@code pairs / L} steps (why: see
   * {@link MatVec}'s stream).
   */
  private static void stream(Int8Matrix w, int r0, int r1, float[] xe, float[] xo, float[] out, float[] lanes) {
    Object src = w.source;
    FloatVector zero = FloatVector.zero(FLOATS);
    FloatVector a = zero;
    FloatVector b = zero;
    int j = 0;
    int r = r0;
    long end = (long) r1 * w.cols;
    for (long p = (long) r0 * w.cols; p < end; p += 2L * LANES) {
      a = widen(VectorAccess.bytes(src, p)).fma(FloatVector.fromArray(FLOATS, xe, j), a);
      b = widen(VectorAccess.bytes(src, p + LANES)).fma(FloatVector.fromArray(FLOATS, xo, j), b);
      j += LANES;
      if (j == w.pairs) {
        out[r] = MatVec.sumLanes(a.add(b), lanes) * w.scales[r];
        r++;
        a = zero;
        b = zero;
        j = 0;
      }
    }
  }

  /** {@link #stream} of rows {@code [r0, r0 + 4 * side)} as four runs of {@code side} rows read side by side. */
  private static void stream4(Int8Matrix w, int r0, int side, float[] xe, float[] xo, float[] out,
      float[] lanes) {
    Object src = w.source;
    long run = (long) side * w.cols;
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
    int r = r0;
    long end = (long) (r0 + side) * w.cols;
    for (long p = (long) r0 * w.cols; p < end; p += 2L * LANES) {
      FloatVector e = FloatVector.fromArray(FLOATS, xe, j);
      FloatVector d = FloatVector.fromArray(FLOATS, xo, j);
      a0 = widen(VectorAccess.bytes(src, p)).fma(e, a0);
      b0 = widen(VectorAccess.bytes(src, p + LANES)).fma(d, b0);
      a1 = widen(VectorAccess.bytes(src, p + run)).fma(e, a1);
      b1 = widen(VectorAccess.bytes(src, p + run + LANES)).fma(d, b1);
      a2 = widen(VectorAccess.bytes(src, p + 2 * run)).fma(e, a2);
      b2 = widen(VectorAccess.bytes(src, p + 2 * run + LANES)).fma(d, b2);
      a3 = widen(VectorAccess.bytes(src, p + 3 * run)).fma(e, a3);
      b3 = widen(VectorAccess.bytes(src, p + 3 * run + LANES)).fma(d, b3);
      j += LANES;
      if (j == w.pairs) {
        out[r] = MatVec.sumLanes(a0.add(b0), lanes) * w.scales[r];
        out[r + side] = MatVec.sumLanes(a1.add(b1), lanes) * w.scales[r + side];
        out[r + 2 * side] = MatVec.sumLanes(a2.add(b2), lanes) * w.scales[r + 2 * side];
        out[r + 3 * side] = MatVec.sumLanes(a3.add(b3), lanes) * w.scales[r + 3 * side];
        r++;
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

  /** Rows {@code r..r+3} for one input, each in {@link #stream}'s order; results to {@code out[r..r+3]}. */
  private static void dot4(Int8Matrix w, int r, float[] xe, float[] xo, float[] out, float[] lanes) {
    Object src = w.source;
    long stride = w.cols;
    long base = r * stride;
    FloatVector a0 = FloatVector.zero(FLOATS);
    FloatVector b0 = a0;
    FloatVector a1 = a0;
    FloatVector b1 = a0;
    FloatVector a2 = a0;
    FloatVector b2 = a0;
    FloatVector a3 = a0;
    FloatVector b3 = a0;
    for (int j = 0; j < w.vec; j += LANES) {
      FloatVector e = FloatVector.fromArray(FLOATS, xe, j);
      FloatVector d = FloatVector.fromArray(FLOATS, xo, j);
      long p = base + 2L * j;
      a0 = widen(VectorAccess.bytes(src, p)).fma(e, a0);
      b0 = widen(VectorAccess.bytes(src, p + LANES)).fma(d, b0);
      a1 = widen(VectorAccess.bytes(src, p + stride)).fma(e, a1);
      b1 = widen(VectorAccess.bytes(src, p + stride + LANES)).fma(d, b1);
      a2 = widen(VectorAccess.bytes(src, p + 2 * stride)).fma(e, a2);
      b2 = widen(VectorAccess.bytes(src, p + 2 * stride + LANES)).fma(d, b2);
      a3 = widen(VectorAccess.bytes(src, p + 3 * stride)).fma(e, a3);
      b3 = widen(VectorAccess.bytes(src, p + 3 * stride + LANES)).fma(d, b3);
    }
    out[r] = finish(a0, b0, w, r, xe, xo, lanes);
    out[r + 1] = finish(a1, b1, w, r + 1, xe, xo, lanes);
    out[r + 2] = finish(a2, b2, w, r + 2, xe, xo, lanes);
    out[r + 3] = finish(a3, b3, w, r + 3, xe, xo, lanes);
  }

  /** One row, in {@link #stream}'s order. */
  private static float dot1(Int8Matrix w, int r, float[] xe, float[] xo, float[] lanes) {
    Object src = w.source;
    long base = (long) r * w.cols;
    FloatVector a = FloatVector.zero(FLOATS);
    FloatVector b = a;
    for (int j = 0; j < w.vec; j += LANES) {
      long p = base + 2L * j;
      a = widen(VectorAccess.bytes(src, p)).fma(FloatVector.fromArray(FLOATS, xe, j), a);
      b = widen(VectorAccess.bytes(src, p + LANES)).fma(FloatVector.fromArray(FLOATS, xo, j), b);
    }
    return finish(a, b, w, r, xe, xo, lanes);
  }

  /** Lane sum of {@code a + b} (first to last), the tail pairs {@code [vec, pairs)} in order, times the scale. */
  private static float finish(FloatVector a, FloatVector b, Int8Matrix w, int r, float[] xe, float[] xo,
      float[] lanes) {
    float s = MatVec.sumLanes(a.add(b), lanes);
    long base = (long) r * w.cols;
    for (int j = w.vec; j < w.pairs; j++) {
      s += w.buffer.get((int) (base + 2L * j)) * xe[j];
      s += w.buffer.get((int) (base + 2L * j + 1)) * xo[j];
    }
    return s * w.scales[r];
  }

  /** {@code L} int8 values as {@code L} floats (exact). */
  private static FloatVector widen(ByteVector v) {
    return (FloatVector) v.convertShape(VectorOperators.B2F, FLOATS, 0);
  }
}
