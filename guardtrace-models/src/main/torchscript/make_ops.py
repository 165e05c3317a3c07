"""Generates guardtrace_ops.pt: small TorchScript helpers for the bfloat16 path of guardtrace's DJL engine.

DJL 0.36 aborts the JVM when its own API creates or casts bfloat16 tensors or runs an op that passes a dtype
on one (see shared ENGINE-NOTES). These functions do exactly those steps inside libtorch instead; everything
else (matrix multiplies, views, adds) stays in DJL. Each function mirrors the Hugging Face reference step it
replaces (transformers' modeling_qwen2_5_vl.py), with norms and softmax computed in float32 as there.

Regenerate (offline, from the CPU torch wheel on the development machine):
    python3 -m venv --system-site-packages /tmp/tsvenv
    /tmp/tsvenv/bin/pip install --no-index --no-deps /opt/wheels/torch-*.whl
    /tmp/tsvenv/bin/python guardtrace-models/src/main/torchscript/make_ops.py \
        guardtrace-models/src/main/resources/io/guardtrace/models/torch/guardtrace_ops.pt
"""
import sys
from typing import List, Optional, Tuple, Union

import torch


class GuardtraceOps(torch.nn.Module):
    # Keys per block of libtorch's CPU flash-attention kernel (its kv split size; 512 in libtorch 2.7.1, which
    # DJL 0.36 runs): causal_attention cuts prompts at these boundaries. If a libtorch version splits
    # otherwise, the bit-for-bit check in CausalAttentionTest fails.
    kv_block: torch.jit.Final[int]

    def __init__(self):
        super().__init__()
        self.kv_block = 512

    @torch.jit.export
    def to_bf16(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(torch.bfloat16)

    @torch.jit.export
    def to_f32(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(torch.float32)

    @torch.jit.export
    def zeros_bf16(self, like: torch.Tensor, shape: List[int]) -> torch.Tensor:
        return torch.zeros(shape, dtype=torch.bfloat16, device=like.device)

    @torch.jit.export
    def rms_norm(self, x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
        # Qwen2RMSNorm: normalise in float32, then weight * result cast back to the input dtype
        h = x.to(torch.float32)
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
        return weight * h.to(x.dtype)

    @torch.jit.export
    def rotate(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        # x * cos + rotate_half(x) * sin, rotate_half over the last dim (apply_multimodal_rotary_pos_emb)
        half = x.size(-1) // 2
        rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
        return x * cos + rotated * sin

    @torch.jit.export
    def rotate_f32(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        # the vision tower's apply_rotary_pos_emb_vision: computed in float32, cast back
        xf = x.to(torch.float32)
        half = xf.size(-1) // 2
        rotated = torch.cat((-xf[..., half:], xf[..., :half]), dim=-1)
        return (xf * cos + rotated * sin).to(x.dtype)

    @torch.jit.export
    def attention(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
        # softmax(q k^T * scale) v with libtorch's fused CPU/CUDA kernel (softmax accumulated in float32). The
        # reference's eager attention gives the same result within rounding; the fused kernel avoids
        # creating a new matmul primitive for every key length, which made bf16 decode steps slow.
        return self.sdpa(q, k, v, None, scale)

    @torch.jit.export
    def attention_masked(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor,
                         scale: float) -> torch.Tensor:
        return self.sdpa(q, k, v, mask, scale)

    @torch.jit.export
    def causal_attention(self, q: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, mask: torch.Tensor,
                         start: int, scale: float) -> torch.Tensor:
        """attention_masked(q, keys, values, mask) for a causal mask with a cache offset, the same bits, with
        less work on the CPU: q (kvHeads, groups * L, headDim), rows g * L + i for query position i of group g;
        keys and values (kvHeads, start + L, headDim); mask (groups * L, start + L), query i seeing keys
        j <= start + i.

        libtorch's flash kernel skips fully masked key blocks only for its own is_causal, which has no cache
        offset, so with a mask it computes every block: for an 1,800-token prompt about 40 % of the attention
        is masked blocks. Here the queries are cut where the key blocks end: each run of query positions whose
        last visible key falls in key block b attends to keys [0, end of block b) only. Those blocks are the
        ones (same sizes, same boundaries) the unsplit kernel computes for those rows, and every block left
        out is fully masked for them, where the kernel's online softmax only adds zeros and scales by one, so
        the rows come out bit-identical (CausalAttentionTest checks it, bf16 and float32, against the unsplit
        call; a row's result does not depend on which rows share its kernel call). GPUs (whose kernels split
        keys otherwise) and prompts within one block take the unsplit call."""
        kv_heads = keys.size(0)
        head_dim = keys.size(2)
        total = keys.size(1)
        length = total - start
        groups = q.size(1) // length
        if q.device.type != "cpu" or total <= self.kv_block:
            return self.sdpa(q, keys, values, mask, scale)
        dtype = q.dtype
        # sdpa attends in float32 on the CPU: widen once, not per block. Each block runs as (kvHeads, groups)
        # heads of n rows, the keys and values broadcast over the groups and the mask over every head (stride-0
        # views: group 0's mask rows are every group's), so no block copies its mask or its keys.
        q4 = q.to(torch.float32).reshape(kv_heads, groups, length, head_dim)
        k4 = keys.to(torch.float32).unsqueeze(1)
        v4 = values.to(torch.float32).unsqueeze(1)
        rows = mask.narrow(0, 0, length).to(torch.float32)
        outs: List[torch.Tensor] = []
        b0 = 0
        while b0 < length:
            seen = min(total, ((start + b0) // self.kv_block + 1) * self.kv_block)
            n = seen - start - b0
            ob = torch.nn.functional.scaled_dot_product_attention(
                q4.narrow(2, b0, n), k4.narrow(2, 0, seen).expand(kv_heads, groups, seen, head_dim),
                v4.narrow(2, 0, seen).expand(kv_heads, groups, seen, head_dim),
                attn_mask=rows.narrow(0, b0, n).narrow(1, 0, seen), scale=scale)
            outs.append(ob)
            b0 += n
        return torch.cat(outs, 2).reshape(kv_heads, groups * length, head_dim).to(dtype)

    def sdpa(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: Optional[torch.Tensor],
             scale: float) -> torch.Tensor:
        dtype = q.dtype
        if dtype != torch.float32 and q.device.type == "cpu":
            # bfloat16 on the CPU: attend in float32 and round once at the end, as libtorch's math kernel does
            # for reduced precision (what the engine used before). The bf16 flash kernel rounds probabilities
            # before multiplying them with the values and drifted further from the reference (bf16 parity
            # test: 1.04 % against 0.86 % relative); the float32 flash kernel costs about the same here.
            q = q.to(torch.float32)
            k = k.to(torch.float32)
            v = v.to(torch.float32)
            if mask is not None:
                mask = mask.to(torch.float32)
        # (heads, L, d) inputs are given a batch dim: libtorch's flash-attention CPU kernel only takes 4-d
        # inputs and 3-d ones fall back to the unfused math path, which materialises every score and was
        # 15x slower for a 1,800-token masked prefill (3x for a decode step).
        if q.dim() == 3:
            if mask is not None:
                mask = mask.unsqueeze(0).unsqueeze(0) if mask.dim() == 2 else mask.unsqueeze(0)
            out = torch.nn.functional.scaled_dot_product_attention(
                q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0), attn_mask=mask, scale=scale).squeeze(0)
        else:
            out = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale)
        return out.to(dtype)

    @torch.jit.export
    def silu_mul(self, gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.silu(gate) * up

    @torch.jit.export
    def gelu(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.gelu(x)

    @torch.jit.export
    def pack_linear(self, weight: torch.Tensor) -> torch.Tensor:
        # oneDNN's blocked layout for a linear weight (what torch.compile's CPU freezing pass does): the
        # bfloat16 matrix-vector products of a decode step then stream the weight at near memory speed
        # instead of re-laying it out on every call. CPU only; the result is an opaque mkldnn tensor.
        return torch.ops.mkldnn._reorder_linear_weight(weight, 1)

    def linear(self, x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor]) -> torch.Tensor:
        if weight.is_mkldnn:
            scalars: List[Optional[Union[int, float, complex]]] = []
            return torch.ops.mkldnn._linear_pointwise(x, weight, bias, "none", scalars, "")
        return torch.nn.functional.linear(x, weight, bias)

    @torch.jit.export
    def decoder_layer(self, x: torch.Tensor, weights: List[torch.Tensor], key_cache: torch.Tensor,
                      value_cache: torch.Tensor, start: int, cos: torch.Tensor, sin: torch.Tensor,
                      mask: torch.Tensor, masked: bool, eps: float, heads: int) -> torch.Tensor:
        """One Qwen2_5_VLDecoderLayer over x (L, hidden) at cache positions [start, start + L).

        weights: input_layernorm, fused q/k/v weight and bias, o_proj, post_attention_layernorm, fused
        gate/up, down_proj. Keys and values are written into the caches ((kvHeads, capacity, headDim)) in
        place. Query heads sharing a key head (repeat_kv) are grouped instead of copying the keys: query head
        j * groups + g, row i becomes row g * L + i of group j, which is what the additive mask
        ((groups * L, start + L), used when masked) is laid out for.
        """
        length = x.size(0)
        kv_heads = key_cache.size(0)
        head_dim = key_cache.size(2)
        groups = heads // kv_heads
        total = start + length
        q, k, v = self.rotated_qkv(x, weights, cos, sin, eps, heads, kv_heads, head_dim)
        key_cache.narrow(1, start, length).copy_(k)
        value_cache.narrow(1, start, length).copy_(v)
        keys = key_cache.narrow(1, 0, total)
        values = value_cache.narrow(1, 0, total)
        qg = q.reshape(kv_heads, groups * length, head_dim)
        scale = 1.0 / (head_dim ** 0.5)
        if masked:
            ctx = self.causal_attention(qg, keys, values, mask, start, scale)
        else:
            ctx = self.sdpa(qg, keys, values, None, scale)
        ctx = ctx.reshape(heads, length, head_dim).transpose(0, 1).reshape(length, heads * head_dim)
        return self.output_and_mlp(x, ctx, weights, eps)

    @torch.jit.export
    def decoder_layer_batch(self, x: torch.Tensor, weights: List[torch.Tensor], key_caches: List[torch.Tensor],
                            value_caches: List[torch.Tensor], starts: List[int], cos: torch.Tensor,
                            sin: torch.Tensor, eps: float, heads: int) -> torch.Tensor:
        """decoder_layer for one new token of each of n independent sequences, x (n, hidden).

        Row i's key and value go into key_caches[i] / value_caches[i] at starts[i], and row i attends to
        that cache alone. The weights are read once for all n rows (a decode step is bound by reading
        them), while every per-row result is computed by the same kernels on the same shapes as in
        decoder_layer with L = 1: the engine only batches where a load-time probe found the two agree
        bit for bit (DecodeBatcher).
        """
        n = x.size(0)
        kv_heads = key_caches[0].size(0)
        head_dim = key_caches[0].size(2)
        groups = heads // kv_heads
        scale = 1.0 / (head_dim ** 0.5)
        q, k, v = self.rotated_qkv(x, weights, cos, sin, eps, heads, kv_heads, head_dim)
        rows: List[torch.Tensor] = []
        for i in range(n):
            start = starts[i]
            key_cache = key_caches[i]
            value_cache = value_caches[i]
            key_cache.narrow(1, start, 1).copy_(k.narrow(1, i, 1))
            value_cache.narrow(1, start, 1).copy_(v.narrow(1, i, 1))
            qg = q.narrow(1, i, 1).reshape(kv_heads, groups, head_dim)
            ctx = self.sdpa(qg, key_cache.narrow(1, 0, start + 1), value_cache.narrow(1, 0, start + 1), None,
                            scale)
            rows.append(ctx.reshape(1, heads * head_dim))
        return self.output_and_mlp(x, torch.cat(rows, 0), weights, eps)

    def rotated_qkv(self, x: torch.Tensor, weights: List[torch.Tensor], cos: torch.Tensor, sin: torch.Tensor,
                    eps: float, heads: int, kv_heads: int,
                    head_dim: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """input_layernorm, the fused q/k/v projection and rotary of x (L, hidden): q (heads, L, headDim),
        k and v (kvHeads, L, headDim)."""
        length = x.size(0)
        h = self.rms_norm(x, weights[0], eps)
        qkv = self.linear(h, weights[1], weights[2])
        q, k, v = qkv.split([heads * head_dim, kv_heads * head_dim, kv_heads * head_dim], dim=-1)
        q = self.rotate(q.reshape(length, heads, head_dim).transpose(0, 1), cos, sin)
        k = self.rotate(k.reshape(length, kv_heads, head_dim).transpose(0, 1), cos, sin)
        return q, k, v.reshape(length, kv_heads, head_dim).transpose(0, 1)

    def output_and_mlp(self, x: torch.Tensor, ctx: torch.Tensor, weights: List[torch.Tensor],
                       eps: float) -> torch.Tensor:
        """o_proj of the attention context (L, heads * headDim) and its residual, post_attention_layernorm and
        the SwiGLU MLP with its residual."""
        x = x + self.linear(ctx, weights[3], None)
        h = self.rms_norm(x, weights[4], eps)
        gate, up = self.linear(h, weights[5], None).chunk(2, dim=-1)
        return x + self.linear(torch.nn.functional.silu(gate) * up, weights[6], None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


if __name__ == "__main__":
    torch.jit.script(GuardtraceOps()).save(sys.argv[1])
