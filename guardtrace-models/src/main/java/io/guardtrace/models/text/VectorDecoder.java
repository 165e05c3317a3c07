package io.guardtrace.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.guardtrace.models.config.TextConfig;
import io.guardtrace.models.kernel.Bf16;
import io.guardtrace.models.kernel.Bf16Matrix;
import io.guardtrace.models.kernel.DecodeAttention;
import io.guardtrace.models.kernel.Int8Matrix;
import io.guardtrace.models.kernel.KernelThreads;
import io.guardtrace.models.kernel.MatVec;
import io.guardtrace.models.kernel.RowMatrix;
import io.guardtrace.models.kernel.StreamProbe;
import io.guardtrace.models.kernel.VectorKernels;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The bfloat16 decode step of {@link TextDecoder} on guardtrace's own CPU kernels ({@code kernel} package): one
 * new token of each of several sequences through every layer and the output head, reading each
 * weight once per step straight from libtorch's tensors, with the KV caches read and written in place. With the
 * opt-in int8 precision the linear layers and the output head read int8 copies of the weights instead
 * ({@link Int8Matrix}); everything else is the same.
 *
 * <p>It computes what the TorchScript layer ({@code make_ops.py decoder_layer}) computes, with libtorch's bf16
 * rounding after every elementwise op (RMSNorm normalised in float32; rotary, residual adds and SwiGLU in bf16)
 * and each linear layer's float32 sum rounded to bf16 once, bias included. Only summation orders differ from
 * libtorch's kernels (a bf16 ulp on some outputs; the parity tests bound the effect). Each sequence's row is
 * computed in the same order whether it steps alone or with others, so batched steps are bit-identical to
 * single ones by construction ({@link DecodeBatchProbe} still checks).
 *
 * <p>Thread-safe: steps are serialised (each one uses every core).
 */
final class VectorDecoder implements AutoCloseable {
  /** The most sequences {@link DecodeBatcher} runs through one step of these kernels. */
  static final int MAX_SHARED_ROWS = 8;

  /**
   * Weight bytes per chunk of a projection's parallel loop. Each thread streams a chunk's rows front to back,
   * so longer chunks keep the hardware prefetchers on one long stream: on the development machine a 3B decode
   * step ran at 26-28 GB/s with 128 KB chunks, 28-31 with 1 MB and 32-36 with 2-4 MB (alternating runs,
   * docs/performance.md); past that the last chunk of a loop leaves the other thread idle for longer.
   */
  private static final int CHUNK_BYTES = 2 << 20;

  /** One decoder layer's weights: matrices in native memory (bf16 or int8), norms and bias as bf16 values. */
  record Layer(
      float[] inputNorm, // (hidden)
      RowMatrix qkv, // ((heads + 2 * kvHeads) * headDim, hidden)
      float[] qkvBias, // ((heads + 2 * kvHeads) * headDim)
      RowMatrix o, // (hidden, heads * headDim)
      float[] postNorm, // (hidden)
      RowMatrix gateUp, // (2 * intermediate, hidden): gate rows, then up rows
      RowMatrix down) {} // (hidden, intermediate)

  private final int hidden;
  private final int headDim;
  private final int heads;
  private final int kvHeads;
  private final int groups;
  private final int inter;
  private final int vocab;
  private final float eps;
  private final float scale;
  private final Bf16Matrix embed; // (vocab, hidden)
  private final RowMatrix head; // (vocab, hidden)
  private final float[] finalNorm; // (hidden)
  private final Layer[] layers;
  private final KernelThreads threads;
  private final ReentrantLock lock = new ReentrantLock();

  // the step in progress (guarded by lock); per-sequence arrays have at least m rows, grown on demand
  private float[][] x = new float[0][]; // (rows, hidden) residual stream
  private float[][] normE = x; // (rows, hidden / 2) normed input of the next projection, even elements
  private float[][] normO = x; // odd elements
  private float[][] qkv = x; // (rows, (heads + 2 * kvHeads) * headDim) fused projection output
  private float[][] qE = x; // (rows, heads * headDim / 2) rotated queries, even elements
  private float[][] qO = x;
  private float[][] ctxE = x; // (rows, heads * headDim / 2) attention output, even elements
  private float[][] ctxO = x;
  private float[][] proj = x; // (rows, hidden) o_proj / down_proj sums
  private float[][] gateUp = x; // (rows, 2 * intermediate) gate/up sums
  private float[][] actE = x; // (rows, intermediate / 2) SwiGLU output, even elements
  private float[][] actO = x;
  private float[][] logits = x; // (rows, vocab)
  private float[][] cos = x; // (rows, headDim) rotary tables in bf16
  private float[][] sin = x;
  private int[] positions = new int[0]; // (rows) each sequence's new position
  private KvCache[] caches = new KvCache[0];
  private final float[][] lanes; // (threads, lanes) per-thread scratch
  private final float[][] rotated; // (threads, headDim)
  private float[][] scores; // (threads, >= longest sequence)
  private int m;
  private Layer layer;
  private int layerIndex;

  private final KernelThreads.Body qkvLoop = this::qkvChunk;
  private final KernelThreads.Body attentionLoop = this::attentionChunk;
  private final int outputRows; // o_proj rows per chunk
  private final int gateUpRows; // intermediate rows per chunk (each a gate and an up row)
  private final int downRows; // down_proj rows per chunk
  private final int headRows; // output-head rows per chunk
  // a lone sequence's SwiGLU output as bf16 pairs, when down_proj streams it (MatVec.dotsPacked); else null
  private final int @Nullable [] actPacked;
  private final KernelThreads.Body outputLoop = this::outputChunk;
  private final KernelThreads.Body gateUpLoop = this::gateUpChunk;
  private final KernelThreads.Body downLoop = this::downChunk;
  private final KernelThreads.Body headLoop = this::headChunk;
  // row streams each thread reads side by side for a lone sequence (MatVec.SIDE_BY_SIDE or 1), and why
  private final StreamProbe.Choice streams;

  VectorDecoder(TextConfig cfg, Bf16Matrix embed, RowMatrix head, float[] finalNorm, Layer[] layers,
      int threads) {
    this.hidden = cfg.hiddenSize();
    this.headDim = cfg.headDim();
    this.heads = cfg.numHeads();
    this.kvHeads = cfg.numKvHeads();
    this.groups = cfg.groups();
    this.inter = cfg.intermediateSize();
    this.vocab = cfg.vocabSize();
    this.eps = (float) cfg.rmsNormEps();
    this.scale = (float) (1.0 / Math.sqrt(headDim));
    this.embed = embed;
    this.head = head;
    this.finalNorm = finalNorm;
    this.layers = layers;
    this.threads = new KernelThreads(threads, "guardtrace-decode");
    this.outputRows = chunkRows(heads * headDim);
    this.gateUpRows = chunkRows(2 * hidden);
    this.downRows = chunkRows(inter);
    this.headRows = chunkRows(hidden);
    this.actPacked = layers[0].down() instanceof Bf16Matrix down && MatVec.streamsPacked(down)
        ? new int[inter / 2] : null;
    lanes = new float[threads][MatVec.lanes()];
    rotated = new float[threads][headDim];
    scores = new float[threads][256];
    layer = layers[0];
    RowMatrix[] gateUps = new RowMatrix[layers.length];
    for (int i = 0; i < layers.length; i++) {
      gateUps[i] = layers[i].gateUp();
    }
    this.streams = StreamProbe.choose(gateUps, gateUpRows, this.threads);
  }

  /** Bytes of every layer's matrices and the output head, as one step reads them ({@link RowMatrix#bytes}). */
  long matrixBytes() {
    long bytes = head.bytes();
    for (Layer l : layers) {
      bytes += l.qkv().bytes() + l.o().bytes() + l.gateUp().bytes() + l.down().bytes();
    }
    return bytes;
  }

  /**
   * Which kernels decode, for logs and benchmark output.
   *
   * @return the Vector API in use and how many row streams each thread reads, and why
   */
  String describe() {
    int n = streams.streams();
    String weights = head instanceof Int8Matrix ? "int8 weights, " : "";
    return VectorKernels.describe(weights + n + (n == 1 ? " row stream" : " row streams") + " per thread, "
        + streams.reason());
  }

  /**
   * One new token of each sequence: {@code tokens[i]} at position {@code caches[i].length()} with rotary
   * tables {@code cos[i]}/{@code sin[i]} ({@code (headDim)} float32; rounded to bf16 here as the reference
   * casts them). Writes each token's keys and values into its cache, advances the caches by one and returns
   * each sequence's float32 logits {@code (vocab)} on {@code targets[i]}.
   */
  NDArray[] step(long[] tokens, float[][] cos, float[][] sin, KvCache[] caches, NDManager[] targets) {
    lock.lock();
    try {
      begin(tokens.length, caches);
      for (int i = 0; i < m; i++) {
        caches[i].checkRoom(1);
        positions[i] = caches[i].length();
        long token = tokens[i];
        if (token < 0 || token >= vocab) {
          throw new IllegalArgumentException("token id " + token + " outside the vocabulary of " + vocab);
        }
        embed.row((int) token, x[i]);
        roundInto(cos[i], this.cos[i]);
        roundInto(sin[i], this.sin[i]);
      }
      for (int l = 0; l < layers.length; l++) {
        runLayer(l);
      }
      for (int i = 0; i < m; i++) {
        caches[i].advance(1);
      }
      runHead();
      NDArray[] out = new NDArray[m];
      for (int i = 0; i < m; i++) {
        out[i] = targets[i].create(logits[i]);
      }
      return out;
    } finally {
      end();
      lock.unlock();
    }
  }

  /**
   * For {@link DecodeBatchProbe}: layer {@code index} alone over hidden states {@code in} (rows of bf16 values)
   * at the given positions (whose keys and values it writes; the caches' lengths are not used or changed),
   * then the final norm and output head over {@code in}. Returns, per row, the layer's output followed by the
   * logits.
   */
  float[][] probe(int index, float[][] in, float[][] cos, float[][] sin, KvCache[] caches, int[] positions) {
    lock.lock();
    try {
      begin(in.length, caches);
      for (int i = 0; i < m; i++) {
        this.positions[i] = positions[i];
        roundInto(cos[i], this.cos[i]);
        roundInto(sin[i], this.sin[i]);
        System.arraycopy(in[i], 0, x[i], 0, hidden);
      }
      ensureScores(positions);
      runLayer(index);
      float[][] out = new float[m][hidden + vocab];
      for (int i = 0; i < m; i++) {
        System.arraycopy(x[i], 0, out[i], 0, hidden);
        System.arraycopy(in[i], 0, x[i], 0, hidden);
      }
      runHead();
      for (int i = 0; i < m; i++) {
        System.arraycopy(logits[i], 0, out[i], hidden, vocab);
      }
      return out;
    } finally {
      end();
      lock.unlock();
    }
  }

  private void begin(int rows, KvCache[] caches) {
    if (rows < 1 || caches.length != rows) {
      throw new IllegalArgumentException(rows + " rows with " + caches.length + " caches");
    }
    if (x.length < rows) {
      allocate(rows);
    }
    m = rows;
    for (KvCache c : caches) {
      c.prepareMatrices();
    }
    System.arraycopy(caches, 0, this.caches, 0, rows);
  }

  /** Per-sequence buffers for {@code rows} sequences (a batch this large is kept for the next steps). */
  private void allocate(int rows) {
    int qkvDim = (heads + 2 * kvHeads) * headDim;
    int qHalf = heads * headDim / 2;
    x = new float[rows][hidden];
    normE = new float[rows][hidden / 2];
    normO = new float[rows][hidden / 2];
    qkv = new float[rows][qkvDim];
    qE = new float[rows][qHalf];
    qO = new float[rows][qHalf];
    ctxE = new float[rows][qHalf];
    ctxO = new float[rows][qHalf];
    proj = new float[rows][hidden];
    gateUp = new float[rows][2 * inter];
    actE = new float[rows][inter / 2];
    actO = new float[rows][inter / 2];
    logits = new float[rows][vocab];
    cos = new float[rows][headDim];
    sin = new float[rows][headDim];
    positions = new int[rows];
    caches = new KvCache[rows];
  }

  private void end() {
    java.util.Arrays.fill(caches, null);
    m = 0;
  }

  private void runLayer(int index) {
    layerIndex = index;
    layer = layers[index];
    if (index == 0) {
      ensureScores(positions);
    }
    for (int i = 0; i < m; i++) {
      rmsNorm(x[i], layer.inputNorm(), normE[i], normO[i]);
    }
    threads.run(heads + 2 * kvHeads, qkvLoop);
    threads.run(m * heads, attentionLoop);
    threads.run(chunks(hidden, outputRows), outputLoop);
    for (int i = 0; i < m; i++) {
      rmsNorm(x[i], layer.postNorm(), normE[i], normO[i]);
    }
    threads.run(chunks(inter, gateUpRows), gateUpLoop);
    threads.run(chunks(hidden, downRows), downLoop);
  }

  private void runHead() {
    for (int i = 0; i < m; i++) {
      rmsNorm(x[i], finalNorm, normE[i], normO[i]);
    }
    threads.run(chunks(vocab, headRows), headLoop);
  }

  /** One head's rows of the fused q/k/v projection: bias, rotary, and the key/value cache writes. */
  private void qkvChunk(int c, int worker) {
    int r0 = c * headDim;
    RowMatrix.dots(layer.qkv(), r0, r0 + headDim, normE, normO, m, qkv, lanes[worker], streams.streams());
    float[] bias = layer.qkvBias();
    float[] rot = rotated[worker];
    for (int i = 0; i < m; i++) {
      float[] row = qkv[i];
      for (int r = r0; r < r0 + headDim; r++) {
        row[r] = Bf16.round(row[r] + bias[r]);
      }
      if (c < heads) {
        rotate(row, r0, cos[i], sin[i], rot);
        split(rot, qE[i], qO[i], c * headDim / 2);
      } else if (c < heads + kvHeads) {
        rotate(row, r0, cos[i], sin[i], rot);
        KvCache cache = caches[i];
        cache.keyMatrix(layerIndex).setRow((c - heads) * cache.capacity() + positions[i], rot, 0, headDim);
      } else {
        KvCache cache = caches[i];
        cache.valueMatrix(layerIndex).setRow((c - heads - kvHeads) * cache.capacity() + positions[i], row, r0,
            headDim);
      }
    }
  }

  /** One (sequence, query head) pair's attention over its cache. */
  private void attentionChunk(int c, int worker) {
    int i = c / heads;
    int h = c % heads;
    KvCache cache = caches[i];
    int firstRow = (h / groups) * cache.capacity();
    DecodeAttention.attend(cache.keyMatrix(layerIndex), cache.valueMatrix(layerIndex), firstRow, positions[i] + 1,
        qE[i], qO[i], h * headDim / 2, scale, scores[worker], ctxE[i], ctxO[i], h * headDim / 2, lanes[worker]);
  }

  private void outputChunk(int c, int worker) {
    residualChunk(layer.o(), outputRows, ctxE, ctxO, c, worker);
  }

  private void downChunk(int c, int worker) {
    int[] packed = packedActivations();
    if (packed != null) {
      int r0 = c * downRows;
      int r1 = Math.min(hidden, r0 + downRows);
      MatVec.dotsPacked((Bf16Matrix) layer.down(), r0, r1, packed, proj[0], r0, lanes[worker], streams.streams());
      addResidual(r0, r1);
      return;
    }
    residualChunk(layer.down(), downRows, actE, actO, c, worker);
  }

  /**
   * Where this step's SwiGLU output goes packed for down_proj: a lone sequence, when down_proj streams packed
   * inputs ({@link MatVec#streamsPacked}, the same for every layer); else null (split form, four rows at a time).
   */
  private int @Nullable [] packedActivations() {
    return m == 1 ? actPacked : null;
  }

  /** Rows of o_proj or down_proj and the residual add: {@code x = x + round(linear(in))}. */
  private void residualChunk(RowMatrix w, int rows, float[][] inE, float[][] inO, int c, int worker) {
    int r0 = c * rows;
    int r1 = Math.min(hidden, r0 + rows);
    RowMatrix.dots(w, r0, r1, inE, inO, m, proj, lanes[worker], streams.streams());
    addResidual(r0, r1);
  }

  /** {@code x = x + round(proj)} for rows {@code [r0, r1)} of every sequence. */
  private void addResidual(int r0, int r1) {
    for (int i = 0; i < m; i++) {
      float[] xi = x[i];
      float[] p = proj[i];
      for (int r = r0; r < r1; r++) {
        xi[r] = Bf16.round(xi[r] + Bf16.round(p[r]));
      }
    }
  }

  /** Gate and up rows {@code [j0, j1)} and SwiGLU: {@code act = silu(gate) * up}, each op rounded to bf16. */
  private void gateUpChunk(int c, int worker) {
    int j0 = c * gateUpRows;
    int j1 = Math.min(inter, j0 + gateUpRows);
    RowMatrix w = layer.gateUp();
    RowMatrix.dots(w, j0, j1, normE, normO, m, gateUp, lanes[worker], streams.streams());
    RowMatrix.dots(w, inter + j0, inter + j1, normE, normO, m, gateUp, lanes[worker], streams.streams());
    int[] packed = packedActivations();
    for (int i = 0; i < m; i++) {
      float[] gu = gateUp[i];
      float[] e = actE[i];
      float[] o = actO[i];
      // j0 and j1 are even (chunks are multiples of 4 rows), so each pair (j, j + 1) is in one chunk
      for (int j = j0; j < j1; j += 2) {
        float even = swiGlu(gu[j], gu[inter + j]);
        float odd = swiGlu(gu[j + 1], gu[inter + j + 1]);
        if (packed != null) {
          packed[j >> 1] = (Float.floatToRawIntBits(even) >>> 16) | (Float.floatToRawIntBits(odd) & 0xffff0000);
        } else {
          e[j >> 1] = even;
          o[j >> 1] = odd;
        }
      }
    }
  }

  /** {@code silu(gate) * up} of float32 sums, each op rounded to bf16. */
  private static float swiGlu(float gateSum, float upSum) {
    float g = Bf16.round(gateSum);
    float silu = Bf16.round(g / (1f + (float) Math.exp(-g)));
    return Bf16.round(silu * Bf16.round(upSum));
  }

  private void headChunk(int c, int worker) {
    int r0 = c * headRows;
    int r1 = Math.min(vocab, r0 + headRows);
    RowMatrix.dots(head, r0, r1, normE, normO, m, logits, lanes[worker], streams.streams());
    for (int i = 0; i < m; i++) {
      float[] l = logits[i];
      for (int r = r0; r < r1; r++) {
        l[r] = Bf16.round(l[r]);
      }
    }
  }

  /**
   * Qwen2RMSNorm of bf16 values {@code in} into split form: normalised in float32, rounded to bf16, times the
   * weight, rounded again ({@code weight * h.to(x.dtype)}).
   */
  private void rmsNorm(float[] in, float[] weight, float[] outE, float[] outO) {
    float ss = 0;
    for (int k = 0; k < hidden; k++) {
      ss += in[k] * in[k];
    }
    float r = 1f / (float) Math.sqrt(ss / hidden + eps);
    for (int k = 0; k < hidden; k += 2) {
      outE[k >> 1] = Bf16.round(weight[k] * Bf16.round(in[k] * r));
      outO[k >> 1] = Bf16.round(weight[k + 1] * Bf16.round(in[k + 1] * r));
    }
  }

  /**
   * Rotary of one head, {@code x[from, from + headDim)}: {@code x * cos + rotate_half(x) * sin} with each of
   * the three ops rounded to bf16, as libtorch runs it on bf16 tensors.
   */
  private void rotate(float[] x, int from, float[] cos, float[] sin, float[] out) {
    int half = headDim / 2;
    for (int d = 0; d < headDim; d++) {
      float r = d < half ? -x[from + d + half] : x[from + d - half];
      out[d] = Bf16.round(Bf16.round(x[from + d] * cos[d]) + Bf16.round(r * sin[d]));
    }
  }

  private static void split(float[] in, float[] e, float[] o, int at) {
    for (int d = 0; d < in.length; d += 2) {
      e[at + (d >> 1)] = in[d];
      o[at + (d >> 1)] = in[d + 1];
    }
  }

  private static void roundInto(float[] in, float[] out) {
    for (int d = 0; d < out.length; d++) {
      out[d] = Bf16.round(in[d]);
    }
  }

  private void ensureScores(int[] positions) {
    int longest = 0;
    for (int i = 0; i < m; i++) {
      longest = Math.max(longest, positions[i] + 1);
    }
    if (scores[0].length < longest) {
      int size = Math.max(longest, scores[0].length * 2);
      for (int w = 0; w < scores.length; w++) {
        scores[w] = new float[size];
      }
    }
  }

  /** Rows of {@code cols} bf16 values per chunk: about {@link #CHUNK_BYTES}, a multiple of the kernel's 4. */
  private static int chunkRows(int cols) {
    return Math.max(4, CHUNK_BYTES / (2 * cols) / 4 * 4);
  }

  private static int chunks(int rows, int chunk) {
    return (rows + chunk - 1) / chunk;
  }

  @Override
  public void close() {
    threads.close();
  }
}
