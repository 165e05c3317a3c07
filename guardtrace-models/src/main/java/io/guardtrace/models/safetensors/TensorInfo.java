package io.guardtrace.models.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.config.Untrusted;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor's entry in a safetensors header.
 *
 * @param name the tensor name
 * @param dtype the element type
 * @param shape the shape (empty for a scalar)
 * @param begin first byte, relative to the data section
 * @param end one past the last byte, relative to the data section
 */
public record TensorInfo(String name, Dtype dtype, long[] shape, long begin, long end) {

  /**
   * The number of elements.
   *
   * @return the number of elements
   * @throws ArithmeticException when it overflows a long (never for an entry read by {@link #fromHeader})
   */
  public long elementCount() {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /**
   * The number of bytes.
   *
   * @return the number of bytes
   */
  public long byteSize() {
    return end - begin;
  }

  /**
   * The shape as ints (every dimension of a real checkpoint fits).
   *
   * @return the shape
   */
  public int[] intShape() {
    int[] s = new int[shape.length];
    for (int i = 0; i < shape.length; i++) {
      s[i] = Math.toIntExact(shape[i]);
    }
    return s;
  }

  /**
   * Reads and checks one header entry: an object with a known {@code dtype}, a {@code shape} of non-negative
   * JSON integers whose product (times the element width) fits a long, and {@code data_offsets} of two
   * non-negative JSON integers {@code [begin, end]} spanning exactly that many bytes.
   *
   * @throws ModelLoadException naming the file and the tensor; never echoing the entry
   */
  static TensorInfo fromHeader(Path file, String name, JsonNode node) {
    String where = "tensor " + Untrusted.quote(name) + " in " + file;
    if (!node.isObject()) {
      throw new ModelLoadException(where + " has a header entry that is not an object");
    }
    JsonNode dt = node.get("dtype");
    JsonNode sh = node.get("shape");
    JsonNode off = node.get("data_offsets");
    if (dt == null || sh == null || off == null) {
      throw new ModelLoadException(where + " has a header entry without dtype, shape or data_offsets");
    }
    Dtype dtype = dtype(where, dt);
    if (!sh.isArray()) {
      throw new ModelLoadException(where + " has a shape that is not a list");
    }
    long[] shape = new long[sh.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = wholeNumber(sh.get(i), where + " has dimension " + i + " that is not a non-negative whole number");
    }
    if (!off.isArray() || off.size() != 2) {
      throw new ModelLoadException(where + " has data_offsets that are not a pair [begin, end]");
    }
    long begin = wholeNumber(off.get(0), where + " has data_offsets that are not non-negative whole numbers");
    long end = wholeNumber(off.get(1), where + " has data_offsets that are not non-negative whole numbers");
    if (end < begin) {
      throw new ModelLoadException(where + " has data_offsets [" + begin + ", " + end + "] that end before they begin");
    }
    long bytes;
    try {
      long elements = 1;
      for (long d : shape) {
        elements = Math.multiplyExact(elements, d);
      }
      bytes = Math.multiplyExact(elements, dtype.bytes());
    } catch (ArithmeticException e) {
      throw new ModelLoadException(where + " has a shape " + Arrays.toString(shape) + " whose size overflows");
    }
    if (end - begin != bytes) {
      throw new ModelLoadException(where + " has data offsets [" + begin + ", " + end + ") that do not match "
          + dtype + Arrays.toString(shape) + " (" + bytes + " bytes)");
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  private static Dtype dtype(String where, JsonNode dt) {
    String text = dt.isTextual() ? dt.asText() : "";
    for (Dtype d : Dtype.values()) {
      if (d.name().equals(text)) {
        return d;
      }
    }
    throw new ModelLoadException(where + " has unsupported dtype "
        + (dt.isTextual() ? Untrusted.quote(text) : "(not a string)")
        + " (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
  }

  /** A JSON integer from 0 to Long.MAX_VALUE ({@code 2.0}, {@code "2"} and {@code true} are not). */
  private static long wholeNumber(JsonNode v, String problem) {
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
      throw new ModelLoadException(problem);
    }
    return v.asLong();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype
        && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + ":" + dtype + Arrays.toString(shape);
  }
}
