package io.guardtrace.models.weights;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.safetensors.Dtype;
import io.guardtrace.models.safetensors.Dtypes;
import io.guardtrace.models.safetensors.TensorInfo;
import io.guardtrace.models.torch.TorchOps;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Creates weight tensors on one device in one compute precision and provides the precision-sensitive
 * operations the towers share (RMSNorm, rotary, attention, SwiGLU, GELU, casts), so the model code reads the
 * same in float32 and bfloat16. Owns the weights' native memory: {@link #close()} frees every tensor it
 * created.
 *
 * <p>Loading never keeps Java memory: DJL wraps a direct buffer it is given (and keeps it referenced), so each
 * tensor is staged in a reusable direct buffer (bf16 and f16 widened to f32, f32 read from the memory map),
 * wrapped, and immediately copied into memory owned by libtorch ({@code duplicate}, or the cast to bfloat16).
 * bf16 weights loaded in bf16 on the CPU skip the staging: the mapped bytes are copied into the tensor's memory.
 *
 * <p>In bfloat16, weights and activations are bfloat16 and every step that DJL 0.36 cannot run on bfloat16 goes
 * through {@link TorchOps}; norms, softmax and the vision rotary are computed in float32 as the reference does.
 */
public final class TensorLoader implements AutoCloseable {
  private final NDManager manager;
  private final Precision precision;
  private final @Nullable TorchOps ops;
  private final List<AutoCloseable> owned = new ArrayList<>();
  private @Nullable ByteBuffer staging;

  /** Compute precisions. */
  public enum Precision {
    /** Everything in float32: the reference's float32 results to ~1e-6. */
    FLOAT32,
    /** Weights, activations and matrix multiplies in bfloat16; norms and softmax in float32. */
    BFLOAT16
  }

  /**
   * A loader placing weights on {@code device} in {@code precision}.
   *
   * @param device where weights are placed
   * @param precision the compute precision
   */
  public TensorLoader(Device device, Precision precision) {
    this.manager = NDManager.newBaseManager(device, "PyTorch");
    this.manager.setName("guardtrace-weights");
    this.precision = precision;
    this.ops = precision == Precision.BFLOAT16 ? TorchOps.on(device) : null;
  }

  /**
   * The device weights live on.
   *
   * @return the device weights live on
   */
  public Device device() {
    return manager.getDevice();
  }

  /**
   * The manager owning the weights (requests should use their own managers).
   *
   * @return the manager
   */
  public NDManager manager() {
    return manager;
  }

  /**
   * The compute precision.
   *
   * @return the compute precision
   */
  public Precision precision() {
    return precision;
  }

  /**
   * The activations' data type (DJL reports bfloat16 tensors as UNKNOWN).
   *
   * @return the data type
   */
  public DataType computeType() {
    return precision == Precision.BFLOAT16 ? DataType.UNKNOWN : DataType.FLOAT32;
  }

  /**
   * Loads {@code name}, checking it has {@code shape}, in the compute precision.
   *
   * @param store the checkpoint
   * @param name the tensor's full name
   * @param shape its expected shape
   * @return the tensor
   */
  public NDArray load(WeightStore store, String name, long... shape) {
    TensorInfo info = store.requireShape(name, shape);
    if (!info.dtype().isFloating()) {
      throw new ModelLoadException("tensor '" + info.name() + "' has dtype " + info.dtype()
          + "; weights must be F32, BF16 or F16");
    }
    if (ops != null && info.dtype() == Dtype.BF16 && Device.Type.CPU.equals(device().getDeviceType())) {
      // bf16 into bf16 on the CPU: the mapped bytes copied straight into a bf16 tensor's memory (DJL can
      // neither create nor wrap bf16 itself), with no float32 staging
      NDArray owned;
      try (NDArray like = manager.zeros(new Shape(1), DataType.FLOAT32)) {
        owned = ops.zerosBf16(shape, like);
      }
      JniUtils.getByteBuffer((PtNDArray) owned, true).put(store.buffer(name));
      owned.setName(name);
      return owned;
    }
    ByteBuffer data = stage(store, info);
    NDArray wrapped = manager.create(data, new Shape(shape), DataType.FLOAT32);
    NDArray owned = ops != null ? ops.toBf16(wrapped) : wrapped.duplicate();
    wrapped.close();
    owned.setName(name);
    return owned;
  }

  /**
   * Loads a norm weight (in the compute precision, as the reference keeps it).
   *
   * @param store the checkpoint
   * @param name the tensor's full name
   * @param size its expected length
   * @return the tensor
   */
  public NDArray loadNorm(WeightStore store, String name, long size) {
    return load(store, name, size);
  }

  /**
   * Loads several tensors and concatenates them along axis 0 (fused projections).
   *
   * @param store the checkpoint
   * @param names the tensors' full names
   * @param shapes their expected shapes
   * @return the concatenation
   */
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

  /** The tensor as little-endian float32 in a direct buffer: the memory map itself for F32. */
  private ByteBuffer stage(WeightStore store, TensorInfo info) {
    ByteBuffer raw = store.buffer(info.name());
    if (info.dtype() == Dtype.F32) {
      return raw.order(ByteOrder.LITTLE_ENDIAN);
    }
    long n = info.elementCount();
    if (staging == null || staging.capacity() < n * 4) {
      staging = ByteBuffer.allocateDirect(Math.toIntExact(n * 4)).order(ByteOrder.LITTLE_ENDIAN);
    }
    ByteBuffer out = staging.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    out.clear().limit((int) (n * 4));
    ShortBuffer s = raw.order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
    switch (info.dtype()) {
      case BF16 -> {
        // bulk, in chunks: a bf16 value is the high half of the float32 with the same bits
        IntBuffer dst = out.asIntBuffer();
        short[] in = new short[1 << 16];
        int[] bits = new int[1 << 16];
        for (long i = 0; i < n; i += in.length) {
          int len = (int) Math.min(in.length, n - i);
          s.get(in, 0, len);
          for (int j = 0; j < len; j++) {
            bits[j] = in[j] << 16;
          }
          dst.put(bits, 0, len);
        }
      }
      case F16 -> {
        for (int i = 0; i < n; i++) {
          out.putFloat(i * 4, Dtypes.f16ToFloat(s.get(i)));
        }
      }
      case F64 -> {
        for (int i = 0; i < n; i++) {
          out.putFloat(i * 4, (float) raw.order(ByteOrder.LITTLE_ENDIAN).getDouble(i * 8));
        }
      }
      default -> throw new ModelLoadException("tensor '" + info.name() + "' has unsupported dtype " + info.dtype());
    }
    return out;
  }

  /**
   * {@code weight} prepared for the decoder's matrix products: on a CPU in bfloat16, repacked once into
   * oneDNN's blocked layout ({@code weight} is then closed) so oneDNN does not re-lay it out on every call;
   * elsewhere {@code weight} itself. Only for weights passed to {@link TorchOps#decoderLayer}, the one consumer
   * that understands the packed layout. {@code -Dguardtrace.packedWeights=false} turns it off (for A/B runs;
   * figures in docs/performance.md).
   *
   * @param weight a linear weight
   * @return the prepared weight
   */
  public NDArray forDecoderLinear(NDArray weight) {
    if (ops == null || !Device.Type.CPU.equals(manager.getDevice().getDeviceType())
        || "false".equals(System.getProperty("guardtrace.packedWeights"))) {
      return weight;
    }
    NDArray packed = ops.packLinear(weight);
    packed.setName(weight.getName());
    weight.close();
    return packed;
  }

  /**
   * The TorchScript helpers on this loader's device (also in float32: the fused decoder layer).
   *
   * @return the helpers
   */
  public TorchOps torch() {
    return ops != null ? ops : TorchOps.on(manager.getDevice());
  }

  /**
   * Makes {@code resource}, a native object built from this loader's weights that holds references of its own
   * to them (such as a {@link TorchOps.TensorList}), part of what {@link #close()} frees. So a model whose
   * loading fails part-way frees everything by closing its loaders; closing such a resource twice is harmless.
   *
   * @param <T> the resource's type
   * @param resource the resource
   * @return {@code resource}
   */
  public synchronized <T extends AutoCloseable> T own(T resource) {
    owned.add(resource);
    return resource;
  }

  /** Frees the staging buffer once every weight is loaded. */
  public void finishLoading() {
    staging = null;
  }

  /**
   * Qwen2RMSNorm: {@code weight * (x * rsqrt(mean(x^2) + eps))}, normalised in float32.
   *
   * @param x the input
   * @param weight the norm weight
   * @param eps added to the mean square
   * @return the normalised input
   */
  public NDArray rmsNorm(NDArray x, NDArray weight, float eps) {
    if (ops != null) {
      return ops.rmsNorm(x, weight, eps);
    }
    NDArray sq = x.square();
    NDArray mean = sq.mean(new int[] {-1}, true);
    sq.close();
    NDArray inv = mean.addi(eps).powi(-0.5f);
    NDArray normed = x.mul(inv);
    inv.close();
    return normed.muli(weight);
  }

  /** {@code x * cos + rotate_half(x) * sin} with DJL's own ops, in float32. */
  private static NDArray rotateFloat32(NDArray x, NDArray cos, NDArray sin) {
    long half = x.getShape().get(x.getShape().dimension() - 1) / 2;
    NDArray x1 = x.get("..., 0:{}", half);
    NDArray x2 = x.get("..., {}:", half);
    NDArray neg = x2.neg();
    NDArray rotated = neg.concat(x1, -1);
    NDArray out = x.mul(cos).addi(rotated.muli(sin));
    x1.close();
    x2.close();
    neg.close();
    rotated.close();
    return out;
  }

  /**
   * The rotary computed in float32 and cast back (the vision tower's).
   *
   * @param x the input
   * @param cos rotary cosines
   * @param sin rotary sines
   * @return the rotated input
   */
  public NDArray rotateInFloat32(NDArray x, NDArray cos, NDArray sin) {
    return ops != null ? ops.rotateF32(x, cos, sin) : rotateFloat32(x, cos, sin);
  }

  /**
   * Eager attention {@code softmax_f32(q k^T * scale + mask) v} over the last two dims, cast back to the
   * compute dtype. {@code mask} is additive and broadcast, or null.
   *
   * @param q queries
   * @param k keys
   * @param v values
   * @param mask added to the scores, or null
   * @param scale multiplies the scores
   * @return the attention output
   */
  public NDArray attention(NDArray q, NDArray k, NDArray v, @Nullable NDArray mask, float scale) {
    if (ops != null) {
      return mask == null ? ops.attention(q, k, v, scale) : ops.attention(q, k, v, mask, scale);
    }
    int d = k.getShape().dimension();
    int[] axes = new int[d];
    for (int i = 0; i < d; i++) {
      axes[i] = i;
    }
    axes[d - 1] = d - 2;
    axes[d - 2] = d - 1;
    NDArray kt = k.transpose(axes);
    NDArray scores = q.matMul(kt).muli(scale);
    kt.close();
    if (mask != null) {
      scores.addi(mask);
    }
    NDArray probs = scores.softmax(-1);
    scores.close();
    NDArray out = probs.matMul(v);
    probs.close();
    return out;
  }

  /**
   * {@code silu(gate) * up}.
   *
   * @param gate the gate projection
   * @param up the up projection
   * @return the product
   */
  public NDArray siluMul(NDArray gate, NDArray up) {
    if (ops != null) {
      return ops.siluMul(gate, up);
    }
    return Activation.swish(gate, 1f).muli(up);
  }

  /**
   * Exact (erf) GELU.
   *
   * @param x the input
   * @return GELU of the input
   */
  public NDArray gelu(NDArray x) {
    return ops != null ? ops.gelu(x) : Activation.gelu(x);
  }

  /**
   * {@code x} as float32 (a new array in bfloat16, {@code x} itself in float32).
   *
   * @param x a tensor in the compute dtype
   * @return it as float32
   */
  public NDArray toFloat32(NDArray x) {
    return ops != null ? ops.toF32(x) : x;
  }

  /**
   * A float32 array in the compute dtype (a new array in bfloat16, {@code x} itself in float32).
   *
   * @param x a float32 tensor
   * @return it in the compute dtype
   */
  public NDArray toCompute(NDArray x) {
    return ops != null ? ops.toBf16(x) : x;
  }

  /**
   * Zeros of {@code shape} in the compute dtype on {@code manager}.
   *
   * @param target the manager that owns the result
   * @param shape the shape
   * @return the zeros
   */
  public NDArray zeros(NDManager target, Shape shape) {
    if (ops == null) {
      return target.zeros(shape, DataType.FLOAT32);
    }
    try (NDArray like = target.zeros(new Shape(1), DataType.FLOAT32);
        NDArray inference = ops.zerosBf16(shape.getShape(), like)) {
      // TorchScript returns inference tensors, which refuse in-place writes: a clone made here is a normal one
      return inference.duplicate();
    }
  }

  /** Frees every weight this loader created and every resource it {@linkplain #own owns}. Idempotent. */
  @Override
  public void close() {
    List<AutoCloseable> resources;
    synchronized (this) {
      resources = new ArrayList<>(owned);
      owned.clear();
      staging = null;
    }
    RuntimeException failure = null;
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        failure = failure == null ? new IllegalStateException("cannot free a loaded weight", e) : failure;
      }
    }
    manager.close();
    if (failure != null) {
      throw failure;
    }
  }
}
