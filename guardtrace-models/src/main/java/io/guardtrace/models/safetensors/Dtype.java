package io.guardtrace.models.safetensors;

/** The safetensors element types this project reads, with their byte widths. */
public enum Dtype {
  F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

  private final int bytes;

  Dtype(int bytes) {
    this.bytes = bytes;
  }

  /** Bytes per element. */
  public int bytes() {
    return bytes;
  }

  /** Whether this is a floating-point type a model weight may be stored as. */
  public boolean isFloating() {
    return this == F64 || this == F32 || this == F16 || this == BF16;
  }
}
