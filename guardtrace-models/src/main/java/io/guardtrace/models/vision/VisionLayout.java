package io.guardtrace.models.vision;

import java.util.ArrayList;
import java.util.List;

/**
 * Index bookkeeping of the vision tower for a list of images, in plain Java: the 2D rotary positions
 * ({@code rot_pos_emb}), the window order ({@code get_window_index}) and the attention chunks
 * ({@code cu_seqlens}, {@code cu_window_seqlens}) of transformers' Qwen2_5_VisionTransformerPretrainedModel.
 *
 * @param rotaryH per patch (natural order) its row in the patch grid
 * @param rotaryW per patch its column
 * @param windowIndex merged-unit order of the windowed sequence: position i holds merged unit windowIndex[i]
 * @param cuWindowSeqlens patch offsets of the windows in window order (empty windows dropped), from 0
 * @param cuSeqlens patch offsets of the images (frames), from 0
 */
record VisionLayout(int[] rotaryH, int[] rotaryW, int[] windowIndex, int[] cuWindowSeqlens, int[] cuSeqlens) {

  static VisionLayout of(List<int[]> grids, VisionConfig cfg) {
    int m = cfg.spatialMergeSize();
    int unit = cfg.mergeUnit();
    int total = 0;
    for (int[] g : grids) {
      total += g[0] * g[1] * g[2];
    }
    int[] rh = new int[total];
    int[] rw = new int[total];
    int p = 0;
    // rot_pos_emb: positions listed in merge-group order (the row order of pixel_values)
    for (int[] g : grids) {
      for (int t = 0; t < g[0]; t++) {
        for (int hb = 0; hb < g[1] / m; hb++) {
          for (int wb = 0; wb < g[2] / m; wb++) {
            for (int hi = 0; hi < m; hi++) {
              for (int wi = 0; wi < m; wi++) {
                rh[p] = hb * m + hi;
                rw[p] = wb * m + wi;
                p++;
              }
            }
          }
        }
      }
    }
    // get_window_index: windows of vws x vws merged units, the merged grid padded to whole windows
    int vws = cfg.windowSize() / m / cfg.patchSize();
    List<Integer> index = new ArrayList<>();
    List<Integer> cuWindow = new ArrayList<>();
    cuWindow.add(0);
    int offset = 0;
    for (int[] g : grids) {
      int gh = g[1] / m;
      int gw = g[2] / m;
      int windowsH = (gh + vws - gh % vws) / vws;
      int windowsW = (gw + vws - gw % vws) / vws;
      for (int t = 0; t < g[0]; t++) {
        for (int wh = 0; wh < windowsH; wh++) {
          for (int ww = 0; ww < windowsW; ww++) {
            int count = 0;
            for (int y = wh * vws; y < Math.min(gh, (wh + 1) * vws); y++) {
              for (int x = ww * vws; x < Math.min(gw, (ww + 1) * vws); x++) {
                index.add(offset + t * gh * gw + y * gw + x);
                count++;
              }
            }
            if (count > 0) {
              // an empty window would repeat the previous offset, which unique_consecutive removes
              cuWindow.add(cuWindow.get(cuWindow.size() - 1) + count * unit);
            }
          }
        }
      }
      offset += g[0] * gh * gw;
    }
    List<Integer> cu = new ArrayList<>();
    cu.add(0);
    for (int[] g : grids) {
      for (int t = 0; t < g[0]; t++) {
        cu.add(cu.get(cu.size() - 1) + g[1] * g[2]);
      }
    }
    return new VisionLayout(rh, rw, toArray(index), toArray(cuWindow), toArray(cu));
  }

  private static int[] toArray(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Patches. */
  int patches() {
    return rotaryH.length;
  }
}
