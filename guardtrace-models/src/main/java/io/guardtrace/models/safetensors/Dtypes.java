package io.guardtrace.models.safetensors;

import io.guardtrace.ModelLoadException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;

/** Conversions of raw little-endian tensor bytes to Java arrays. */
public final class Dtypes {
  private Dtypes() {}

  /**
   * bfloat16 bits to float: the 16 bits are the high half of a float32. Exact.
   *
   * @param bits bfloat16 bits
   * @return the value
   */
  public static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  /**
   * IEEE half-precision bits to float (Java 17 has no Float.float16ToFloat). Exact.
   *
   * @param half half-precision bits
   * @return the value
   */
  public static float f16ToFloat(short half) {
    int h = half & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /**
   * float to bfloat16 bits with round-to-nearest-even, as torch's {@code .to(torch.bfloat16)} does.
   *
   * @param f a float
   * @return its bfloat16 bits
   */
  public static short floatToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) 0x7fc0;
    }
    int rounding = 0x7fff + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }

  /**
   * Widens a floating tensor's bytes to float32.
   *
   * @param dtype the tensor's floating type
   * @param raw its bytes, little-endian
   * @param name the tensor's name, for messages
   * @return the values
   */
  public static float[] toFloats(Dtype dtype, ByteBuffer raw, String name) {
    ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int n;
    switch (dtype) {
      case F32 -> {
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
      }
      case BF16 -> {
        n = b.remaining() / 2;
        float[] out = new float[n];
        ShortBuffer s = b.asShortBuffer();
        for (int i = 0; i < n; i++) {
          out[i] = bf16ToFloat(s.get(i));
        }
        return out;
      }
      case F16 -> {
        n = b.remaining() / 2;
        float[] out = new float[n];
        ShortBuffer s = b.asShortBuffer();
        for (int i = 0; i < n; i++) {
          out[i] = f16ToFloat(s.get(i));
        }
        return out;
      }
      case F64 -> {
        n = b.remaining() / 8;
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
          out[i] = (float) b.getDouble(i * 8);
        }
        return out;
      }
      default -> throw new ModelLoadException("tensor '" + name + "' has dtype " + dtype
          + " where a floating-point type (F32, BF16, F16) was expected");
    }
  }

  /**
   * Widens an integer tensor's bytes to int64.
   *
   * @param dtype the tensor's integer type
   * @param raw its bytes, little-endian
   * @param name the tensor's name, for messages
   * @return the values
   */
  public static long[] toLongs(Dtype dtype, ByteBuffer raw, String name) {
    ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int n = b.remaining() / dtype.bytes();
    long[] out = new long[n];
    switch (dtype) {
      case I64 -> b.asLongBuffer().get(out);
      case I32 -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.getInt(i * 4);
        }
      }
      case I16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.getShort(i * 2);
        }
      }
      case I8 -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.get(i);
        }
      }
      case U8, BOOL -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.get(i) & 0xff;
        }
      }
      default -> throw new ModelLoadException("tensor '" + name + "' has dtype " + dtype
          + " where an integer type was expected");
    }
    return out;
  }
}
