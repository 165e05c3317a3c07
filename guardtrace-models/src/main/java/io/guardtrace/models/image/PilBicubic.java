package io.guardtrace.models.image;

/**
 * Pillow's {@code Image.resize(size, BICUBIC)} on an 8-bit RGB image, bit for bit: the separable resampling of
 * Pillow's src/libImaging/Resample.c. Per axis, each output pixel's weights come from the Keys cubic kernel
 * (a = -0.5, support 2) stretched by {@code max(1, in/out)} (so downscaling antialiases), centred at
 * {@code (i + 0.5) * in/out}, normalised to sum 1 in double, then turned into 22-bit fixed point. The
 * horizontal pass runs first into an 8-bit intermediate holding only the rows the vertical pass reads; each
 * sum starts at half a unit, is shifted right by 22 and clipped to 0..255. A pass whose size does not change
 * is skipped (a same-size resize is a copy).
 */
public final class PilBicubic {
  private static final int PRECISION_BITS = 32 - 8 - 2;
  private static final double SUPPORT = 2.0;
  private static final double A = -0.5;

  private PilBicubic() {}

  /** Per-axis resampling plan: for each output index, the first input index, the count and the weights. */
  private record Coefficients(int[] start, int[] count, int[] weights, int kernelSize) {}

  static double cubic(double x) {
    x = Math.abs(x);
    if (x < 1.0) {
      return ((A + 2.0) * x - (A + 3.0)) * x * x + 1;
    }
    if (x < 2.0) {
      return (((x - 5) * x + 8) * x - 4) * A;
    }
    return 0.0;
  }

  /** Pillow's precompute_coeffs followed by normalize_coeffs_8bpc. */
  private static Coefficients coefficients(int inSize, int outSize) {
    double scale = (double) inSize / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = SUPPORT * filterScale;
    int kernelSize = (int) Math.ceil(support) * 2 + 1;
    int[] start = new int[outSize];
    int[] count = new int[outSize];
    int[] weights = new int[outSize * kernelSize];
    double[] k = new double[kernelSize];
    double ss = 1.0 / filterScale;
    for (int xx = 0; xx < outSize; xx++) {
      double center = (xx + 0.5) * scale;
      double ww = 0.0;
      int xmin = (int) (center - support + 0.5);
      if (xmin < 0) {
        xmin = 0;
      }
      int xmax = (int) (center + support + 0.5);
      if (xmax > inSize) {
        xmax = inSize;
      }
      xmax -= xmin;
      for (int x = 0; x < xmax; x++) {
        double w = cubic((x + xmin - center + 0.5) * ss);
        k[x] = w;
        ww += w;
      }
      for (int x = 0; x < xmax; x++) {
        double w = ww != 0.0 ? k[x] / ww : k[x];
        // 8-bit fixed point, rounding half away from zero as Pillow's (int)(0.5 + w * 2^22)
        weights[xx * kernelSize + x] = w < 0 ? (int) (-0.5 + w * (1 << PRECISION_BITS))
            : (int) (0.5 + w * (1 << PRECISION_BITS));
      }
      start[xx] = xmin;
      count[xx] = xmax;
    }
    return new Coefficients(start, count, weights, kernelSize);
  }

  private static int clip8(int v) {
    int s = v >> PRECISION_BITS;
    return s < 0 ? 0 : Math.min(s, 255);
  }

  /**
   * Resizes {@code rgb} ({@code height x width x 3}, row-major) to {@code outHeight x outWidth}.
   *
   * @param rgb the pixels
   * @param width their width
   * @param height their height
   * @param outWidth the resized width
   * @param outHeight the resized height
   * @return the resized pixels, {@code outHeight x outWidth x 3}
   */
  public static byte[] resize(byte[] rgb, int width, int height, int outWidth, int outHeight) {
    boolean horizontal = outWidth != width;
    boolean vertical = outHeight != height;
    if (!horizontal && !vertical) {
      return rgb.clone();
    }
    Coefficients cv = coefficients(height, outHeight);
    byte[] src = rgb;
    int srcWidth = width;
    int rowOffset = 0;
    if (horizontal) {
      // only the rows the vertical pass will read
      int first = vertical ? cv.start()[0] : 0;
      int last = vertical ? cv.start()[outHeight - 1] + cv.count()[outHeight - 1] : height;
      src = horizontalPass(rgb, width, first, last, outWidth, coefficients(width, outWidth));
      srcWidth = outWidth;
      rowOffset = first;
    }
    if (!vertical) {
      return src;
    }
    return verticalPass(src, srcWidth, rowOffset, outHeight, cv);
  }

  private static byte[] horizontalPass(byte[] in, int inWidth, int firstRow, int lastRow, int outWidth,
      Coefficients c) {
    int rows = lastRow - firstRow;
    byte[] out = new byte[rows * outWidth * 3];
    int half = 1 << (PRECISION_BITS - 1);
    int ks = c.kernelSize();
    for (int y = 0; y < rows; y++) {
      int inRow = (y + firstRow) * inWidth * 3;
      int outRow = y * outWidth * 3;
      for (int xx = 0; xx < outWidth; xx++) {
        int xmin = c.start()[xx];
        int n = c.count()[xx];
        int kOff = xx * ks;
        int s0 = half;
        int s1 = half;
        int s2 = half;
        int p = inRow + xmin * 3;
        for (int x = 0; x < n; x++, p += 3) {
          int w = c.weights()[kOff + x];
          s0 += (in[p] & 0xff) * w;
          s1 += (in[p + 1] & 0xff) * w;
          s2 += (in[p + 2] & 0xff) * w;
        }
        int o = outRow + xx * 3;
        out[o] = (byte) clip8(s0);
        out[o + 1] = (byte) clip8(s1);
        out[o + 2] = (byte) clip8(s2);
      }
    }
    return out;
  }

  private static byte[] verticalPass(byte[] in, int width, int rowOffset, int outHeight, Coefficients c) {
    byte[] out = new byte[outHeight * width * 3];
    int half = 1 << (PRECISION_BITS - 1);
    int ks = c.kernelSize();
    int stride = width * 3;
    int[] acc = new int[stride];
    for (int yy = 0; yy < outHeight; yy++) {
      int ymin = c.start()[yy] - rowOffset;
      int n = c.count()[yy];
      int kOff = yy * ks;
      java.util.Arrays.fill(acc, half);
      for (int y = 0; y < n; y++) {
        int w = c.weights()[kOff + y];
        int row = (ymin + y) * stride;
        for (int i = 0; i < stride; i++) {
          acc[i] += (in[row + i] & 0xff) * w;
        }
      }
      int o = yy * stride;
      for (int i = 0; i < stride; i++) {
        out[o + i] = (byte) clip8(acc[i]);
      }
    }
    return out;
  }
}
