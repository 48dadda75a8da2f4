#!/usr/bin/python3
"""quant_ref.py - independent numpy dequantizer for ggml block types, used to make the expected
values of tests/test_quant.c.

Reads the llama.cpp-made reference GGUFs (its own minimal GGUF parser, no gguf-py), takes the
first values of one tensor of each type, dequantizes them with numpy following ggml's block
layouts (written from the format, not from our C code; float32 arithmetic in ggml's operation
order so results are bit-equal) and writes tests/data/quant/<TYPE>.blocks (the raw blocks) and
<TYPE>.f32 (the expected floats, little-endian), and master.<tensor>.f32: the first 2048
values of token_embd.weight / output.weight in the F32 master those blocks were made from.

usage: tools/quant_ref.py [REFERENCE_DIR] [OUT_DIR]
"""
import os
import struct
import sys

import numpy as np

F32 = np.float32

# type id -> (name, values per block, bytes per block)
TYPES = {0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
         6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 10: ("Q2_K", 256, 84),
         11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176),
         14: ("Q6_K", 256, 210), 30: ("BF16", 1, 2)}


# ---- GGUF header: just enough to find tensors (little-endian, v2/v3) ----

class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        v = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return v[0] if len(v) == 1 else v

    def string(self):
        n = self.take("Q")
        s = self.data[self.pos:self.pos + n].decode("utf-8", "replace")
        self.pos += n
        return s

    SCALAR = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}

    def value(self, vtype):
        if vtype == 8:
            return self.string()
        if vtype == 9:
            etype, n = self.take("I"), self.take("Q")
            return [self.value(etype) for _ in range(n)]
        return self.take(self.SCALAR[vtype])


def read_gguf(path):
    data = open(path, "rb").read()
    r = Reader(data)
    assert r.take("4s") == b"GGUF", path
    version, n_tensors, n_kv = r.take("I"), r.take("Q"), r.take("Q")
    assert version in (2, 3)
    kv = {}
    for _ in range(n_kv):
        key = r.string()
        kv[key] = r.value(r.take("I"))
    tensors = []
    for _ in range(n_tensors):
        name = r.string()
        n_dims = r.take("I")
        ne = [r.take("Q") for _ in range(n_dims)]
        ttype, offset = r.take("I"), r.take("Q")
        tensors.append((name, ne, ttype, offset))
    align = kv.get("general.alignment", 32)
    base = (r.pos + align - 1) // align * align
    return data, base, tensors


# ---- dequantizers: blocks (nb, type_size) uint8 -> (nb, block) float32 ----

def f16(b):  # (nb, 2) bytes -> (nb,) float32, exact
    return np.ascontiguousarray(b).view("<f2").astype(F32).reshape(-1)


def u32(b):
    return np.ascontiguousarray(b).view("<u4").reshape(-1)


def deq_f16(b):
    return np.ascontiguousarray(b).view("<f2").astype(F32)


def deq_bf16(b):
    return (np.ascontiguousarray(b).view("<u2").astype(np.uint32) << 16).view(F32)


def nibbles(qs):  # (nb, 16) -> (nb, 32): low nibbles are values 0..15, high ones 16..31
    return np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int32)


def high_bits(qh):  # (nb, 4) -> (nb, 32) bit j of the little-endian u32
    return ((u32(qh)[:, None] >> np.arange(32, dtype=np.uint32)) & 1).astype(np.int32)


def deq_q4_0(b):
    d = f16(b[:, 0:2])[:, None]
    return (nibbles(b[:, 2:18]) - 8).astype(F32) * d


def deq_q4_1(b):
    d, m = f16(b[:, 0:2])[:, None], f16(b[:, 2:4])[:, None]
    return nibbles(b[:, 4:20]).astype(F32) * d + m


def deq_q5_0(b):
    d = f16(b[:, 0:2])[:, None]
    q = nibbles(b[:, 6:22]) | (high_bits(b[:, 2:6]) << 4)
    return (q - 16).astype(F32) * d


def deq_q5_1(b):
    d, m = f16(b[:, 0:2])[:, None], f16(b[:, 2:4])[:, None]
    q = nibbles(b[:, 8:24]) | (high_bits(b[:, 4:8]) << 4)
    return q.astype(F32) * d + m


def deq_q8_0(b):
    d = f16(b[:, 0:2])[:, None]
    return b[:, 2:34].view(np.int8).astype(F32) * d


def crumbs(qs):
    """(nb, 64) bytes of 2-bit quants -> (nb, 256): 128-value halves c use qs[32c:32c+32];
    within a half, shift 2j gives values 32j..32j+31 of that half."""
    out = []
    for c in range(2):
        q = qs[:, 32 * c:32 * c + 32].astype(np.int32)
        for j in range(4):
            out.append((q >> (2 * j)) & 3)
    return np.concatenate(out, axis=1)


def per16(a):  # (nb, 16) per-group -> (nb, 256)
    return np.repeat(a, 16, axis=1)


def deq_q2_K(b):
    scales = b[:, 0:16].astype(np.int32)
    q = crumbs(b[:, 16:80])
    d, dmin = f16(b[:, 80:82])[:, None], f16(b[:, 82:84])[:, None]
    dl = d * (scales & 0xF).astype(F32)
    ml = dmin * (scales >> 4).astype(F32)
    return per16(dl) * q.astype(F32) - per16(ml)


def deq_q3_K(b):
    hmask, qs, sc, d = b[:, 0:32], b[:, 32:96], b[:, 96:108], f16(b[:, 108:110])[:, None]
    # scales: the 12 bytes as three u32 words; kmask trick of ggml's reference
    a = np.ascontiguousarray(sc).view("<u4").astype(np.uint32)
    a0, a1, tmp = a[:, 0], a[:, 1], a[:, 2]
    k1, k2 = np.uint32(0x03030303), np.uint32(0x0F0F0F0F)
    w = np.stack([(a0 & k2) | (((tmp >> 0) & k1) << 4), (a1 & k2) | (((tmp >> 2) & k1) << 4),
                  ((a0 >> 4) & k2) | (((tmp >> 4) & k1) << 4),
                  ((a1 >> 4) & k2) | (((tmp >> 6) & k1) << 4)], axis=1).astype("<u4")
    scales = w.view(np.int8).astype(np.int32) - 32  # (nb, 16)
    low = crumbs(qs)
    hm = hmask.astype(np.int32)
    high = []
    for c in range(2):
        for j in range(4):
            high.append((hm >> (4 * c + j)) & 1)  # 32 values: hmask[0..31]
    high = np.concatenate(high, axis=1)
    q = low - np.where(high == 1, 0, 4)
    dl = d * scales.astype(F32)
    return per16(dl) * q.astype(F32)


def scales_mins_k4(sc):
    """12 bytes -> (scales (nb, 8), mins (nb, 8)) via the utmp/kmask form of ggml's dot."""
    u = np.ascontiguousarray(sc).view("<u4").astype(np.uint32)
    k1, k2, k3 = np.uint32(0x3F3F3F3F), np.uint32(0x0F0F0F0F), np.uint32(0x03030303)
    u0, u1, u2 = u[:, 0], u[:, 1], u[:, 2]
    w3 = ((u2 >> 4) & k2) | (((u1 >> 6) & k3) << 4)
    w2 = u1 & k1
    w1 = (u2 & k2) | (((u0 >> 6) & k3) << 4)
    w0 = u0 & k1
    s = np.stack([w0, w1], axis=1).astype("<u4").view(np.uint8).astype(np.int32)
    m = np.stack([w2, w3], axis=1).astype("<u4").view(np.uint8).astype(np.int32)
    return s, m


def deq_q45_K(b, has_qh):
    d, dmin = f16(b[:, 0:2])[:, None], f16(b[:, 2:4])[:, None]
    s, m = scales_mins_k4(b[:, 4:16])
    if has_qh:
        qh, qs = b[:, 16:48].astype(np.int32), b[:, 48:176].astype(np.int32)
    else:
        qh, qs = None, b[:, 16:144].astype(np.int32)
    parts = []
    for j in range(4):
        q = qs[:, 32 * j:32 * j + 32]
        for h in range(2):
            v = (q >> 4) if h else (q & 0xF)
            if has_qh:
                v = v + 16 * ((qh >> (2 * j + h)) & 1)
            parts.append(v)
    q = np.concatenate(parts, axis=1)
    dl = np.repeat(d * s.astype(F32), 32, axis=1)
    ml = np.repeat(dmin * m.astype(F32), 32, axis=1)
    return dl * q.astype(F32) - ml


def deq_q6_K(b):
    ql, qh = b[:, 0:128].astype(np.int32), b[:, 128:192].astype(np.int32)
    sc, d = b[:, 192:208].view(np.int8).astype(np.int32), f16(b[:, 208:210])[:, None]
    parts = []
    for c in range(2):
        l0, l1 = ql[:, 64 * c:64 * c + 32], ql[:, 64 * c + 32:64 * c + 64]
        h = qh[:, 32 * c:32 * c + 32]
        parts += [(l0 & 0xF) | (((h >> 0) & 3) << 4), (l1 & 0xF) | (((h >> 2) & 3) << 4),
                  (l0 >> 4) | (((h >> 4) & 3) << 4), (l1 >> 4) | (((h >> 6) & 3) << 4)]
    q = np.concatenate(parts, axis=1) - 32
    return per16(d * sc.astype(F32)) * q.astype(F32)


DEQ = {"F16": deq_f16, "BF16": deq_bf16, "Q4_0": deq_q4_0, "Q4_1": deq_q4_1, "Q5_0": deq_q5_0,
       "Q5_1": deq_q5_1, "Q8_0": deq_q8_0, "Q2_K": deq_q2_K, "Q3_K": deq_q3_K,
       "Q4_K": lambda b: deq_q45_K(b, False), "Q5_K": lambda b: deq_q45_K(b, True),
       "Q6_K": deq_q6_K}

# which reference file holds each type (see tests/data/reference/README of ../shared)
SOURCES = {"F16": "mistral-s.F16", "BF16": "mistral-s.BF16", "Q4_0": "mistral-s.Q4_0",
           "Q4_1": "mistral-s.Q4_1", "Q5_0": "mistral-s.Q5_0", "Q5_1": "mistral-s.Q5_1",
           "Q8_0": "mistral-s.Q8_0", "Q2_K": "mistral-s.Q2_K", "Q3_K": "mistral-s.Q3_K_M",
           "Q4_K": "mistral-s.Q4_K_M", "Q5_K": "mistral-s.Q5_K_M", "Q6_K": "mistral-s.Q6_K"}
N_VALUES = {"Q2_K": 2048, "Q3_K": 2048, "Q4_K": 2048, "Q5_K": 2048, "Q6_K": 2048}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ref = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "tests", "data", "reference")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "tests", "data", "quant")
    os.makedirs(out, exist_ok=True)
    for tname, src in SOURCES.items():
        data, base, tensors = read_gguf(os.path.join(ref, src + ".gguf"))
        hits = [t for t in tensors if TYPES.get(t[2], ("",))[0] == tname]
        assert hits, f"no {tname} tensor in {src}"
        name, ne, ttype, offset = hits[0]
        _, bs, ts = TYPES[ttype]
        n = min(N_VALUES.get(tname, 1024), int(np.prod(ne)))
        raw = np.frombuffer(data, np.uint8, n // bs * ts, base + offset).reshape(n // bs, ts)
        y = DEQ[tname](raw).reshape(-1).astype("<f4")
        assert y.size == n and np.all(np.isfinite(y))
        raw.tofile(os.path.join(out, tname + ".blocks"))
        y.tofile(os.path.join(out, tname + ".f32"))
        print(f"{tname}: {src}.gguf {name} {ne}: {n} values, {raw.size} bytes, "
              f"range [{y.min():.4g}, {y.max():.4g}]")
    # the F32 master values those blocks were quantized from (weight quantizer check)
    data, base, tensors = read_gguf(os.path.join(ref, "mistral-s.F32.gguf"))
    for name, ne, ttype, offset in tensors:
        if name in ("token_embd.weight", "output.weight"):
            x = np.frombuffer(data, "<f4", 2048, base + offset)
            x.tofile(os.path.join(out, "master." + name.split(".")[0] + ".f32"))
            print(f"master {name}: 2048 values")


if __name__ == "__main__":
    main()
