package io.guardtrace.models.text;

/**
 * Cos/sin tables of Qwen2.5-VL's multimodal rotary embedding ({@code Qwen2_5_VLRotaryEmbedding} and
 * {@code apply_multimodal_rotary_pos_emb} in transformers' modeling_qwen2_5_vl.py), computed on the host in
 * float32 the way the reference does: {@code inv_freq[i] = 1 / theta^(2i / headDim)}, {@code freq = pos *
 * inv_freq}, {@code emb = cat(freq, freq)}; then the head dims are split by {@code mrope_section * 2} into
 * chunks that take, in turn, the time, height and width component.
 */
public final class MRope {
  private final int headDim;
  private final float[] invFreq;
  /** For each of the headDim dims, which position component (0 t, 1 h, 2 w) it reads. */
  private final int[] componentOfDim;

  /**
   * Tables for {@code headDim} and {@code mropeSection} (which sums to headDim / 2).
   *
   * @param headDim the rotary dimension
   * @param theta the rotary base
   * @param mropeSection the rotary pairs given to the temporal, height and width positions
   */
  public MRope(int headDim, double theta, int[] mropeSection) {
    this.headDim = headDim;
    int half = headDim / 2;
    invFreq = new float[half];
    for (int i = 0; i < half; i++) {
      // torch: arange(0, dim, 2).float() / dim in float32, then base ** that, then 1.0 / that, all float32
      float exponent = (float) (2 * i) / (float) headDim;
      float pow = (float) Math.pow(theta, exponent);
      invFreq[i] = 1.0f / pow;
    }
    componentOfDim = new int[headDim];
    int d = 0;
    for (int rep = 0; rep < 2; rep++) {
      for (int c = 0; c < 3; c++) {
        for (int k = 0; k < mropeSection[c]; k++) {
          componentOfDim[d++] = c;
        }
      }
    }
  }

  /**
   * Fills {@code cos} and {@code sin} ({@code [L * headDim]}, row-major) for positions {@code [3][from..from+L)}.
   *
   * @param positions the temporal, height and width position of every token
   * @param from the first token to fill
   * @param length the number of tokens
   * @param cos receives the cosines
   * @param sin receives the sines
   */
  public void tables(long[][] positions, int from, int length, float[] cos, float[] sin) {
    int half = headDim / 2;
    for (int l = 0; l < length; l++) {
      for (int d = 0; d < headDim; d++) {
        long p = positions[componentOfDim[d]][from + l];
        float angle = (float) p * invFreq[d % half];
        cos[l * headDim + d] = (float) Math.cos(angle);
        sin[l * headDim + d] = (float) Math.sin(angle);
      }
    }
  }

  /**
   * Fills tables for {@code length} decode positions all equal in their three components.
   *
   * @param position the position
   * @param cos receives the cosines
   * @param sin receives the sines
   */
  public void tables(long position, float[] cos, float[] sin) {
    int half = headDim / 2;
    for (int d = 0; d < headDim; d++) {
      float angle = (float) position * invFreq[d % half];
      cos[d] = (float) Math.cos(angle);
      sin[d] = (float) Math.sin(angle);
    }
  }

  /**
   * The rotary dimension (the head dim).
   *
   * @return the rotary dimension (the head dim)
   */
  public int headDim() {
    return headDim;
  }
}
