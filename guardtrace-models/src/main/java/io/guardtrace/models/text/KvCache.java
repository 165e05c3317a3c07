package io.guardtrace.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.guardtrace.models.kernel.Bf16Matrix;
import org.jspecify.annotations.Nullable;

/**
 * Past keys and values of every decoder layer, pre-allocated for the whole request ({@code [kvHeads, capacity,
 * headDim]} per layer) and written in place, so a decode step copies only its own row instead of concatenating
 * the whole history. Owned by one request; not thread-safe.
 */
public final class KvCache implements AutoCloseable {
  private final NDArray[] keys;
  private final NDArray[] values;
  private int capacity;
  private int length;
  private final Allocator allocator;
  private final int kvHeads;
  private final int headDim;
  // the same memory seen by the Java decode kernels ((kvHeads * capacity, headDim) each), made on first use
  private Bf16Matrix @Nullable [] keyMatrices;
  private Bf16Matrix @Nullable [] valueMatrices;

  /** Creates zero tensors of a shape in the compute dtype. */
  @FunctionalInterface
  public interface Allocator {
    /**
     * A zero tensor on the cache's device and dtype.
     *
     * @param shape its shape
     * @return the tensor
     */
    NDArray zeros(Shape shape);
  }

  /**
   * Allocates a float32 (or {@code dtype}) cache for {@code layers} layers on {@code manager}'s device.
   *
   * @param manager the manager that owns the cache
   * @param layers decoder layers
   * @param kvHeads key/value heads
   * @param capacity positions allocated at first
   * @param headDim values per head
   * @param dtype the element type
   */
  public KvCache(NDManager manager, int layers, int kvHeads, int capacity, int headDim, DataType dtype) {
    this(shape -> manager.zeros(shape, dtype), layers, kvHeads, capacity, headDim);
  }

  /**
   * Allocates a cache with {@code allocator} (which decides device and dtype).
   *
   * @param allocator allocates the cache's tensors
   * @param layers decoder layers
   * @param kvHeads key/value heads
   * @param capacity positions allocated at first
   * @param headDim values per head
   */
  public KvCache(Allocator allocator, int layers, int kvHeads, int capacity, int headDim) {
    this.capacity = capacity;
    this.allocator = allocator;
    this.kvHeads = kvHeads;
    this.headDim = headDim;
    keys = new NDArray[layers];
    values = new NDArray[layers];
    Shape shape = new Shape(kvHeads, capacity, headDim);
    for (int i = 0; i < layers; i++) {
      keys[i] = allocator.zeros(shape);
      values[i] = allocator.zeros(shape);
    }
  }

  /** Every tensor of the cache (to keep them out of an enclosing scope). */
  ai.djl.ndarray.NDArray[] arrays() {
    ai.djl.ndarray.NDArray[] all = new ai.djl.ndarray.NDArray[keys.length * 2];
    System.arraycopy(keys, 0, all, 0, keys.length);
    System.arraycopy(values, 0, all, keys.length, values.length);
    return all;
  }

  /**
   * Tokens cached so far.
   *
   * @return tokens cached so far
   */
  public int length() {
    return length;
  }

  /**
   * Maximum tokens.
   *
   * @return the capacity in tokens
   */
  public int capacity() {
    return capacity;
  }

  /**
   * The whole key buffer of a layer ({@code [kvHeads, capacity, headDim]}): the fused decoder layer writes
   * positions {@code [length, length + L)} in place (after {@link #checkRoom}) and reads {@code [0, length + L)}.
   */
  NDArray keys(int layer) {
    return keys[layer];
  }

  /** The whole value buffer of a layer; see {@link #keys(int)}. */
  NDArray values(int layer) {
    return values[layer];
  }

  /**
   * Layer {@code layer}'s key buffer as a bf16 {@code (kvHeads * capacity, headDim)} matrix over the same
   * memory (for {@link VectorDecoder}; bf16 caches on the CPU only). Valid until the cache grows or closes.
   * {@link #prepareMatrices} must have run since the cache last grew.
   */
  Bf16Matrix keyMatrix(int layer) {
    return java.util.Objects.requireNonNull(keyMatrices, "prepareMatrices() first")[layer];
  }

  /** Layer {@code layer}'s value buffer; see {@link #keyMatrix}. */
  Bf16Matrix valueMatrix(int layer) {
    return java.util.Objects.requireNonNull(valueMatrices, "prepareMatrices() first")[layer];
  }

  /**
   * Makes the matrices of {@link #keyMatrix} and {@link #valueMatrix} (once per allocation), on the thread
   * that then hands them to the kernel threads.
   */
  void prepareMatrices() {
    if (keyMatrices != null) {
      return;
    }
    Bf16Matrix[] k = new Bf16Matrix[keys.length];
    Bf16Matrix[] v = new Bf16Matrix[values.length];
    for (int i = 0; i < keys.length; i++) {
      k[i] = alias(keys[i]);
      v[i] = alias(values[i]);
    }
    keyMatrices = k;
    valueMatrices = v;
  }

  private Bf16Matrix alias(NDArray buffer) {
    // the tensor's own memory (it is contiguous: made by zeros), not a copy
    return Bf16Matrix.of(JniUtils.getByteBuffer((PtNDArray) buffer, true), kvHeads * capacity, headDim);
  }

  /** Fails unless {@code l} more positions fit. */
  void checkRoom(int l) {
    if (length + l > capacity) {
      throw new IllegalStateException("KV cache full: " + length + " + " + l + " > " + capacity);
    }
  }

  /** Keys of layer for positions {@code [0, upTo)}: a view. */
  NDArray keys(int layer, int upTo) {
    return keys[layer].get(new NDIndex(":, 0:{}, :", upTo));
  }

  /** Values of layer for positions {@code [0, upTo)}: a view. */
  NDArray values(int layer, int upTo) {
    return values[layer].get(new NDIndex(":, 0:{}, :", upTo));
  }

  /** Marks {@code l} more positions as filled (after every layer has written them). */
  void advance(int l) {
    length += l;
  }

  /**
   * Copies the first {@code prefix.length()} positions of every layer from {@code prefix} (a cache of a shared
   * prompt prefix) and continues after them. Only valid on an empty cache of the same shape.
   *
   * @param prefix a cache of a shared prompt prefix
   */
  public void loadPrefix(KvCache prefix) {
    if (length != 0 || prefix.keys.length != keys.length || prefix.length > capacity) {
      throw new IllegalStateException("cannot load a prefix of " + prefix.length + " into this cache");
    }
    NDIndex at = new NDIndex(":, 0:{}, :", prefix.length);
    for (int i = 0; i < keys.length; i++) {
      try (NDArray k = prefix.keys(i, prefix.length);
          NDArray v = prefix.values(i, prefix.length)) {
        keys[i].set(at, k);
        values[i].set(at, v);
      }
    }
    length = prefix.length;
  }

  /**
   * Grows the cache to hold at least {@code needed} positions, keeping its content (a copy into a larger
   * allocation, amortised by doubling).
   *
   * @param needed the positions to hold
   */
  public void ensureCapacity(int needed) {
    if (needed <= capacity) {
      return;
    }
    int grown = Math.max(needed, capacity * 2);
    for (int i = 0; i < keys.length; i++) {
      keys[i] = grow(keys[i], grown);
      values[i] = grow(values[i], grown);
    }
    capacity = grown;
    keyMatrices = null;
    valueMatrices = null;
  }

  private NDArray grow(NDArray old, int grown) {
    Shape s = old.getShape();
    NDArray bigger = allocator.zeros(new Shape(s.get(0), grown, s.get(2)));
    if (length > 0) {
      try (NDArray filled = old.get(new NDIndex(":, 0:{}, :", length))) {
        bigger.set(new NDIndex(":, 0:{}, :", length), filled);
      }
    }
    old.close();
    return bigger;
  }

  /**
   * Forgets everything after {@code newLength} (the data stays and is overwritten later).
   *
   * @param newLength the positions to keep
   */
  public void truncate(int newLength) {
    if (newLength < 0 || newLength > length) {
      throw new IllegalArgumentException("cannot truncate cache of length " + length + " to " + newLength);
    }
    length = newLength;
  }

  @Override
  public void close() {
    for (int i = 0; i < keys.length; i++) {
      keys[i].close();
      values[i].close();
    }
  }
}
