package io.guardtrace.image;

import io.guardtrace.InvalidImageException;

/**
 * {@code smart_resize} of transformers' qwen2_vl/image_processing_qwen2_vl.py: the target size is the image
 * size rounded to multiples of {@code factor}, scaled down to at most {@code maxPixels} or up to at least
 * {@code minPixels} keeping the aspect ratio. The arithmetic is the reference's, in double and in the same
 * order: Python's {@code round} rounds halves to even ({@link Math#rint}), and {@code height / beta / factor}
 * is evaluated left to right (the fixture 1000x250 at max_pixels 200704 lands exactly on an integer there).
 */
public final class SmartResize {
  /** The reference refuses images more elongated than this. */
  public static final double MAX_ASPECT_RATIO = 200;

  private SmartResize() {}

  /**
   * The resized {@code {height, width}}.
   *
   * @param height the image height
   * @param width the image width
   * @param factor the size both sides are rounded to a multiple of (patch size times merge size)
   * @param minPixels the fewest pixels after resizing
   * @param maxPixels the most pixels after resizing
   * @param image the image's description, for the error message
   * @return the resized {@code {height, width}}
   * @throws InvalidImageException when the aspect ratio exceeds 200 ({@code image} names the image)
   */
  public static int[] resize(int height, int width, int factor, int minPixels, int maxPixels, String image) {
    if (height <= 0 || width <= 0) {
      throw new InvalidImageException(image, "has no pixels (" + width + "x" + height + ")");
    }
    if ((double) Math.max(height, width) / Math.min(height, width) > MAX_ASPECT_RATIO) {
      throw new InvalidImageException(image, "aspect ratio " + Math.max(height, width) / Math.min(height, width)
          + ":1 exceeds the model's limit of 200:1 (" + width + "x" + height + "); crop it first");
    }
    double hBar = Math.rint((double) height / factor) * factor;
    double wBar = Math.rint((double) width / factor) * factor;
    if (hBar * wBar > maxPixels) {
      double beta = Math.sqrt(((double) height * width) / maxPixels);
      hBar = Math.max(factor, Math.floor(height / beta / factor) * factor);
      wBar = Math.max(factor, Math.floor(width / beta / factor) * factor);
    } else if (hBar * wBar < minPixels) {
      double beta = Math.sqrt(minPixels / ((double) height * width));
      hBar = Math.ceil(height * beta / factor) * factor;
      wBar = Math.ceil(width * beta / factor) * factor;
    }
    return new int[] {(int) hBar, (int) wBar};
  }
}
