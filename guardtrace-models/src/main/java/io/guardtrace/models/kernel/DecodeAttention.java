package io.guardtrace.models.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention of one new token's query head over a bfloat16 KV cache, as libtorch's CPU attention computes it for
 * bf16 (transformers' sdpa path): scores {@code q·k * scale}, softmax and the weighted sum of values all in
 * float32 from the bf16 inputs, the result rounded to bf16 once. Scores go through {@link MatVec} (a cache
 * head is a {@code (positions, headDim)} matrix), so they share its fixed summation order; the exponential is
 * {@link Math#exp}, which HotSpot computes the same way in interpreted and compiled code.
 */
public final class DecodeAttention {
  private static final VectorSpecies<Integer> INTS = VectorAccess.INTS;
  private static final VectorSpecies<Float> FLOATS = VectorAccess.FLOATS;
  private static final int LANES = INTS.length();

  private DecodeAttention() {}

  /**
   * One query head against positions {@code [0, length)} of one cache head.
   *
   * @param keys the layer's key cache as a {@code (kvHeads * capacity, headDim)} matrix
   * @param values the value cache, same shape
   * @param firstRow the cache head's row 0 ({@code kvHead * capacity})
   * @param length positions to attend to
   * @param qe even elements of the query (split form), the head's from {@code qOffset}
   * @param qo odd elements of the query
   * @param qOffset the head's first pair
   * @param scale the score scale, {@code 1 / sqrt(headDim)}
   * @param scores scratch of at least {@code length} floats
   * @param ctxE receives the even elements of the head's output (bf16 values), from {@code ctxOffset}
   * @param ctxO receives the odd elements
   * @param ctxOffset the head's first pair in the output
   * @param lanes scratch of {@link MatVec#lanes()} floats
   */
  public static void attend(Bf16Matrix keys, Bf16Matrix values, int firstRow, int length, float[] qe, float[] qo,
      int qOffset, float scale, float[] scores, float[] ctxE, float[] ctxO, int ctxOffset, float[] lanes) {
    MatVec.dots(keys, firstRow, firstRow + length, qe, qo, qOffset, scores, 0, lanes);
    float max = Float.NEGATIVE_INFINITY;
    for (int t = 0; t < length; t++) {
      float s = scores[t] * scale;
      scores[t] = s;
      max = Math.max(max, s);
    }
    float sum = 0;
    for (int t = 0; t < length; t++) {
      float e = (float) Math.exp(scores[t] - max);
      scores[t] = e;
      sum += e;
    }
    float inv = 1f / sum;
    int pairs = values.cols / 2;
    int vec = pairs - pairs % LANES;
    long row0 = values.offset + (long) firstRow * values.rowBytes;
    for (int p = 0; p < vec; p += LANES) {
      FloatVector accE = FloatVector.zero(FLOATS);
      FloatVector accO = accE;
      long at = row0 + 4L * p;
      for (int t = 0; t < length; t++) {
        IntVector v = VectorAccess.ints(values.source, at + t * values.rowBytes);
        FloatVector w = FloatVector.broadcast(FLOATS, scores[t]);
        accE = MatVec.even(v).fma(w, accE);
        accO = MatVec.odd(v).fma(w, accO);
      }
      accE.mul(inv).intoArray(ctxE, ctxOffset + p);
      accO.mul(inv).intoArray(ctxO, ctxOffset + p);
      for (int l = 0; l < LANES; l++) {
        ctxE[ctxOffset + p + l] = Bf16.round(ctxE[ctxOffset + p + l]);
        ctxO[ctxOffset + p + l] = Bf16.round(ctxO[ctxOffset + p + l]);
      }
    }
    for (int p = vec; p < pairs; p++) {
      float e = 0;
      float o = 0;
      for (int t = 0; t < length; t++) {
        int bits = values.buffer.getInt((int) (row0 + t * values.rowBytes + 4L * p));
        e = Math.fma(Float.intBitsToFloat(bits << 16), scores[t], e);
        o = Math.fma(Float.intBitsToFloat(bits & 0xffff0000), scores[t], o);
      }
      ctxE[ctxOffset + p] = Bf16.round(e * inv);
      ctxO[ctxOffset + p] = Bf16.round(o * inv);
    }
  }
}
