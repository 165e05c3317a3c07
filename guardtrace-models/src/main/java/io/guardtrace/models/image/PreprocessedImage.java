package io.guardtrace.models.image;

/**
 * {@code pixel_values} of one image and its patch grid, as Qwen2VLImageProcessor returns them.
 *
 * @param pixelValues {@code rows x rowLength} floats
 * @param rows patches ({@code gridT * gridH * gridW})
 * @param rowLength values per patch (channels x temporal patch x patch x patch)
 * @param gridT temporal patches
 * @param gridH patch rows
 * @param gridW patch columns
 * @param mergeSize patches merged per side into one token
 */
public record PreprocessedImage(float[] pixelValues, int rows, int rowLength, int gridT, int gridH, int gridW,
    int mergeSize) {

  /**
   * Tokens this image becomes: {@code gridT * gridH * gridW / mergeSize^2}.
   *
   * @return tokens this image becomes: {@code gridT * gridH * gridW / mergeSize^2}
   */
  public int tokenCount() {
    return gridT * gridH * gridW / (mergeSize * mergeSize);
  }

  /**
   * {@code {t, h, w}}.
   *
   * @return the grid
   */
  public int[] grid() {
    return new int[] {gridT, gridH, gridW};
  }
}
