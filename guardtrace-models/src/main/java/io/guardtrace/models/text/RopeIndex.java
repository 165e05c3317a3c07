package io.guardtrace.models.text;

import java.util.List;

/**
 * Multimodal rotary positions of one sequence, following {@code Qwen2_5_VLModel.get_rope_index} in
 * transformers' modeling_qwen2_5_vl.py. Text tokens get the same running index in all three components
 * (time, height, width); the tokens of an image get {@code t = start}, {@code h = start + row},
 * {@code w = start + col} over the merged grid (grid_h / merge, grid_w / merge), where {@code start} is
 * one past the largest position so far; text after an image resumes at the largest position + 1.
 *
 * @param positions {@code [3][L]}: time, height, width components
 * @param ropeDelta max position + 1 - L: a decode step at cache length {@code n} uses position n + delta
 */
public record RopeIndex(long[][] positions, long ropeDelta) {

  /**
   * Computes the positions of {@code ids} (no padding) with images given in order as {@code {t, h, w}}
   * patch grids.
   *
   * @param imageTokenId the id of {@code <|image_pad|>}
   * @param mergeSize the vision tower's spatial merge size
   * @param ids the prompt's ids
   * @param imageGrids each image's patch grid, in order
   * @return the positions
   */
  public static RopeIndex compute(long[] ids, int imageTokenId, List<int[]> imageGrids, int mergeSize) {
    int n = ids.length;
    long[][] pos = new long[3][n];
    long next = 0;
    int image = 0;
    int i = 0;
    while (i < n) {
      if (ids[i] == imageTokenId && image < imageGrids.size()) {
        int[] g = imageGrids.get(image++);
        int gh = g[1] / mergeSize;
        int gw = g[2] / mergeSize;
        int count = g[0] * gh * gw;
        long max = next - 1;
        for (int k = 0; k < count && i + k < n; k++) {
          // time index is t * 0 for images (second_per_grid_t is 0 for still images)
          int rem = k % (gh * gw);
          long t = next;
          long h = next + rem / gw;
          long w = next + rem % gw;
          pos[0][i + k] = t;
          pos[1][i + k] = h;
          pos[2][i + k] = w;
          max = Math.max(max, Math.max(t, Math.max(h, w)));
        }
        i += count;
        next = max + 1;
      } else {
        pos[0][i] = next;
        pos[1][i] = next;
        pos[2][i] = next;
        next++;
        i++;
      }
    }
    return new RopeIndex(pos, next - n);
  }

  /**
   * Positions of a left- or right-padded row as {@code get_rope_index} returns them for a batch: the
   * unpadded tokens ({@code attentionMask == 1}) get the positions of {@link #compute}, padded positions get
   * 1, and {@code ropeDelta = max + 1 - paddedLength}.
   *
   * @param ids the row's ids, padding included
   * @param attentionMask 1 for a token, 0 for padding
   * @param imageTokenId the id of {@code <|image_pad|>}
   * @param imageGrids each image's patch grid, in order
   * @param mergeSize patches merged per side into one token
   * @return the positions
   */
  public static RopeIndex computePadded(long[] ids, long[] attentionMask, int imageTokenId, List<int[]> imageGrids,
      int mergeSize) {
    int n = ids.length;
    int kept = 0;
    for (long m : attentionMask) {
      kept += m == 1 ? 1 : 0;
    }
    long[] unpadded = new long[kept];
    for (int i = 0, j = 0; i < n; i++) {
      if (attentionMask[i] == 1) {
        unpadded[j++] = ids[i];
      }
    }
    RopeIndex inner = compute(unpadded, imageTokenId, imageGrids, mergeSize);
    long[][] pos = new long[3][n];
    long max = Long.MIN_VALUE;
    for (int c = 0; c < 3; c++) {
      for (int i = 0, j = 0; i < n; i++) {
        if (attentionMask[i] == 1) {
          pos[c][i] = inner.positions[c][j++];
          max = Math.max(max, pos[c][i]);
        } else {
          pos[c][i] = 1;
        }
      }
    }
    return new RopeIndex(pos, kept == 0 ? 0 : max + 1 - n);
  }

  /**
   * The sequence length.
   *
   * @return the sequence length
   */
  public int length() {
    return positions[0].length;
  }
}
