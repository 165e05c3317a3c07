package io.guardtrace.models.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;

/**
 * A {@code (rows, cols)} weight matrix quantised to int8 with one float32 scale per row (symmetric, per output
 * channel): {@code w[r][c] ~ scales[r] * q[r][c]}, {@code q} in {@code [-127, 127]}, {@code scales[r] =
 * max|w[r]| / 127}. Half the bytes of bfloat16, so a memory-bound decode step reads half as much; the opt-in
 * {@code int8} precision (docs/performance.md measures its error against bfloat16).
 *
 * <p>The bytes live in native memory the caller owns (a libtorch int8 tensor) and are laid out for
 * {@link Int8MatVec}, whose inputs come split into even and odd elements like {@link MatVec}'s: each run of
 * {@code 2 * L} columns ({@code L} float lanes) holds its {@code L} even columns, then its {@code L} odd ones, so
 * one load widens to the even (or odd) products of {@code L} consecutive input pairs. Columns past the last
 * whole run stay in their natural order.
 */
public final class Int8Matrix implements RowMatrix {
  /** Float lanes per vector: the run length of the layout, fixed for the JVM's life. */
  static final int LANES = VectorAccess.FLOATS.length();

  final ByteBuffer buffer; // absolute reads only
  final Object source; // what VectorAccess.bytes reads
  final int rows;
  final int cols;
  final int pairs; // cols / 2
  final int vec; // pairs in whole runs: a multiple of LANES
  final float[] scales;

  private Int8Matrix(ByteBuffer buffer, int rows, int cols) {
    this.buffer = buffer;
    this.source = VectorAccess.source(buffer);
    this.rows = rows;
    this.cols = cols;
    this.pairs = cols / 2;
    this.vec = pairs - pairs % LANES;
    this.scales = new float[rows];
  }

  /**
   * An int8 matrix over {@code rows * cols} bytes of native memory, all rows zero until {@link #quantize}d.
   *
   * @param direct the memory, read from byte 0 (its position and limit are ignored); must outlive the matrix
   * @param rows rows
   * @param cols columns, even
   * @return the matrix
   * @throws IllegalArgumentException when the buffer is not direct or too small, or cols is odd
   */
  public static Int8Matrix over(ByteBuffer direct, int rows, int cols) {
    if ((cols & 1) != 0) {
      throw new IllegalArgumentException("odd column count " + cols);
    }
    if (direct.capacity() < (long) rows * cols) {
      throw new IllegalArgumentException(
          "buffer of " + direct.capacity() + " bytes for a (" + rows + ", " + cols + ") int8 matrix");
    }
    return new Int8Matrix(direct.duplicate(), rows, cols);
  }

  /**
   * Quantises rows {@code [r0, r1)} of a bfloat16 matrix of the same shape into this one: per row, the scale
   * {@code max|w| / 127} and {@code q = sign(w) * (int) (|w| * (127 / max) + 0.5f)} in float32 arithmetic
   * (round half away from zero; an all-zero row gets scale 0). Disjoint row ranges may be quantised from
   * different threads.
   *
   * @param from the bfloat16 weights
   * @param r0 first row
   * @param r1 end row (exclusive)
   * @throws IllegalArgumentException when the shapes differ or a row holds a value that is not finite
   */
  public void quantize(Bf16Matrix from, int r0, int r1) {
    if (from.rows() != rows || from.cols() != cols) {
      throw new IllegalArgumentException("(" + from.rows() + ", " + from.cols() + ") into (" + rows + ", " + cols
          + ")");
    }
    // whole rows in bulk: a read and a write per element through the buffers ran at some 60 M weights/s per
    // thread, 26 s for a 3B model's 3.1 G weights on an Intel Xeon
    ShortBuffer bf16 = from.buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
    short[] bits = new short[cols];
    float[] w = new float[cols];
    byte[] q = new byte[cols];
    for (int r = r0; r < r1; r++) {
      bf16.get((int) ((from.offset + r * from.rowBytes) / 2), bits);
      float max = 0;
      for (int c = 0; c < cols; c++) {
        w[c] = Float.intBitsToFloat(bits[c] << 16);
        max = Math.max(max, Math.abs(w[c]));
      }
      if (!Float.isFinite(max)) {
        throw new IllegalArgumentException("row " + r + " holds a value that is not finite");
      }
      float inverse = max == 0 ? 0 : 127f / max;
      scales[r] = max / 127f;
      for (int run = 0; run < vec / LANES; run++) {
        int in = 2 * LANES * run; // first column of the run, in the weights' order
        for (int t = 0; t < LANES; t++) {
          q[in + t] = quantize(w[in + 2 * t], inverse);
          q[in + LANES + t] = quantize(w[in + 2 * t + 1], inverse);
        }
      }
      for (int c = 2 * vec; c < cols; c++) {
        q[c] = quantize(w[c], inverse);
      }
      buffer.put(Math.toIntExact((long) r * cols), q);
    }
  }

  /** One weight: {@code sign(v) * (int) (|v| * inverse + 0.5f)}, at most 127 in magnitude. */
  private static byte quantize(float v, float inverse) {
    int q = Math.min(127, (int) (Math.abs(v) * inverse + 0.5f));
    return (byte) (v < 0 ? -q : q);
  }

  /** Where column {@code c} sits within its row (the layout in the class comment). */
  long position(int c) {
    int pair = c >> 1;
    if (pair >= vec) {
      return c;
    }
    int run = pair / LANES;
    return 2L * LANES * run + (c & 1) * LANES + pair % LANES;
  }

  /**
   * The quantised value of element {@code (r, c)}: an integer in {@code [-127, 127]}.
   *
   * @param r row
   * @param c column
   * @return the integer
   */
  public int quantized(int r, int c) {
    return buffer.get((int) ((long) r * cols + position(c)));
  }

  /**
   * Row {@code r}'s scale.
   *
   * @param r row
   * @return {@code max|w[r]| / 127} of the weights quantised into it
   */
  public float scale(int r) {
    return scales[r];
  }

  /**
   * Element {@code (r, c)} as the kernels see it: {@code scale(r) * quantized(r, c)}.
   *
   * @param r row
   * @param c column
   * @return the dequantised value
   */
  public float get(int r, int c) {
    return scales[r] * quantized(r, c);
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public int cols() {
    return cols;
  }

  @Override
  public long bytes() {
    return (long) rows * cols + 4L * rows;
  }
}
