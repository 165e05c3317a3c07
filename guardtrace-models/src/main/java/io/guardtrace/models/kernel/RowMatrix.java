package io.guardtrace.models.kernel;

/**
 * A weight matrix the decode kernels multiply vectors by, one output per row: bfloat16 as loaded
 * ({@link Bf16Matrix}, read by {@link MatVec}) or quantised to int8 ({@link Int8Matrix}, read by
 * {@link Int8MatVec}).
 */
public sealed interface RowMatrix permits Bf16Matrix, Int8Matrix {
  /**
   * Rows: outputs.
   *
   * @return the row count
   */
  int rows();

  /**
   * Columns: inputs.
   *
   * @return the column count
   */
  int cols();

  /**
   * Bytes the kernels read for all rows: what one decode step costs in memory traffic.
   *
   * @return the bytes
   */
  long bytes();

  /**
   * {@code out[i][r] = dot(w[r], x_i)} for rows {@code [r0, r1)} and inputs {@code i < m}, on the kernel of
   * {@code w}'s kind: {@link MatVec} or {@link Int8MatVec}, each in its fixed summation order.
   *
   * @param w the matrix
   * @param r0 first row
   * @param r1 end row (exclusive)
   * @param xe even elements of each input
   * @param xo odd elements of each input
   * @param m inputs
   * @param out receives the products, indexed by row
   * @param lanes scratch of {@link MatVec#lanes()} floats, not shared with another thread
   * @param streams 1 or {@link MatVec#SIDE_BY_SIDE}
   */
  static void dots(RowMatrix w, int r0, int r1, float[][] xe, float[][] xo, int m, float[][] out, float[] lanes,
      int streams) {
    if (w instanceof Int8Matrix q) {
      Int8MatVec.dots(q, r0, r1, xe, xo, m, out, lanes, streams);
    } else {
      MatVec.dots((Bf16Matrix) w, r0, r1, xe, xo, m, out, lanes, streams);
    }
  }

  /**
   * Whether a lone input's rows of {@code w} are read as streams, where the stream count matters.
   *
   * @param w the matrix
   * @return true for {@link MatVec#streams} bf16 matrices and int8 ones of whole vector runs
   */
  static boolean streams(RowMatrix w) {
    return w instanceof Int8Matrix q ? Int8MatVec.streams(q) : MatVec.streams((Bf16Matrix) w);
  }
}
