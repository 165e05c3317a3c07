package io.guardtrace.models.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.ModelLoadException;
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
   */
  public long elementCount() {
    long n = 1;
    for (long d : shape) {
      n *= d;
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

  static TensorInfo fromHeader(Path file, String name, JsonNode node) {
    String where = "tensor '" + name + "' in " + file;
    JsonNode dt = node.get("dtype");
    JsonNode sh = node.get("shape");
    JsonNode off = node.get("data_offsets");
    if (dt == null || sh == null || off == null || !sh.isArray() || !off.isArray() || off.size() != 2) {
      throw new ModelLoadException(where + " has a malformed header entry: " + node);
    }
    Dtype dtype;
    try {
      dtype = Dtype.valueOf(dt.asText());
    } catch (IllegalArgumentException e) {
      throw new ModelLoadException(where + " has unsupported dtype " + dt.asText()
          + " (supported: F32, BF16, F16, F64 and integer types)");
    }
    long[] shape = new long[sh.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = sh.get(i).asLong(-1);
      if (shape[i] < 0) {
        throw new ModelLoadException(where + " has a negative dimension: " + sh);
      }
    }
    long begin = off.get(0).asLong(-1);
    long end = off.get(1).asLong(-1);
    TensorInfo info = new TensorInfo(name, dtype, shape, begin, end);
    if (begin < 0 || end < begin || info.byteSize() != info.elementCount() * dtype.bytes()) {
      throw new ModelLoadException(where + " has data offsets [" + begin + ", " + end + ") that do not match "
          + dtype + Arrays.toString(shape));
    }
    return info;
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
