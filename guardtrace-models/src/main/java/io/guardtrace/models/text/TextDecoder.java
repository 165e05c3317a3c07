package io.guardtrace.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.CpuFlags;
import io.guardtrace.models.config.TextConfig;
import io.guardtrace.models.kernel.Bf16Matrix;
import io.guardtrace.models.kernel.Int8Matrix;
import io.guardtrace.models.kernel.KernelThreads;
import io.guardtrace.models.kernel.RowMatrix;
import io.guardtrace.models.kernel.VectorKernels;
import io.guardtrace.models.torch.TorchOps;
import io.guardtrace.models.weights.TensorLoader;
import io.guardtrace.models.weights.WeightStore;
import org.jspecify.annotations.Nullable;

/**
 * The Qwen2.5-VL language model ({@code Qwen2_5_VLTextModel} + tied or separate {@code lm_head} in transformers'
 * modeling_qwen2_5_vl.py) on DJL: pre-RMSNorm decoder layers with grouped-query attention (q/k/v biases,
 * multimodal rotary embedding, causal mask) and a SwiGLU MLP, a final RMSNorm and the output head.
 *
 * <p>Weights are loaded once (q/k/v and gate/up fused into single matrices so each layer runs two matrix
 * multiplies fewer) and shared read-only by every request; {@link #forward} is thread-safe as long as each
 * caller brings its own {@link KvCache}.
 *
 * <p>Prefill always runs on libtorch (one TorchScript call per layer). Single-token decode steps in bfloat16 on
 * the CPU run on guardtrace's Java Vector API kernels ({@link VectorDecoder}) when {@link VectorKernels} says
 * they can: they read the same weight tensors in place, at close to the memory bandwidth. Elsewhere decode
 * steps run the same TorchScript layer as prefill.
 *
 * <p>With int8 decode weights (opt-in) the Java decode step reads int8 copies of the linear layers and the
 * output head, quantised per output row at load ({@link Int8Matrix}); prefill keeps the bf16 weights.
 */
public final class TextDecoder implements AutoCloseable {
  private final TextConfig cfg;
  private final TensorLoader loader;
  private final NDArray embed; // (vocab, hidden)
  private final NDArray lmHead; // (vocab, hidden); the embedding when tied
  private final NDArray finalNorm; // (hidden)
  private final TorchOps.TensorList[] layers; // each layer's weights, one list per layer
  private final TorchOps ops;
  private final @Nullable VectorDecoder vector;
  private final boolean int8Decode;
  private long quantizeNanos; // time spent quantising to int8 during the load

  /**
   * Loads the decoder's weights from {@code store} with {@code loader} (which decides device and dtype).
   *
   * @param cfg the text model's configuration
   * @param store the checkpoint
   * @param loader places weights on a device in a precision
   */
  public TextDecoder(TextConfig cfg, WeightStore store, TensorLoader loader) {
    this(cfg, store, loader, false);
  }

  /**
   * Loads the decoder's weights, and with {@code int8Decode} int8 copies of its linear layers and output head
   * for the Java decode step: about half the bytes per decode step, at half the bf16 weights' memory more.
   *
   * @param cfg the text model's configuration
   * @param store the checkpoint
   * @param loader places weights on a device in a precision
   * @param int8Decode whether decode steps read int8 weights
   * @throws ModelLoadException when int8 weights are asked for where the Java decode step cannot run (not
   *     bfloat16 on the CPU with the Vector API: {@link VectorKernels})
   */
  public TextDecoder(TextConfig cfg, WeightStore store, TensorLoader loader, boolean int8Decode) {
    this.cfg = cfg;
    this.loader = loader;
    this.int8Decode = int8Decode;
    // the Java kernels read plain row-major bf16 weights, so oneDNN's packed layout is not used with them
    boolean javaDecode = loader.precision() == TensorLoader.Precision.BFLOAT16
        && ai.djl.Device.Type.CPU.equals(loader.device().getDeviceType()) && VectorKernels.available();
    if (int8Decode && !javaDecode) {
      throw new ModelLoadException("int8 decode weights run on guardtrace's Java kernels, which need bfloat16 on "
          + "the CPU (here " + loader.precision() + " on " + loader.device() + ") and the Vector API ("
          + VectorKernels.describe() + ")");
    }
    int h = cfg.hiddenSize();
    int hd = cfg.headDim();
    int qDim = cfg.numHeads() * hd;
    int kvDim = cfg.numKvHeads() * hd;
    embed = loader.load(store, store.text("embed_tokens.weight"), cfg.vocabSize(), h);
    String head = store.lmHead();
    if (head != null) {
      // newer checkpoints store lm_head.weight even when it is tied; it then equals the embedding
      lmHead = loader.load(store, head, cfg.vocabSize(), h);
    } else if (cfg.tieWordEmbeddings()) {
      lmHead = embed;
    } else {
      throw new io.guardtrace.ModelLoadException("lm_head.weight is missing from the weights in " + store.dir()
          + " and config.json does not tie it to the embedding (tie_word_embeddings is false)");
    }
    finalNorm = loader.loadNorm(store, store.text("norm.weight"), h);
    layers = new TorchOps.TensorList[cfg.numLayers()];
    VectorDecoder.Layer[] vectorLayers = javaDecode ? new VectorDecoder.Layer[layers.length] : null;
    int threads = Math.max(1, JniUtils.getNumThreads());
    // With int8 decode weights the bf16 matrices serve prefill only, so where oneDNN's packed layout makes
    // prefill faster (AMX: 0.85-0.92x the plain layout's time) they take it; on an AMD EPYC without AMX the
    // plain layout was the faster one (docs/performance.md).
    boolean packForPrefill = int8Decode && CpuFlags.amx();
    // each layer's weights in make_ops.py decoder_layer's order: input norm, q/k/v weight, q/k/v bias, o_proj,
    // post-attention norm, gate/up, down_proj
    NDArray[][] weights = new NDArray[layers.length][];
    for (int i = 0; i < layers.length; i++) {
      String p = "layers." + i + ".";
      NDArray qkvW = loader.loadConcat(store, new String[] {
          store.text(p + "self_attn.q_proj.weight"), store.text(p + "self_attn.k_proj.weight"),
          store.text(p + "self_attn.v_proj.weight")}, new long[][] {{qDim, h}, {kvDim, h}, {kvDim, h}});
      NDArray qkvB = loader.loadConcat(store, new String[] {
          store.text(p + "self_attn.q_proj.bias"), store.text(p + "self_attn.k_proj.bias"),
          store.text(p + "self_attn.v_proj.bias")}, new long[][] {{qDim}, {kvDim}, {kvDim}});
      NDArray gateUp = loader.loadConcat(store, new String[] {
          store.text(p + "mlp.gate_proj.weight"), store.text(p + "mlp.up_proj.weight")},
          new long[][] {{cfg.intermediateSize(), h}, {cfg.intermediateSize(), h}});
      weights[i] = new NDArray[] {
          loader.loadNorm(store, store.text(p + "input_layernorm.weight"), h), // (hidden)
          qkvW, // ((heads + 2 * kvHeads) * headDim, hidden)
          qkvB, // ((heads + 2 * kvHeads) * headDim)
          loader.load(store, store.text(p + "self_attn.o_proj.weight"), h, qDim), // (hidden, heads * headDim)
          loader.loadNorm(store, store.text(p + "post_attention_layernorm.weight"), h), // (hidden)
          gateUp, // (2 * intermediate, hidden)
          loader.load(store, store.text(p + "mlp.down_proj.weight"), h, cfg.intermediateSize())}; // (hidden, inter)
    }
    // every weight is loaded before any is quantised, and quantised before any is packed: libtorch's and the
    // quantiser's threads then take turns on the cores twice, not four times per layer (libtorch's OpenMP threads
    // spin after each of their loops, which slowed an interleaved int8 load by seconds on 2 cores)
    if (vectorLayers != null) {
      try (KernelThreads quantizer = int8Decode ? new KernelThreads(threads, "guardtrace-quantize") : null) {
        for (int i = 0; i < layers.length; i++) {
          NDArray[] w = weights[i];
          vectorLayers[i] = new VectorDecoder.Layer(values(w[0]), decodeMatrix(w[1], quantizer), values(w[2]),
              decodeMatrix(w[3], quantizer), values(w[4]), decodeMatrix(w[5], quantizer),
              decodeMatrix(w[6], quantizer));
        }
        vector = new VectorDecoder(cfg, matrix(embed), decodeMatrix(lmHead, quantizer), values(finalNorm),
            vectorLayers, threads);
      }
    } else {
      vector = null;
    }
    for (int i = 0; i < layers.length; i++) {
      NDArray[] w = weights[i];
      if (vectorLayers == null || packForPrefill) {
        for (int k : new int[] {1, 3, 5, 6}) {
          w[k] = loader.forDecoderLinear(w[k]); // oneDNN's packed layout where it pays (TensorLoader)
        }
      }
      // the loader owns the list too, so a load failing at a later layer frees this one with the loader
      layers[i] = loader.own(new TorchOps.TensorList(w));
    }
    ops = loader.torch();
  }

  /**
   * What the Java decode step reads for a linear weight: the bf16 tensor in place, or with int8 decode weights
   * ({@code quantizer} not null) an int8 tensor of the same shape, owned by the loader, quantised from it now
   * with rows split across the quantizer's threads.
   */
  private RowMatrix decodeMatrix(NDArray weight, @Nullable KernelThreads quantizer) {
    Bf16Matrix bf16 = matrix(weight);
    if (quantizer == null) {
      return bf16;
    }
    // uninitialised: the quantising threads write (and so first touch) every page
    NDArray bytes = loader.manager().create(weight.getShape(), DataType.INT8);
    Int8Matrix int8 = Int8Matrix.over(JniUtils.getByteBuffer((PtNDArray) bytes, true), bf16.rows(), bf16.cols());
    int rows = bf16.rows();
    int rowsPerChunk = 256;
    long start = System.nanoTime();
    quantizer.run((rows + rowsPerChunk - 1) / rowsPerChunk,
        (c, worker) -> int8.quantize(bf16, c * rowsPerChunk, Math.min(rows, (c + 1) * rowsPerChunk)));
    quantizeNanos += System.nanoTime() - start;
    return int8;
  }

  /** A bf16 weight's memory as a kernel matrix (the tensor is contiguous and outlives the matrix). */
  private static Bf16Matrix matrix(NDArray weight) {
    Shape s = weight.getShape();
    return Bf16Matrix.of(JniUtils.getByteBuffer((PtNDArray) weight, true), Math.toIntExact(s.get(0)),
        Math.toIntExact(s.get(1)));
  }

  /** A small bf16 tensor's values. */
  private float[] values(NDArray t) {
    try (NDArray f = loader.toFloat32(t)) {
      return f.toFloatArray();
    }
  }

  /**
   * The Java decode step, or null where decode steps run on libtorch (float32, a GPU, or no Vector API:
   * {@link VectorKernels}).
   */
  @Nullable VectorDecoder vectorDecoder() {
    return vector;
  }

  /**
   * Which kernels run this decoder's single-token steps.
   *
   * @return {@code "java-vector (...)"} or {@code "libtorch"} with the reason
   */
  public String decodeKernels() {
    if (loader.precision() != TensorLoader.Precision.BFLOAT16) {
      return "libtorch (float32)";
    }
    if (vector != null) {
      String quantized = int8Decode
          ? String.format(java.util.Locale.ROOT, "; quantised to int8 at load in %.1f s", quantizeNanos / 1e9) : "";
      return vector.describe() + quantized;
    }
    if (VectorKernels.available()) {
      return "libtorch (" + loader.device() + ")";
    }
    return VectorKernels.describe();
  }

  /**
   * The configuration.
   *
   * @return the configuration
   */
  public TextConfig config() {
    return cfg;
  }

  /**
   * Bytes of weights one decode step reads: every layer's matrices, biases and norms, the final norm and the
   * output head (the linear layers' and head's int8 bytes and row scales with int8 decode weights). Divided by
   * the machine's memory bandwidth this is the floor of a decode step's time.
   *
   * @return the bytes per decode step
   */
  public long weightBytesPerToken() {
    long h = cfg.hiddenSize();
    long q = (long) cfg.numHeads() * cfg.headDim();
    long qkv = q + 2L * cfg.numKvHeads() * cfg.headDim();
    long inter = cfg.intermediateSize();
    long other = cfg.numLayers() * (qkv + 2 * h) + h; // biases and norms
    if (vector != null) {
      return vector.matrixBytes() + 2 * other; // bf16 or int8 matrices as the Java step reads them; bf16 values
    }
    long linear = cfg.numLayers() * (h * qkv + h * q + 2 * inter * h + h * inter) + (long) cfg.vocabSize() * h;
    return (linear + other) * (loader.precision() == TensorLoader.Precision.BFLOAT16 ? 2 : 4);
  }

  /** Layer {@code i}'s weights as handed to the fused layer (for {@link DecodeBatchProbe}). */
  TorchOps.TensorList layer(int i) {
    return layers[i];
  }

  /** The TorchScript helpers the layers run on. */
  TorchOps ops() {
    return ops;
  }

  /** Final norm and output head: float32 logits {@code (L, vocab)} of the last layer's output {@code (L, hidden)}. */
  NDArray head(NDArray hidden) {
    try (NDArray normed = loader.rmsNorm(hidden, finalNorm, (float) cfg.rmsNormEps())) {
      return logits(normed);
    }
  }

  /**
   * The data type activations are computed in.
   *
   * @return the data type activations are computed in
   */
  public DataType computeType() {
    return loader.computeType();
  }

  /**
   * The loader (precision-specific operations).
   *
   * @return the loader (precision-specific operations)
   */
  public TensorLoader loader() {
    return loader;
  }

  /**
   * A KV cache for this model on {@code manager}, in the compute dtype.
   *
   * @param manager the manager that owns the cache
   * @param capacity positions allocated at first
   * @return the cache
   */
  public KvCache newCache(NDManager manager, int capacity) {
    return new KvCache(shape -> loader.zeros(manager, shape), cfg.numLayers(), cfg.numKvHeads(), capacity,
        cfg.headDim());
  }

  /**
   * Embeds token ids ({@code embed_tokens}).
   *
   * @param manager the manager the embeddings are attached to
   * @param ids token ids
   * @return {@code (L, hidden)} in the compute dtype, attached to {@code manager}
   */
  public NDArray embed(NDManager manager, long[] ids) {
    NDArray idx = manager.create(ids);
    NDArray rows = embed.get(manager, new NDIndex("{}", idx));
    idx.close();
    return rows;
  }

  /**
   * Runs every layer over {@code x} ({@code (L, hidden)}) at cache positions {@code [cache.length(), +L)},
   * writing their keys and values into {@code cache}, and returns the final-normed hidden states
   * {@code (L, hidden)}.
   *
   * @param cos rotary cosines {@code (L, headDim)} in the compute dtype
   * @param sin rotary sines {@code (L, headDim)} in the compute dtype
   * @param layerOutputs when non-null, receives each layer's output (for parity tests), length numLayers
   * @param x the input embeddings
   * @param cache the sequence's cache, written at positions {@code [cache.length(), +L)}
   * @return the final hidden states {@code (L, hidden)}
   */
  public NDArray forward(NDArray x, NDArray cos, NDArray sin, KvCache cache, NDArray[] layerOutputs) {
    int length = Math.toIntExact(x.getShape().get(0));
    int start = cache.length();
    cache.checkRoom(length);
    NDArray mask = length > 1 ? causalMask(x.getManager(), length, start) : null;
    NDArray hidden = x;
    for (int i = 0; i < layers.length; i++) {
      // one TorchScript call per layer (make_ops.py decoder_layer)
      NDArray next = ops.decoderLayer(hidden, layers[i], cache.keys(i), cache.values(i), start, cos, sin, mask,
          cfg.rmsNormEps(), cfg.numHeads());
      if (hidden != x) {
        hidden.close();
      }
      hidden = next;
      if (layerOutputs != null) {
        layerOutputs[i] = hidden.duplicate();
      }
    }
    cache.advance(length);
    if (mask != null) {
      mask.close();
    }
    NDArray out = loader.rmsNorm(hidden, finalNorm, (float) cfg.rmsNormEps());
    if (hidden != x) {
      hidden.close();
    }
    return out;
  }

  /**
   * One new token of each of {@code caches.length} independent sequences in one pass over the weights: row
   * {@code i} of {@code x} ({@code (n, hidden)}) is sequence i's next token at position
   * {@code caches[i].length()}; its key and value are written into {@code caches[i]}, which then advances by
   * one. Returns the final-normed hidden states {@code (n, hidden)}. Whether a row comes out bit-identical to
   * {@link #forward} of that token alone depends on the kernels; {@link DecodeBatcher} checks it before using
   * this.
   *
   * @param cos rotary cosines {@code (n, headDim)} in the compute dtype, row i at sequence i's position
   * @param x one new token's embedding per sequence, {@code (n, hidden)}
   * @param sin rotary sines, one row per sequence
   * @param caches each sequence's cache
   * @return the final hidden states {@code (n, hidden)}
   */
  public NDArray forwardBatch(NDArray x, NDArray cos, NDArray sin, KvCache[] caches) {
    int n = Math.toIntExact(x.getShape().get(0));
    if (n != caches.length) {
      throw new IllegalArgumentException(n + " rows for " + caches.length + " caches");
    }
    long[] starts = new long[n];
    for (int j = 0; j < n; j++) {
      caches[j].checkRoom(1);
      starts[j] = caches[j].length();
    }
    NDArray[] keys = new NDArray[n];
    NDArray[] values = new NDArray[n];
    NDArray hidden = x;
    for (int i = 0; i < layers.length; i++) {
      for (int j = 0; j < n; j++) {
        keys[j] = caches[j].keys(i);
        values[j] = caches[j].values(i);
      }
      NDArray next = ops.decoderLayerBatch(hidden, layers[i], keys, values, starts, cos, sin, cfg.rmsNormEps(),
          cfg.numHeads());
      if (hidden != x) {
        hidden.close();
      }
      hidden = next;
    }
    for (KvCache c : caches) {
      c.advance(1);
    }
    NDArray out = loader.rmsNorm(hidden, finalNorm, (float) cfg.rmsNormEps());
    if (hidden != x) {
      hidden.close();
    }
    return out;
  }

  /**
   * Logits {@code (L, vocab)} in float32 for final hidden states {@code (L, hidden)}.
   *
   * @param hidden final hidden states
   * @return the logits
   */
  public NDArray logits(NDArray hidden) {
    NDArray out = Linear.linear(hidden, lmHead).singletonOrThrow();
    return loader.toFloat32(out);
  }

  /** {@link TorchOps#causalMask} in the compute precision. */
  private NDArray causalMask(NDManager manager, int length, int start) {
    NDArray mask = TorchOps.causalMask(manager, cfg.groups(), length, start);
    NDArray compute = loader.toCompute(mask);
    if (compute != mask) {
      mask.close();
    }
    return compute;
  }

  @Override
  public void close() {
    if (vector != null) {
      vector.close();
    }
    for (TorchOps.TensorList layer : layers) {
      layer.close();
    }
    loader.close();
  }
}
