package io.guardtrace.models.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.guardtrace.models.weights.TensorLoader;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The Qwen2.5-VL vision tower (transformers' Qwen2_5_VisionTransformerPretrainedModel) on DJL: patch
 * embedding (the Conv3d with kernel = stride, as one matrix multiply), 2D rotary embedding, reordering into
 * windows, blocks with windowed or full non-causal attention (pre-RMSNorm, q/k/v bias, SwiGLU with biases),
 * the patch merger (RMSNorm, 2x2 groups, Linear-GELU-Linear) and the final un-permute back to natural order.
 *
 * <p>Weights are read once and shared; {@link #forward} is thread-safe.
 */
public final class VisionTower {
  private final VisionConfig cfg;
  private final TensorLoader loader;
  private final NDArray patchWeight; // (hidden, channels * frames * patch * patch)
  private final Block[] blocks;
  private final NDArray mergerNorm; // (hidden)
  private final NDArray merger0W; // (4 * hidden, 4 * hidden)
  private final NDArray merger0B;
  private final NDArray merger2W; // (outHidden, 4 * hidden)
  private final NDArray merger2B;
  private final float[] invFreq;

  private record Block(NDArray norm1, NDArray qkvW, NDArray qkvB, NDArray projW, NDArray projB, NDArray norm2,
      NDArray gateUpW, NDArray gateUpB, NDArray downW, NDArray downB) {}

  /** Captures intermediates for parity tests. */
  interface Capture {
    void patchEmbed(NDArray x);

    void block(int index, NDArray x);

    void mergerWindowOrder(NDArray x);
  }

  /**
   * Loads the tower's weights.
   *
   * @param weights full tensor name for a name relative to the vision root (prefix resolved by the caller)
   * @param cfg the vision configuration
   * @param loader places weights on a device in a precision
   * @param store the checkpoint
   */
  public VisionTower(VisionConfig cfg, TensorLoader loader, Function<String, String> weights,
      io.guardtrace.models.weights.WeightStore store) {
    this.cfg = cfg;
    this.loader = loader;
    int h = cfg.hiddenSize();
    int inter = cfg.intermediateSize();
    NDArray conv = loader.load(store, weights.apply("patch_embed.proj.weight"), h, cfg.inChannels(),
        cfg.temporalPatchSize(), cfg.patchSize(), cfg.patchSize());
    patchWeight = conv.reshape(h, cfg.patchRowLength());
    blocks = new Block[cfg.depth()];
    for (int i = 0; i < blocks.length; i++) {
      String p = "blocks." + i + ".";
      blocks[i] = new Block(
          loader.loadNorm(store, weights.apply(p + "norm1.weight"), h),
          loader.load(store, weights.apply(p + "attn.qkv.weight"), 3L * h, h),
          loader.load(store, weights.apply(p + "attn.qkv.bias"), 3L * h),
          loader.load(store, weights.apply(p + "attn.proj.weight"), h, h),
          loader.load(store, weights.apply(p + "attn.proj.bias"), h),
          loader.loadNorm(store, weights.apply(p + "norm2.weight"), h),
          loader.loadConcat(store, new String[] {weights.apply(p + "mlp.gate_proj.weight"),
              weights.apply(p + "mlp.up_proj.weight")}, new long[][] {{inter, h}, {inter, h}}),
          loader.loadConcat(store, new String[] {weights.apply(p + "mlp.gate_proj.bias"),
              weights.apply(p + "mlp.up_proj.bias")}, new long[][] {{inter}, {inter}}),
          loader.load(store, weights.apply(p + "mlp.down_proj.weight"), h, inter),
          loader.load(store, weights.apply(p + "mlp.down_proj.bias"), h));
    }
    int merged = h * cfg.mergeUnit();
    mergerNorm = loader.loadNorm(store, weights.apply("merger.ln_q.weight"), h);
    merger0W = loader.load(store, weights.apply("merger.mlp.0.weight"), merged, merged);
    merger0B = loader.load(store, weights.apply("merger.mlp.0.bias"), merged);
    merger2W = loader.load(store, weights.apply("merger.mlp.2.weight"), cfg.outHiddenSize(), merged);
    merger2B = loader.load(store, weights.apply("merger.mlp.2.bias"), cfg.outHiddenSize());
    // VisionRotaryEmbedding(head_dim / 2): inv_freq = 1 / 10000^(arange(0, dim, 2) / dim), in float32
    int dim = cfg.headDim() / 2;
    invFreq = new float[dim / 2];
    for (int i = 0; i < invFreq.length; i++) {
      invFreq[i] = 1.0f / (float) Math.pow(10000.0, (float) (2 * i) / (float) dim);
    }
  }

  /**
   * The configuration.
   *
   * @return the configuration
   */
  public VisionConfig config() {
    return cfg;
  }

  /**
   * Image embeddings {@code (sum of patches / 4, outHidden)} in natural order (the order written over the
   * {@code <|image_pad|>} tokens), attached to {@code manager}.
   *
   * @param pixelValues {@code (patches, patchRowLength)} float32, the images' rows concatenated
   * @param grids per image {@code {t, h, w}} in patches
   * @param manager the manager the embeddings are attached to
   * @return the embeddings
   */
  public NDArray forward(NDManager manager, NDArray pixelValues, List<int[]> grids) {
    return forward(manager, pixelValues, grids, null);
  }

  NDArray forward(NDManager manager, NDArray pixelValues, List<int[]> grids, @Nullable Capture capture) {
    VisionLayout layout = VisionLayout.of(grids, cfg);
    int n = layout.patches();
    int unit = cfg.mergeUnit();
    try (NDScope scope = new NDScope()) {
      NDArray x = Linear.linear(loader.toCompute(pixelValues), patchWeight).singletonOrThrow();
      if (capture != null) {
        capture.patchEmbed(x);
      }
      // reorder rows (in groups of one merged unit) into window order, rotary rows alike
      long[] rows = new long[n];
      int[] wi = layout.windowIndex();
      for (int g = 0; g < wi.length; g++) {
        for (int j = 0; j < unit; j++) {
          rows[g * unit + j] = (long) wi[g] * unit + j;
        }
      }
      NDArray order = manager.create(rows);
      x = x.get(new NDIndex("{}", order));
      NDArray[] cosSin = rotary(manager, layout, rows);
      for (int i = 0; i < blocks.length; i++) {
        int[] cu = cfg.fullAttention(i) ? layout.cuSeqlens() : layout.cuWindowSeqlens();
        x = block(blocks[i], x, cosSin[0], cosSin[1], cu, n);
        if (capture != null) {
          capture.block(i, x);
        }
      }
      NDArray merged = merger(x, n / unit);
      if (capture != null) {
        capture.mergerWindowOrder(merged);
      }
      long[] reverse = new long[wi.length];
      for (int g = 0; g < wi.length; g++) {
        reverse[wi[g]] = g;
      }
      NDArray out = loader.toFloat32(merged.get(new NDIndex("{}", manager.create(reverse))));
      out.attach(manager);
      NDScope.unregister(out);
      return out;
    }
  }

  /** cos and sin {@code (patches, headDim)} of the 2D rotary embedding, rows in window order. */
  private NDArray[] rotary(NDManager manager, VisionLayout layout, long[] rows) {
    int hd = cfg.headDim();
    int quarter = invFreq.length;
    int n = rows.length;
    float[] cos = new float[n * hd];
    float[] sin = new float[n * hd];
    for (int r = 0; r < n; r++) {
      int patch = (int) rows[r];
      for (int d = 0; d < hd; d++) {
        // emb = cat(rot, rot); rot = [h * inv_freq, w * inv_freq]
        int k = d % (2 * quarter);
        float pos = k < quarter ? layout.rotaryH()[patch] : layout.rotaryW()[patch];
        float angle = pos * invFreq[k % quarter];
        cos[r * hd + d] = (float) Math.cos(angle);
        sin[r * hd + d] = (float) Math.sin(angle);
      }
    }
    return new NDArray[] {manager.create(cos, new Shape(n, 1, hd)), manager.create(sin, new Shape(n, 1, hd))};
  }

  /** The rotary angles of every patch in natural order, {@code (patches, headDim / 2)} (for tests). */
  float[] rotaryAngles(List<int[]> grids) {
    VisionLayout layout = VisionLayout.of(grids, cfg);
    int quarter = invFreq.length;
    float[] out = new float[layout.patches() * 2 * quarter];
    for (int p = 0; p < layout.patches(); p++) {
      for (int k = 0; k < quarter; k++) {
        out[p * 2 * quarter + k] = layout.rotaryH()[p] * invFreq[k];
        out[p * 2 * quarter + quarter + k] = layout.rotaryW()[p] * invFreq[k];
      }
    }
    return out;
  }

  private NDArray block(Block w, NDArray x, NDArray cos, NDArray sin, int[] cu, int n) {
    int h = cfg.hiddenSize();
    int heads = cfg.numHeads();
    int hd = cfg.headDim();
    float eps = (float) cfg.rmsNormEps();
    NDArray normed = loader.rmsNorm(x, w.norm1(), eps);
    NDArray qkv = Linear.linear(normed, w.qkvW(), w.qkvB()).singletonOrThrow().reshape(n, 3, heads, hd);
    // apply_rotary_pos_emb_vision: computed in float32, cast back
    NDArray q = loader.rotateInFloat32(qkv.get(":, 0, :, :"), cos, sin); // (n, heads, hd)
    NDArray k = loader.rotateInFloat32(qkv.get(":, 1, :, :"), cos, sin);
    NDArray v = qkv.get(":, 2, :, :");
    NDArray attn = chunkedAttention(q, k, v, cu, n).reshape(n, h);
    NDArray out = x.add(Linear.linear(attn, w.projW(), w.projB()).singletonOrThrow());
    NDArray normed2 = loader.rmsNorm(out, w.norm2(), eps);
    NDArray gu = Linear.linear(normed2, w.gateUpW(), w.gateUpB()).singletonOrThrow();
    int inter = cfg.intermediateSize();
    NDArray act = loader.siluMul(gu.get(":, 0:{}", inter), gu.get(":, {}:", inter));
    return out.add(Linear.linear(act, w.downW(), w.downB()).singletonOrThrow());
  }

  /**
   * Non-causal attention within each chunk {@code [cu[i], cu[i+1])}. Chunks of equal length are batched as
   * they are; otherwise every chunk is padded to the longest with its padded keys masked out, which leaves
   * each row's softmax exactly the per-chunk one.
   */
  private NDArray chunkedAttention(NDArray q, NDArray k, NDArray v, int[] cu, int n) {
    int chunks = cu.length - 1;
    int heads = cfg.numHeads();
    int hd = cfg.headDim();
    int longest = 0;
    boolean uniform = true;
    for (int c = 0; c < chunks; c++) {
      int len = cu[c + 1] - cu[c];
      uniform &= c == 0 || len == cu[1] - cu[0];
      longest = Math.max(longest, len);
    }
    float scale = (float) (1.0 / Math.sqrt(hd));
    NDManager m = q.getManager();
    NDArray qb;
    NDArray kb;
    NDArray vb;
    NDArray keyMask = null;
    long[] valid = null;
    if (uniform) {
      qb = q.reshape(chunks, longest, heads, hd);
      kb = k.reshape(chunks, longest, heads, hd);
      vb = v.reshape(chunks, longest, heads, hd);
    } else {
      long[] gather = new long[chunks * longest];
      float[] mask = new float[chunks * longest];
      valid = new long[n];
      int vi = 0;
      for (int c = 0; c < chunks; c++) {
        int len = cu[c + 1] - cu[c];
        for (int s = 0; s < longest; s++) {
          int slot = c * longest + s;
          if (s < len) {
            gather[slot] = cu[c] + s;
            valid[vi++] = slot;
          } else {
            gather[slot] = cu[c];
            mask[slot] = -Float.MAX_VALUE;
          }
        }
      }
      NDArray idx = m.create(gather);
      qb = q.get(new NDIndex("{}", idx)).reshape(chunks, longest, heads, hd);
      kb = k.get(new NDIndex("{}", idx)).reshape(chunks, longest, heads, hd);
      vb = v.get(new NDIndex("{}", idx)).reshape(chunks, longest, heads, hd);
      keyMask = loader.toCompute(m.create(mask, new Shape(chunks, 1, 1, longest)));
    }
    NDArray qt = qb.transpose(0, 2, 1, 3); // (chunks, heads, L, hd)
    NDArray kt = kb.transpose(0, 2, 1, 3);
    NDArray vt = vb.transpose(0, 2, 1, 3);
    NDArray ctx = loader.attention(qt, kt, vt, keyMask, scale).transpose(0, 2, 1, 3)
        .reshape(chunks * longest, heads * hd);
    if (valid != null) {
      ctx = ctx.get(new NDIndex("{}", m.create(valid)));
    }
    return ctx;
  }

  /** Qwen2_5_VLPatchMerger: RMSNorm per patch, groups of 4 rows as one vector, Linear, GELU, Linear. */
  private NDArray merger(NDArray x, int groups) {
    NDArray normed = loader.rmsNorm(x, mergerNorm, 1e-6f).reshape(groups, (long) cfg.hiddenSize() * cfg.mergeUnit());
    NDArray h = loader.gelu(Linear.linear(normed, merger0W, merger0B).singletonOrThrow());
    return Linear.linear(h, merger2W, merger2B).singletonOrThrow();
  }
}
