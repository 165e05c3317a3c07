package io.guardtrace.models.weights;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.safetensors.TensorInfo;

/**
 * Creates weight tensors on one device in one compute precision and provides the few precision-sensitive
 * operations (RMSNorm, softmax, casts) the towers share, so the model code reads the same in float32 and
 * bfloat16. Owns the weights' native memory: {@link #close()} frees every tensor it created.
 */
public final class TensorLoader implements AutoCloseable {
  private final NDManager manager;
  private final Precision precision;

  /** Compute precisions. */
  public enum Precision {
    /** Everything in float32: the reference's float32 results to ~1e-6. */
    FLOAT32,
    /** Weights and matrix multiplies in bfloat16, norms and softmax in float32. */
    BFLOAT16
  }

  /** A loader placing weights on {@code device} in {@code precision}. */
  public TensorLoader(Device device, Precision precision) {
    if (precision != Precision.FLOAT32) {
      throw new ModelLoadException("bfloat16 compute is not available in this build; use dtype float32");
    }
    this.manager = NDManager.newBaseManager(device, "PyTorch");
    this.manager.setName("guardtrace-weights");
    this.precision = precision;
  }

  /** The device weights live on. */
  public Device device() {
    return manager.getDevice();
  }

  /** The manager owning the weights (requests should use their own sub-managers). */
  public NDManager manager() {
    return manager;
  }

  /** The activations' data type. */
  public DataType computeType() {
    return DataType.FLOAT32;
  }

  /** The compute precision. */
  public Precision precision() {
    return precision;
  }

  /** Loads {@code name}, checking it has {@code shape}. */
  public NDArray load(WeightStore store, String name, long... shape) {
    TensorInfo info = store.requireShape(name, shape);
    requireFloating(info);
    float[] data = store.floats(name);
    NDArray a = manager.create(data, new Shape(shape));
    a.setName(name);
    return a;
  }

  /** Loads a norm weight (kept in float32 in both precisions). */
  public NDArray loadNorm(WeightStore store, String name, long size) {
    return load(store, name, size);
  }

  /** Loads several tensors and concatenates them along axis 0 (fused projections). */
  public NDArray loadConcat(WeightStore store, String[] names, long[][] shapes) {
    NDList parts = new NDList();
    try {
      for (int i = 0; i < names.length; i++) {
        parts.add(load(store, names[i], shapes[i]));
      }
      NDArray out = NDArrays.concat(parts, 0);
      out.setName(String.join("+", names));
      return out;
    } finally {
      parts.close();
    }
  }

  private static void requireFloating(TensorInfo info) {
    if (!info.dtype().isFloating()) {
      throw new ModelLoadException("tensor '" + info.name() + "' has dtype " + info.dtype()
          + "; weights must be F32, BF16 or F16");
    }
  }

  /**
   * Qwen2RMSNorm: {@code weight * (x * rsqrt(mean(x^2) + eps))}, the normalisation in float32.
   */
  public NDArray rmsNorm(NDArray x, NDArray weight, float eps) {
    NDArray sq = x.square();
    NDArray mean = sq.mean(new int[] {-1}, true);
    sq.close();
    NDArray inv = mean.addi(eps).powi(-0.5f);
    NDArray normed = x.mul(inv);
    inv.close();
    return normed.muli(weight);
  }

  /** Softmax over {@code axis} computed in float32, returned in the compute type. */
  public NDArray softmaxFloat32(NDArray x, int axis) {
    return x.softmax(axis);
  }

  /** {@code x} as float32 (closing {@code x} if a copy was made). */
  public NDArray toFloat32(NDArray x) {
    return x;
  }

  /** A float32 array converted to the compute type (closing the input if converted). */
  public NDArray toCompute(NDArray x) {
    return x;
  }

  @Override
  public void close() {
    manager.close();
  }
}
