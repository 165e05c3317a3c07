package io.guardtrace.models.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A row-major bfloat16 matrix {@code (rows, cols)} in native memory that the kernels read in place (a weight
 * or a KV-cache buffer owned by libtorch). Holds the buffer, not its owner: the owner must outlive it.
 */
public final class Bf16Matrix implements RowMatrix {
  final ByteBuffer buffer; // little endian, absolute reads only
  final Object source; // what VectorAccess.ints reads
  final int rows;
  final int cols;
  final long rowBytes;
  final long offset; // byte offset of row 0 in the buffer

  private Bf16Matrix(ByteBuffer buffer, Object source, long offset, int rows, int cols) {
    this.buffer = buffer;
    this.source = source;
    this.offset = offset;
    this.rows = rows;
    this.cols = cols;
    this.rowBytes = 2L * cols;
  }

  /**
   * A matrix over a direct buffer of {@code rows * cols} bfloat16 values.
   *
   * @param direct the memory (its position and limit are ignored; read from byte 0)
   * @param rows rows
   * @param cols columns, even (kernels read the values in pairs)
   * @return the matrix
   * @throws IllegalArgumentException when the buffer is not direct, too small, or cols is odd
   */
  public static Bf16Matrix of(ByteBuffer direct, int rows, int cols) {
    if ((cols & 1) != 0) {
      throw new IllegalArgumentException("odd column count " + cols);
    }
    if (direct.capacity() < 2L * rows * cols) {
      throw new IllegalArgumentException(
          "buffer of " + direct.capacity() + " bytes for a (" + rows + ", " + cols + ") bf16 matrix");
    }
    ByteBuffer b = direct.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    return new Bf16Matrix(b, VectorAccess.source(b), 0, rows, cols);
  }

  /**
   * Rows {@code [from, from + count)} of this matrix as a matrix of their own, sharing the memory.
   *
   * @param from first row
   * @param count rows
   * @return the view
   */
  public Bf16Matrix rows(int from, int count) {
    if (from < 0 || count < 0 || from + count > rows) {
      throw new IndexOutOfBoundsException("rows " + from + "+" + count + " of " + rows);
    }
    return new Bf16Matrix(buffer, source, offset + from * rowBytes, count, cols);
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
    return rows * rowBytes;
  }

  /**
   * Element {@code (r, c)}.
   *
   * @param r row
   * @param c column
   * @return its value
   */
  public float get(int r, int c) {
    return Bf16.toFloat(buffer.getShort((int) (offset + r * rowBytes + 2L * c)));
  }

  /**
   * Row {@code r} widened to float.
   *
   * @param r row
   * @param out receives {@code cols} values
   */
  public void row(int r, float[] out) {
    long base = offset + r * rowBytes;
    for (int c = 0; c < cols; c++) {
      out[c] = Bf16.toFloat(buffer.getShort((int) (base + 2L * c)));
    }
  }

  /**
   * Writes bf16 values (floats that hold exact bf16 values) into row {@code r}, columns {@code [0, n)}.
   *
   * @param r row
   * @param values the values, {@code n} of them from {@code from}
   * @param from first index in values
   * @param n how many
   */
  public void setRow(int r, float[] values, int from, int n) {
    long base = offset + r * rowBytes;
    for (int c = 0; c < n; c++) {
      buffer.putShort((int) (base + 2L * c), (short) (Float.floatToRawIntBits(values[from + c]) >>> 16));
    }
  }
}
