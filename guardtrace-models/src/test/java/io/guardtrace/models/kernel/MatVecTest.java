package io.guardtrace.models.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.guardtrace.models.torch.TorchOps;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bf16 matrix-vector kernel against libtorch's bf16 linear (oneDNN) on random data, and against an exact
 * (double) sum; and its fixed summation order: the same bits for a row whatever the row range, batch or thread.
 */
class MatVecTest {
  @BeforeAll
  static void kernelsAvailable() {
    assumeTrue(VectorKernels.available(), VectorKernels.describe());
  }

  /** Random bf16 values (as floats), normal with standard deviation {@code std}. */
  static float[] randomBf16(Random r, int n, double std) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = Bf16.round((float) (r.nextGaussian() * std));
    }
    return v;
  }

  /** A direct buffer of bf16 values. */
  static ByteBuffer bf16Buffer(float[] values) {
    ByteBuffer b = ByteBuffer.allocateDirect(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < values.length; i++) {
      b.putShort(i * 2, (short) (Float.floatToRawIntBits(values[i]) >>> 16));
    }
    return b;
  }

  static float[][] split(float[] x) {
    float[] e = new float[x.length / 2];
    float[] o = new float[x.length / 2];
    for (int i = 0; i < e.length; i++) {
      e[i] = x[2 * i];
      o[i] = x[2 * i + 1];
    }
    return new float[][] {e, o};
  }

  /** One bf16 ulp at the magnitude of {@code v}. */
  static double ulp(float v) {
    return Math.scalb(1.0, Math.getExponent(Math.max(Math.abs(v), Float.MIN_NORMAL)) - 7);
  }

  @Test
  void dots_withBias_matchLibtorchBf16Linear_withinOneUlp_andExactSumClosely() {
    Random r = new Random(1);
    // 2048 columns (the 3B's hidden size) and an odd width with a tail after the vector part; rows not a
    // multiple of the kernel's 4-row blocks
    for (int cols : new int[] {2048, 2 * (MatVec.lanes() * 5 + 3)}) {
      int rows = 131;
      float[] w = randomBf16(r, rows * cols, 0.05);
      float[] x = randomBf16(r, cols, 1.0);
      float[] bias = randomBf16(r, rows, 0.05);
      Bf16Matrix m = Bf16Matrix.of(bf16Buffer(w), rows, cols);
      float[][] xs = split(x);
      float[] dots = new float[rows];
      MatVec.dots(m, 0, rows, xs[0], xs[1], 0, dots, 0, new float[MatVec.lanes()]);
      float[] torch;
      try (NDManager nd = NDManager.newBaseManager(Device.cpu())) {
        TorchOps ops = TorchOps.on(Device.cpu());
        NDArray wt = ops.toBf16(nd.create(w, new Shape(rows, cols)));
        NDArray xt = ops.toBf16(nd.create(x, new Shape(1, cols)));
        NDArray bt = ops.toBf16(nd.create(bias, new Shape(rows)));
        torch = ops.toF32(Linear.linear(xt, wt, bt).singletonOrThrow()).toFloatArray();
      }
      int differ = 0;
      int differTwice = 0;
      for (int i = 0; i < rows; i++) {
        double exact = 0;
        double magnitude = 0;
        for (int c = 0; c < cols; c++) {
          exact += (double) w[i * cols + c] * x[c];
          magnitude += Math.abs((double) w[i * cols + c] * x[c]);
        }
        // float32 accumulation: within cols * 2^-24 of the sum of magnitudes (a loose bound; typically far less)
        assertThat(Math.abs(dots[i] - exact)).as("row %d", i).isLessThanOrEqualTo(cols * 0x1p-24 * magnitude);
        float once = Bf16.round(dots[i] + bias[i]);
        float twice = Bf16.round(Bf16.round(dots[i]) + bias[i]);
        assertThat((double) Math.abs(once - torch[i])).as("row %d", i).isLessThanOrEqualTo(ulp(torch[i]));
        differ += once != torch[i] ? 1 : 0;
        differTwice += twice != torch[i] ? 1 : 0;
      }
      System.out.printf("cols %d: %d of %d outputs differ from libtorch by one ulp (%d if the bias were added "
          + "after rounding)%n", cols, differ, rows, differTwice);
      // libtorch adds the bias in float32 and rounds once; only summation order may flip a rounding
      assertThat(differ).isLessThanOrEqualTo(rows / 20);
    }
  }

  @Test
  void dots_sameBitsForEveryRowRangeAndBatchSize() {
    // rows with a tail after the vectors (four rows at a time); rows of whole vectors with a short input (one
    // input streams through consecutive rows); and long rows (four at a time again): one input alone, in pieces
    // and in a batch must agree bit for bit on each
    int lanes = MatVec.lanes();
    // (the last two also through the packed input)
    for (int cols : new int[] {2 * (lanes * 3 + 5), 2 * lanes * 7, 2 * lanes * 160}) {
      sameBitsForEveryRowRangeAndBatchSize(cols);
    }
  }

  private static void sameBitsForEveryRowRangeAndBatchSize(int cols) {
    Random r = new Random(2);
    int rows = 37;
    Bf16Matrix m = Bf16Matrix.of(bf16Buffer(randomBf16(r, rows * cols, 0.1)), rows, cols);
    int n = 5;
    float[][] xe = new float[n][];
    float[][] xo = new float[n][];
    for (int i = 0; i < n; i++) {
      float[][] s = split(randomBf16(r, cols, 1.0));
      xe[i] = s[0];
      xo[i] = s[1];
    }
    float[] lanes = new float[MatVec.lanes()];
    float[][] batch = new float[n][rows];
    MatVec.dots(m, 0, rows, xe, xo, n, batch, lanes);
    for (int i = 0; i < n; i++) {
      float[] alone = new float[rows];
      MatVec.dots(m, 0, rows, xe[i], xo[i], 0, alone, 0, lanes);
      float[] pieces = new float[rows];
      MatVec.dots(m, 0, 3, xe[i], xo[i], 0, pieces, 0, lanes);
      MatVec.dots(m, 3, 10, xe[i], xo[i], 0, pieces, 3, lanes);
      MatVec.dots(m.rows(10, rows - 10), 0, rows - 10, xe[i], xo[i], 0, pieces, 10, lanes);
      float[][] batchOfOne = new float[1][rows];
      MatVec.dots(m, 0, rows, new float[][] {xe[i]}, new float[][] {xo[i]}, 1, batchOfOne, lanes);
      // four runs side by side: 37 rows are four runs of 9 and one row after them; 3..10 is runs of 1, and 3
      // rows are too few for runs
      float[][] sideBySide = new float[1][rows];
      MatVec.dots(m, 0, rows, new float[][] {xe[i]}, new float[][] {xo[i]}, 1, sideBySide, lanes,
          MatVec.SIDE_BY_SIDE);
      float[][] sideBySidePieces = new float[1][rows];
      for (int[] range : new int[][] {{0, 3}, {3, 10}, {10, rows}}) {
        MatVec.dots(m, range[0], range[1], new float[][] {xe[i]}, new float[][] {xo[i]}, 1, sideBySidePieces,
            lanes, MatVec.SIDE_BY_SIDE);
      }
      float[] offset = new float[rows];
      float[] shiftedE = new float[cols / 2 + 3];
      float[] shiftedO = new float[cols / 2 + 3];
      System.arraycopy(xe[i], 0, shiftedE, 3, cols / 2);
      System.arraycopy(xo[i], 0, shiftedO, 3, cols / 2);
      MatVec.dots(m, 0, rows, shiftedE, shiftedO, 3, offset, 0, lanes);
      float[] packed = null;
      float[] packedSideBySide = null;
      if (MatVec.streamsPacked(m)) {
        int[] xp = new int[cols / 2];
        for (int p = 0; p < xp.length; p++) {
          xp[p] = (Float.floatToRawIntBits(xe[i][p]) >>> 16) | (Float.floatToRawIntBits(xo[i][p]) & 0xffff0000);
        }
        packed = new float[rows];
        MatVec.dotsPacked(m, 0, rows, xp, packed, 0, lanes, 1);
        packedSideBySide = new float[rows + 2];
        MatVec.dotsPacked(m, 0, 11, xp, packedSideBySide, 2, lanes, MatVec.SIDE_BY_SIDE);
        MatVec.dotsPacked(m, 11, rows, xp, packedSideBySide, 13, lanes, MatVec.SIDE_BY_SIDE);
      }
      for (int row = 0; row < rows; row++) {
        if (packed != null) {
          assertThat(Float.floatToRawIntBits(packed[row])).as("packed: cols %d input %d row %d", cols, i, row)
              .isEqualTo(Float.floatToRawIntBits(alone[row]))
              .isEqualTo(Float.floatToRawIntBits(packedSideBySide[row + 2]));
        }
        assertThat(Float.floatToRawIntBits(batch[i][row])).as("cols %d input %d row %d", cols, i, row)
            .isEqualTo(Float.floatToRawIntBits(alone[row]))
            .isEqualTo(Float.floatToRawIntBits(pieces[row]))
            .isEqualTo(Float.floatToRawIntBits(batchOfOne[0][row]))
            .isEqualTo(Float.floatToRawIntBits(sideBySide[0][row]))
            .isEqualTo(Float.floatToRawIntBits(sideBySidePieces[0][row]))
            .isEqualTo(Float.floatToRawIntBits(offset[row]));
      }
    }
  }
}
