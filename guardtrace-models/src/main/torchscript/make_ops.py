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
from typing import List

import torch


class GuardtraceOps(torch.nn.Module):
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
        # reference's eager attention gives the same result within bf16 rounding; the fused kernel avoids
        # creating a new matmul primitive for every key length, which made bf16 decode steps slow.
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=scale)

    @torch.jit.export
    def attention_masked(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor,
                         scale: float) -> torch.Tensor:
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale)

    @torch.jit.export
    def silu_mul(self, gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.silu(gate) * up

    @torch.jit.export
    def gelu(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.gelu(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


if __name__ == "__main__":
    torch.jit.script(GuardtraceOps()).save(sys.argv[1])
