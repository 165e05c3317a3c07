package io.guardtrace.models.kernel;

/**
 * bfloat16 as libtorch rounds it ({@code c10::BFloat16}: round to nearest even, NaN to the canonical quiet
 * NaN). Values are carried in {@code float}s that hold exactly a bf16 value, so an elementwise bf16 op of
 * libtorch (compute in float32, round the result) is {@code round(a op b)} here, bit for bit.
 */
public final class Bf16 {
  private Bf16() {}

  /**
   * Rounds to the nearest bfloat16.
   *
   * @param f any float
   * @return the bf16 value nearest to {@code f} (ties to even), as a float
   */
  public static float round(float f) {
    int bits = Float.floatToRawIntBits(f);
    if ((bits & 0x7fffffff) > 0x7f800000) {
      return Float.intBitsToFloat(0x7fc00000);
    }
    bits += 0x7fff + ((bits >>> 16) & 1);
    return Float.intBitsToFloat(bits & 0xffff0000);
  }

  /**
   * The float with the same value as a bfloat16.
   *
   * @param bits the bf16 bit pattern
   * @return its value
   */
  public static float toFloat(short bits) {
    return Float.intBitsToFloat(bits << 16);
  }
}
