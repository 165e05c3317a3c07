package io.guardtrace.models.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The int8 weights of the opt-in {@code int8} precision: per-row quantisation (every weight within half a step
 * of its bf16 value) and the matrix-vector kernel against a scalar model of its fixed summation order, bit for
 * bit, whatever the row range, stream count or batch.
 */
class Int8MatVecTest {
  private static final int L = MatVec.lanes();

  @BeforeAll
  static void kernelsAvailable() {
    assumeTrue(VectorKernels.available(), VectorKernels.describe());
  }

  private static Int8Matrix quantized(float[] w, int rows, int cols) {
    Bf16Matrix bf16 = Bf16Matrix.of(MatVecTest.bf16Buffer(w), rows, cols);
    Int8Matrix q = Int8Matrix.over(ByteBuffer.allocateDirect(rows * cols), rows, cols);
    // two ranges, as two threads would quantise them
    q.quantize(bf16, 0, rows / 3);
    q.quantize(bf16, rows / 3, rows);
    return q;
  }

  @Test
  void quantize_keepsEveryWeightWithinHalfAStep_andMapsEachRowsLargestTo127() {
    Random r = new Random(3);
    for (int cols : new int[] {2 * L * 4, 2 * (L * 3 + 5)}) {
      int rows = 23;
      float[] w = MatVecTest.randomBf16(r, rows * cols, 0.05);
      java.util.Arrays.fill(w, 5 * cols, 6 * cols, 0f); // an all-zero row
      w[7 * cols + 3] = 9.5f; // an outlier: its row's step grows, the others' do not
      Int8Matrix q = quantized(w, rows, cols);
      for (int row = 0; row < rows; row++) {
        float max = 0;
        int maxQ = 0;
        for (int c = 0; c < cols; c++) {
          max = Math.max(max, Math.abs(w[row * cols + c]));
          maxQ = Math.max(maxQ, Math.abs(q.quantized(row, c)));
        }
        assertThat(q.scale(row)).as("row %d", row).isEqualTo(max / 127f);
        assertThat(maxQ).as("row %d", row).isEqualTo(max == 0 ? 0 : 127);
        for (int c = 0; c < cols; c++) {
          float step = q.scale(row);
          assertThat((double) Math.abs(q.get(row, c) - w[row * cols + c]))
              .as("(%d, %d)", row, c).isLessThanOrEqualTo(step * 0.5001);
        }
      }
      assertThat(q.scale(5)).isZero();
      assertThat(q.scale(7)).isEqualTo(9.5f / 127f);
    }
  }

  @Test
  void quantize_refusesARowThatIsNotFinite() {
    int cols = 2 * L;
    float[] w = new float[3 * cols];
    w[cols + 4] = Float.POSITIVE_INFINITY;
    assertThatThrownBy(() -> quantized(w, 3, cols))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 1");
  }

  @Test
  void dots_areTheScalarModelOfTheirOrder_bitForBit_forAnyRowsStreamsAndBatch() {
    Random r = new Random(4);
    // whole runs (streamed for a lone input) and a tail of pairs after them (four rows at a time)
    for (int cols : new int[] {2 * L * 6, 2 * (L * 2 + 3)}) {
      int rows = 4 * 9 + 3;
      int m = 3;
      Int8Matrix q = quantized(MatVecTest.randomBf16(r, rows * cols, 0.05), rows, cols);
      float[][] xe = new float[m][];
      float[][] xo = new float[m][];
      float[][] expected = new float[m][rows];
      for (int i = 0; i < m; i++) {
        float[][] split = MatVecTest.split(MatVecTest.randomBf16(r, cols, 1.0));
        xe[i] = split[0];
        xo[i] = split[1];
        for (int row = 0; row < rows; row++) {
          expected[i][row] = model(q, row, xe[i], xo[i]);
        }
      }
      float[] lanes = new float[L];
      for (int streams : new int[] {1, MatVec.SIDE_BY_SIDE}) {
        // a lone input over all rows, and over an odd range
        float[][] alone = new float[1][rows];
        Int8MatVec.dots(q, 0, rows, new float[][] {xe[1]}, new float[][] {xo[1]}, 1, alone, lanes, streams);
        assertThat(alone[0]).as("cols %d, %d streams", cols, streams).containsExactly(expected[1]);
        float[][] part = new float[1][rows];
        Int8MatVec.dots(q, 5, 5 + 4 * 5 + 2, new float[][] {xe[0]}, new float[][] {xo[0]}, 1, part, lanes,
            streams);
        for (int row = 5; row < 5 + 4 * 5 + 2; row++) {
          assertThat(part[0][row]).as("row %d", row).isEqualTo(expected[0][row]);
        }
        float[][] batch = new float[m][rows];
        Int8MatVec.dots(q, 0, rows, xe, xo, m, batch, lanes, streams);
        for (int i = 0; i < m; i++) {
          assertThat(batch[i]).as("input %d of a batch", i).containsExactly(expected[i]);
        }
      }
    }
  }

  @Test
  void dots_areCloseToTheExactProductOfTheDequantisedWeights() {
    Random r = new Random(5);
    int rows = 64;
    int cols = 2048;
    Int8Matrix q = quantized(MatVecTest.randomBf16(r, rows * cols, 0.05), rows, cols);
    float[] x = MatVecTest.randomBf16(r, cols, 1.0);
    float[][] split = MatVecTest.split(x);
    float[][] out = new float[1][rows];
    Int8MatVec.dots(q, 0, rows, new float[][] {split[0]}, new float[][] {split[1]}, 1, out, new float[L], 1);
    for (int row = 0; row < rows; row++) {
      double exact = 0;
      double magnitude = 0;
      for (int c = 0; c < cols; c++) {
        exact += (double) q.get(row, c) * x[c];
        magnitude += Math.abs((double) q.get(row, c) * x[c]);
      }
      // float32 accumulation over 2048 products (64 per lane): within 1e-5 of the products' magnitude
      assertThat(Math.abs(out[0][row] - exact)).as("row %d", row).isLessThanOrEqualTo(1e-5 * magnitude);
    }
  }

  /** The kernel's order in scalar code: per lane fused multiply-adds, lanes summed in order, tail, scale. */
  private static float model(Int8Matrix q, int row, float[] xe, float[] xo) {
    int pairs = q.cols() / 2;
    int vec = pairs - pairs % L;
    float[] a = new float[L];
    float[] b = new float[L];
    for (int j = 0; j < vec; j += L) {
      for (int l = 0; l < L; l++) {
        a[l] = Math.fma(q.quantized(row, 2 * (j + l)), xe[j + l], a[l]);
        b[l] = Math.fma(q.quantized(row, 2 * (j + l) + 1), xo[j + l], b[l]);
      }
    }
    float s = a[0] + b[0];
    for (int l = 1; l < L; l++) {
      s += a[l] + b[l];
    }
    for (int j = vec; j < pairs; j++) {
      s += q.quantized(row, 2 * j) * xe[j];
      s += q.quantized(row, 2 * j + 1) * xo[j];
    }
    return s * q.scale(row);
  }
}
