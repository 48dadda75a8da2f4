#!/usr/bin/python3
"""swa_ref.py - independent float64 numpy forward pass of an F32 llama-architecture GGUF with
sliding-window attention, the oracle for tests/test_sliding_window.c.

Written from the architecture description (RMSNorm, interleaved-pair RoPE, GQA, SwiGLU), not
from our C code. Each position p attends to positions max(0, p - W + 1) .. p (Mistral's window,
as llama.cpp's LLAMA_SWA_TYPE_STANDARD). Writes the logits of every position as float32
[n_tokens][n_vocab] to OUT.

usage: tools/swa_ref.py MODEL.gguf WINDOW OUT.f32 ID [ID ...]
(needs Debian's python3-numpy: run with /usr/bin/python3)
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quant_ref import read_gguf  # noqa: E402  (its minimal GGUF header parser)


def load(path):
    data, base, tensors = read_gguf(path)
    out = {}
    for name, ne, ttype, offset in tensors:
        assert ttype == 0, "F32 models only"
        n = int(np.prod(ne))
        arr = np.frombuffer(data, dtype="<f4", count=n, offset=base + offset).astype(np.float64)
        out[name] = arr.reshape(list(reversed(ne)))  # numpy row-major: [ne1][ne0]
    return out


def rmsnorm(x, w, eps=1e-5):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope(x, pos, theta):  # x: [n_head, head_dim], pairs (2i, 2i+1)
    hd = x.shape[-1]
    inv = theta ** (-np.arange(0, hd, 2) / hd)
    ang = pos * inv
    c, s = np.cos(ang), np.sin(ang)
    x0, x1 = x[:, 0::2], x[:, 1::2]
    y = np.empty_like(x)
    y[:, 0::2] = x0 * c - x1 * s
    y[:, 1::2] = x0 * s + x1 * c
    return y


def main():
    path, window, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ids = [int(a) for a in sys.argv[4:]]
    t = load(path)
    _, _, tensors = read_gguf(path)
    n_layer = 1 + max(int(n.split(".")[1]) for n, *_ in tensors if n.startswith("blk."))
    n_embd = t["token_embd.weight"].shape[1]
    n_head, n_head_kv, theta = 4, 2, 10000.0  # mistral-s (see tests/data/reference README)
    head_dim = n_embd // n_head
    ks = [[] for _ in range(n_layer)]
    vs = [[] for _ in range(n_layer)]
    rows = []
    for pos, tok in enumerate(ids):
        x = t["token_embd.weight"][tok].copy()
        for il in range(n_layer):
            p = f"blk.{il}."
            h = rmsnorm(x, t[p + "attn_norm.weight"])
            q = rope((t[p + "attn_q.weight"] @ h).reshape(n_head, head_dim), pos, theta)
            k = rope((t[p + "attn_k.weight"] @ h).reshape(n_head_kv, head_dim), pos, theta)
            v = (t[p + "attn_v.weight"] @ h).reshape(n_head_kv, head_dim)
            ks[il].append(k)
            vs[il].append(v)
            first = max(0, pos - window + 1)
            K = np.stack(ks[il][first:pos + 1])  # [n_keys, n_head_kv, head_dim]
            V = np.stack(vs[il][first:pos + 1])
            att = np.empty((n_head, head_dim))
            for hh in range(n_head):
                kvh = hh // (n_head // n_head_kv)
                sc = K[:, kvh, :] @ q[hh] / np.sqrt(head_dim)
                pr = np.exp(sc - sc.max())
                pr /= pr.sum()
                att[hh] = pr @ V[:, kvh, :]
            x = x + t[p + "attn_output.weight"] @ att.reshape(-1)
            h = rmsnorm(x, t[p + "ffn_norm.weight"])
            g = t[p + "ffn_gate.weight"] @ h
            u = t[p + "ffn_up.weight"] @ h
            x = x + t[p + "ffn_down.weight"] @ (g / (1 + np.exp(-g)) * u)
        rows.append(t["output.weight"] @ rmsnorm(x, t["output_norm.weight"]))
    np.asarray(rows, dtype="<f4").tofile(out)


if __name__ == "__main__":
    main()
