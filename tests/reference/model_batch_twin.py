#!/usr/bin/env python3
"""tests/reference/model_batch_twin.py: a PyTorch twin of qaudio's Qwen-Audio model (model/), written from
shared/docs/qwen-audio-spec.md sections 1-4 only. Run by hand (never by CI) with Debian's python3-torch:

    /usr/bin/python3 tests/reference/model_batch_twin.py check [--shared ../shared]
        reproduces the shared golden of the official code (golden/model/tiny): encoder output,
        logits rows, loss, gradients; prints the differences (run this first).
    /usr/bin/python3 tests/reference/model_batch_twin.py write [--out tests/data/model/twin]
        writes what the shared golden lacks, on a small checkpoint (vocab 512, n_ctx 200):
        three WAV clips of different lengths (one with an odd mel_len), a sample with two audios in
        one row, and a right-padded batch of two rows (three audios encoded together, padded to the
        longest): logits, losses and every parameter's gradient. tests/unit/test_model_twin.c
        compares qaudio against them.

Everything is float32 on CPU, like the official forward. Batching choices (docs/model.md): right
padding; keys at positions >= len_b are masked in every LLM layer (with the causal mask); labels -100
at padding; the loss is the token mean over the whole batch.
"""
import argparse
import json
import math
import os
import struct
import sys
import wave

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mel_twin import log_mel_full  # noqa: E402  (the project's mel twin: Whisper's recipe)

torch.set_num_threads(2)
AUDIO_PAD = 151851


# ----------------------------------------------------------------------------------------- I/O
def st_read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        hdr = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in hdr.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        raw = data[b:e]
        if v["dtype"] == "F32":
            a = np.frombuffer(raw, dtype="<f4").copy()
        elif v["dtype"] == "BF16":
            a = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32).copy()
        elif v["dtype"] == "I64":
            a = np.frombuffer(raw, dtype="<i8").copy()
        else:
            raise ValueError(v["dtype"])
        out[k] = a.reshape(v["shape"])
    return out


def st_write(path, tensors):
    """F32 / I64 tensors, ordered by element size then name (as the reference writer)."""
    items = sorted(tensors.items(), key=lambda kv: (-kv[1].dtype.itemsize, kv[0]))
    hdr, off, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for k, a in items:
        a = np.ascontiguousarray(a)
        dt = {np.dtype("float32"): "F32", np.dtype("int64"): "I64"}[a.dtype]
        b = a.astype(a.dtype.newbyteorder("<")).tobytes()
        hdr[k] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(hdr, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_wav16(path):
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1 and w.getframerate() == 16000
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return x.astype(np.float32) / 32768.0


def write_wav16(path, x):
    pcm = np.clip(np.round(x * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm.tobytes())


def lengths(samples):
    L = min(samples, 480000)
    mel_len = L // 160
    t_cnn = (mel_len - 1) // 2 + 1
    n_audio = (t_cnn - 2) // 2 + 1
    return mel_len, t_cnn, n_audio


def mel_filters(shared):
    return np.load(os.path.join(shared, "assets", "mel_filters.npz"))["mel_80"]


# -------------------------------------------------------------------------------------- model
def sinusoids(length, channels):
    inv = torch.exp(-math.log(10000) / (channels // 2 - 1) * torch.arange(channels // 2, dtype=torch.float32))
    t = torch.arange(length, dtype=torch.float32)[:, None] * inv[None, :]
    return torch.cat([torch.sin(t), torch.cos(t)], dim=1)


def encoder(P, cfg, mels, t_cnn, n_audio):
    """mels (N, 80, 3000) full padded; returns list of (n_audio_i + 2, D)."""
    A = "transformer.audio."
    a = cfg["audio"]
    H, E = a["n_head"], a["n_state"]
    Dh = E // H
    T = max(t_cnn)
    x = mels[:, :, : 2 * T]
    x = F.gelu(F.conv1d(x, P[A + "conv1.weight"], P[A + "conv1.bias"], stride=1, padding=1))
    x = F.gelu(F.conv1d(x, P[A + "conv2.weight"], P[A + "conv2.bias"], stride=2, padding=1))
    x = x.permute(0, 2, 1)
    x = x + P[A + "positional_embedding"][:T]
    N = x.shape[0]
    valid = torch.arange(T)[None, :] < torch.tensor(t_cnn)[:, None]  # (N, T)
    x = x * valid[:, :, None].to(x.dtype)
    keymask = torch.zeros(N, 1, 1, T)
    keymask[~valid[:, None, None, :]] = float("-inf")
    scale = Dh ** -0.25
    for l in range(a["n_layer"]):
        b = f"{A}blocks.{l}."
        h = F.layer_norm(x, (E,), P[b + "attn_ln.weight"], P[b + "attn_ln.bias"], 1e-5)
        q = F.linear(h, P[b + "attn.query.weight"], P[b + "attn.query.bias"])
        k = F.linear(h, P[b + "attn.key.weight"])
        v = F.linear(h, P[b + "attn.value.weight"], P[b + "attn.value.bias"])
        q = q.view(N, T, H, Dh).permute(0, 2, 1, 3) * scale
        k = k.view(N, T, H, Dh).permute(0, 2, 3, 1) * scale
        v = v.view(N, T, H, Dh).permute(0, 2, 1, 3)
        w = torch.softmax(q @ k + keymask, dim=-1)
        o = (w @ v).permute(0, 2, 1, 3).reshape(N, T, E)
        x = x + F.linear(o, P[b + "attn.out.weight"], P[b + "attn.out.bias"])
        h = F.layer_norm(x, (E,), P[b + "mlp_ln.weight"], P[b + "mlp_ln.bias"], 1e-5)
        x = x + F.linear(F.gelu(F.linear(h, P[b + "mlp.0.weight"], P[b + "mlp.0.bias"])), P[b + "mlp.2.weight"],
                         P[b + "mlp.2.bias"])
    x = F.avg_pool1d(x.permute(0, 2, 1), 2, 2).permute(0, 2, 1)
    x = F.layer_norm(x, (E,), P[A + "ln_post.weight"], P[A + "ln_post.bias"], 1e-5)
    x = F.linear(x, P[A + "proj.weight"], P[A + "proj.bias"])
    be = P[A + "audio_bos_eos_token.weight"]
    return [torch.cat([be[0:1], x[i, : n_audio[i]], be[1:2]], 0) for i in range(N)]


def rms(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, base):
    """x (B, T, H, Dh): rotate-half over the whole head, positions 0..T-1, computed in f32."""
    T, Dh = x.shape[1], x.shape[3]
    inv = 1.0 / (base ** (torch.arange(0, Dh, 2, dtype=torch.float32) / Dh))
    ang = torch.outer(torch.arange(T, dtype=torch.float32), inv)
    ang = torch.cat([ang, ang], -1)[None, :, None, :]
    x1, x2 = x[..., : Dh // 2], x[..., Dh // 2:]
    return x * ang.cos() + torch.cat([-x2, x1], -1) * ang.sin()


def lm(P, cfg, x, lens):
    B, T, D = x.shape
    H, Dh = cfg["num_attention_heads"], cfg["kv_channels"]
    Pw = H * Dh
    eps = cfg["layer_norm_epsilon"]
    mask = torch.full((T, T), float("-inf")).triu(1)[None, None].repeat(B, 1, 1, 1)
    for bi, n in enumerate(lens):
        mask[bi, :, :, n:] = float("-inf")
    # a fully masked row (padding query beyond every key) would give NaN: let padded queries see key 0
    mask[:, :, :, 0] = 0.0
    for l in range(cfg["num_hidden_layers"]):
        b = f"transformer.h.{l}."
        h = rms(x, P[b + "ln_1.weight"], eps)
        qkv = F.linear(h, P[b + "attn.c_attn.weight"], P[b + "attn.c_attn.bias"])
        q, k, v = qkv.split(Pw, dim=-1)
        q = rope(q.view(B, T, H, Dh), cfg["rotary_emb_base"]).permute(0, 2, 1, 3)
        k = rope(k.view(B, T, H, Dh), cfg["rotary_emb_base"]).permute(0, 2, 1, 3)
        v = v.view(B, T, H, Dh).permute(0, 2, 1, 3)
        w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(Dh) + mask, dim=-1)
        o = (w @ v).permute(0, 2, 1, 3).reshape(B, T, Pw)
        x = x + F.linear(o, P[b + "attn.c_proj.weight"])
        h = rms(x, P[b + "ln_2.weight"], eps)
        x = x + F.linear(F.linear(h, P[b + "mlp.w1.weight"]) * F.silu(F.linear(h, P[b + "mlp.w2.weight"])),
                         P[b + "mlp.c_proj.weight"])
    x = rms(x, P["transformer.ln_f.weight"], eps)
    return F.linear(x, P["lm_head.weight"])


def model(P, cfg, ids, labels, lens, mels, t_cnn, n_audio):
    """ids, labels (B, T) int64; returns logits (B, T, V), loss, encoder spans."""
    x = F.embedding(ids, P["transformer.wte.weight"])
    spans = encoder(P, cfg, mels, t_cnn, n_audio) if len(t_cnn) else []
    st = cfg["audio"]["audio_start_id"]
    k, rows = 0, []
    for b in range(ids.shape[0]):
        row = x[b]
        starts = (ids[b] == st).nonzero().flatten().tolist()
        ends = (ids[b] == st + 1).nonzero().flatten().tolist()
        for s, e in zip(starts, ends):
            assert e - s + 1 == spans[k].shape[0]
            row = torch.cat([row[:s], spans[k], row[e + 1:]], 0)
            k += 1
        rows.append(row)
    x = torch.stack(rows)
    logits = lm(P, cfg, x, lens)
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1),
                           ignore_index=-100)
    return logits, loss, spans


def load_params(st, requires_grad):
    P = {}
    for k, v in st.items():
        t = torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32))
        t.requires_grad_(requires_grad and k != "transformer.audio.positional_embedding")
        P[k] = t
    return P


# ------------------------------------------------------------------------- check vs shared golden
def check(shared):
    G = os.path.join(shared, "golden", "model", "tiny")
    cfg = json.load(open(os.path.join(G, "checkpoint", "config.json")))
    P = load_params(st_read(os.path.join(G, "checkpoint", "model.safetensors")), True)
    meta = json.load(open(os.path.join(G, "input_ids.json")))
    pcm = read_wav16(os.path.join(G, "clip.wav"))
    mel = torch.from_numpy(log_mel_full(pcm, mel_filters(shared)))[None]
    _, tc, na = lengths(len(pcm))
    ids = torch.tensor([meta["input_ids"]])
    labels = ids.clone()
    labels[:, : meta["labels_from"]] = -100
    logits, loss, spans = model(P, cfg, ids, labels, [ids.shape[1]], mel, [tc], [na])
    loss.backward()
    enc = np.load(os.path.join(G, "encoder_out.npy"))
    print("encoder_out max|diff|", np.abs(spans[0].detach().numpy() - enc).max())
    rows = json.load(open(os.path.join(G, "rows.json")))
    lr = np.load(os.path.join(G, "logits_rows.npy"))
    print("logits rows max|diff|", np.abs(logits[0, rows].detach().numpy() - lr).max())
    print("loss", loss.item(), "golden", json.load(open(os.path.join(G, "loss.json")))["loss"])
    g = st_read(os.path.join(G, "grads_all.safetensors"))
    worst = 0.0
    for k, v in g.items():
        if k.endswith(".row_ids"):
            continue
        if k.endswith(".rows"):
            name = k[: -len(".rows")]
            mine = P[name].grad.numpy()[g[name + ".row_ids"]]
        else:
            mine = P[k].grad.numpy()
        r = np.abs(mine - v).max() / max(np.abs(v).max(), 1e-30)
        if r > worst:
            worst, wname = r, k
    print("grads worst relative diff", worst, wname, "over", len([k for k in g if not k.endswith(".row_ids")]), "tensors")


# --------------------------------------------------------------------------------- new goldens
def make_config(shared):
    cfg = json.load(open(os.path.join(shared, "golden", "model", "tiny", "checkpoint", "config.json")))
    cfg["vocab_size"] = 512
    cfg["audio"].update({"n_ctx": 200, "n_state": 32, "n_head": 4, "audio_start_id": 500})
    return cfg


def make_params(cfg, gen):
    a, E, D, V = cfg["audio"], cfg["audio"]["n_state"], cfg["hidden_size"], cfg["vocab_size"]
    Ef, Pw, Fw = 4 * E, cfg["num_attention_heads"] * cfg["kv_channels"], cfg["intermediate_size"] // 2
    A = "transformer.audio."

    def n(*shape, std=0.1):
        return (torch.randn(*shape, generator=gen) * std).numpy()

    def norm_w(d):
        return (1.0 + 0.1 * torch.randn(d, generator=gen)).numpy()

    P = {A + "conv1.weight": n(E, 80, 3, std=0.05), A + "conv1.bias": n(E, std=0.05),
         A + "conv2.weight": n(E, E, 3, std=0.05), A + "conv2.bias": n(E, std=0.05),
         A + "positional_embedding": sinusoids(a["n_ctx"], E).numpy()}
    for l in range(a["n_layer"]):
        b = f"{A}blocks.{l}."
        P.update({b + "attn.query.weight": n(E, E), b + "attn.query.bias": n(E, std=0.05),
                  b + "attn.key.weight": n(E, E), b + "attn.value.weight": n(E, E),
                  b + "attn.value.bias": n(E, std=0.05), b + "attn.out.weight": n(E, E),
                  b + "attn.out.bias": n(E, std=0.05), b + "attn_ln.weight": norm_w(E),
                  b + "attn_ln.bias": n(E, std=0.05), b + "mlp.0.weight": n(Ef, E), b + "mlp.0.bias": n(Ef, std=0.05),
                  b + "mlp.2.weight": n(E, Ef), b + "mlp.2.bias": n(E, std=0.05), b + "mlp_ln.weight": norm_w(E),
                  b + "mlp_ln.bias": n(E, std=0.05)})
    P.update({A + "ln_post.weight": norm_w(E), A + "ln_post.bias": n(E, std=0.05), A + "proj.weight": n(D, E),
              A + "proj.bias": n(D, std=0.05), A + "audio_bos_eos_token.weight": n(2, D),
              "transformer.wte.weight": n(V, D), "transformer.ln_f.weight": norm_w(D), "lm_head.weight": n(V, D)})
    for l in range(cfg["num_hidden_layers"]):
        b = f"transformer.h.{l}."
        P.update({b + "ln_1.weight": norm_w(D), b + "attn.c_attn.weight": n(3 * Pw, D),
                  b + "attn.c_attn.bias": n(3 * Pw, std=0.05), b + "attn.c_proj.weight": n(D, Pw, std=0.05),
                  b + "ln_2.weight": norm_w(D), b + "mlp.w1.weight": n(Fw, D), b + "mlp.w2.weight": n(Fw, D),
                  b + "mlp.c_proj.weight": n(D, Fw, std=0.05)})
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in P.items()}


def clip(gen, samples, f0, f1):
    t = torch.arange(samples, dtype=torch.float64) / 16000.0
    dur = samples / 16000.0
    phase = 2 * math.pi * (f0 * t + (f1 - f0) * t * t / (2 * dur))
    x = 0.3 * torch.sin(phase) * (0.6 + 0.4 * torch.sin(2 * math.pi * 3.0 * t)) + 0.02 * torch.randn(
        samples, generator=gen, dtype=torch.float64)
    return x.numpy()


def write(out, shared):
    os.makedirs(os.path.join(out, "checkpoint"), exist_ok=True)
    gen = torch.Generator().manual_seed(4321)
    cfg = make_config(shared)
    st = make_params(cfg, gen)
    json.dump(cfg, open(os.path.join(out, "checkpoint", "config.json"), "w"), indent=2)
    st_write(os.path.join(out, "checkpoint", "model.safetensors"), st)
    # clips: 1.01 s (mel_len 101 odd: the extra frame), 1.73 s, 0.5 s
    specs = [("a.wav", 16160, 300, 1200), ("b.wav", 27680, 700, 200), ("c.wav", 8000, 1500, 2500)]
    filt = mel_filters(shared)
    mels, L = {}, {}
    for name, n, f0, f1 in specs:
        write_wav16(os.path.join(out, name), clip(gen, n, f0, f1))
        pcm = read_wav16(os.path.join(out, name))
        mels[name] = torch.from_numpy(log_mel_full(pcm, filt))
        L[name] = lengths(len(pcm))
    st_id, V = cfg["audio"]["audio_start_id"], cfg["vocab_size"]

    def span(name):
        return [st_id] + [AUDIO_PAD % V] * (L[name][2]) + [st_id + 1]

    def text(k):
        return [int(v) for v in torch.randint(0, 450, (k,), generator=gen)]

    row0 = text(5) + span("a.wav") + text(3) + span("b.wav") + text(4)
    from0 = len(row0)
    row0 += text(12)
    row1 = text(2) + span("c.wav") + text(3)
    from1 = len(row1)
    row1 += text(6)
    meta = {"rows": [row0, row1], "labels_from": [from0, from1], "audios": [["a.wav", "b.wav"], ["c.wav"]],
            "lengths": {k: {"mel_len": v[0], "T_cnn": v[1], "n_audio": v[2]} for k, v in L.items()}}

    def run(rows, froms, names, tag):
        T = max(len(r) for r in rows)
        ids = torch.zeros(len(rows), T, dtype=torch.long)
        labels = torch.full((len(rows), T), -100, dtype=torch.long)
        for b, (r, f) in enumerate(zip(rows, froms)):
            ids[b, : len(r)] = torch.tensor(r)
            labels[b, f: len(r)] = torch.tensor(r[f:])
        P = load_params(st, True)
        mel = torch.stack([mels[n] for n in names])
        logits, loss, spans = model(P, cfg, ids, labels, [len(r) for r in rows], mel, [L[n][1] for n in names],
                                    [L[n][2] for n in names])
        loss.backward()
        np.save(os.path.join(out, f"{tag}_logits.npy"), logits.detach().numpy().astype(np.float32))
        if tag == "batch":  # every parameter's gradient (stage 1 / stage 2 are subsets of it)
            st_write(os.path.join(out, f"{tag}_grads.safetensors"),
                     {k: p.grad.numpy() for k, p in P.items() if p.grad is not None})
        meta[f"{tag}_loss"] = loss.item()
        meta[f"{tag}_label_tokens"] = int((labels[:, 1:] != -100).sum())
        print(tag, "loss", loss.item(), "logits", tuple(logits.shape))

    run([row0], [from0], ["a.wav", "b.wav"], "two_audios")
    run([row0, row1], [from0, from1], ["a.wav", "b.wav", "c.wav"], "batch")
    meta["made_with"] = f"tests/reference/model_batch_twin.py write; torch {torch.__version__}, numpy {np.__version__}"
    json.dump(meta, open(os.path.join(out, "meta.json"), "w"), indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["check", "write"])
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--out", default="tests/data/model/twin")
    a = ap.parse_args()
    if a.what == "check":
        check(a.shared)
    else:
        write(a.out, a.shared)


if __name__ == "__main__":
    main()
