package io.guardtrace.models.safetensors;

/** The safetensors element types this project reads, with their byte widths. */
public enum Dtype {
  /** 64-bit float. */
  F64(8),
  /** 32-bit float. */
  F32(4),
  /** IEEE half precision. */
  F16(2),
  /** bfloat16. */
  BF16(2),
  /** 64-bit integer. */
  I64(8),
  /** 32-bit integer. */
  I32(4),
  /** 16-bit integer. */
  I16(2),
  /** 8-bit integer. */
  I8(1),
  /** Unsigned byte. */
  U8(1),
  /** Boolean, one byte. */
  BOOL(1);

  private final int bytes;

  Dtype(int bytes) {
    this.bytes = bytes;
  }

  /**
   * Bytes per element.
   *
   * @return bytes per element
   */
  public int bytes() {
    return bytes;
  }

  /**
   * Whether this is a floating-point type a model weight may be stored as.
   *
   * @return whether it is a floating-point type
   */
  public boolean isFloating() {
    return this == F64 || this == F32 || this == F16 || this == BF16;
  }
}
