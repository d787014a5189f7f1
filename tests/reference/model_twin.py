#!/usr/bin/env python3
"""PyTorch twin of the Qwen-Audio model, written by us from shared/docs/qwen-audio-spec.md sections
1-4 (front end, encoder, LLM, splice). Run by hand, never by CI (Debian python3-torch 1.13):

    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tests/reference/model_twin.py verify
    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tests/reference/model_twin.py write tests/data/model

`verify` loads the shared tiny golden checkpoint (golden/model/tiny) and checks that this twin
reproduces the official code's encoder output, logits, loss and gradients there.
`write` makes the extra goldens the shared set lacks (see tests/data/model/README.md): one batch of
two rows, left-padded, row 0 holding two audios of different lengths, row 1 one audio; every audio
of the batch encoded together, padded to the longest; encoder output, logits (at a column subset),
loss, and every parameter's gradient under stage-1 (LLM frozen) and stage-2 (encoder frozen).
All arithmetic is float32, as the reference on CPU.
"""
import json
import math
import os
import struct
import sys
import wave

import numpy as np
import torch
import torch.nn.functional as Fn

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("QAUDIO_SHARED", os.path.join(HERE, "..", "..", "..", "shared"))
GOLD = os.path.join(SHARED, "golden", "model", "tiny")

# ---------------------------------------------------------------- safetensors (our own reader/writer)
DT = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def st_read(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    h.pop("__metadata__", None)
    out = {}
    for k, e in h.items():
        s, t = e["data_offsets"]
        raw = b[8 + n + s:8 + n + t]
        if e["dtype"] == "BF16":
            a = (np.frombuffer(raw, np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(raw, DT[e["dtype"]])
        out[k] = a.reshape(e["shape"]).copy()
    return out


def st_write(path, tensors):
    """Writes like the reference writer: by element size (desc) then name; header padded to 8."""
    names = sorted(tensors, key=lambda k: (-tensors[k].dtype.itemsize, k))
    hdr, pos = {"__metadata__": {"format": "pt"}}, 0
    inv = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}
    for k in names:
        a = tensors[k]
        hdr[k] = {"dtype": inv[a.dtype], "shape": list(a.shape), "data_offsets": [pos, pos + a.nbytes]}
        pos += a.nbytes
    text = json.dumps(hdr, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text.encode())
        for k in names:
            f.write(np.ascontiguousarray(tensors[k]).tobytes())
    os.replace(path + ".tmp", path)


# ---------------------------------------------------------------- front end (spec section 1)
def read_wav16(path, start=0, count=None):
    w = wave.open(path)
    assert w.getnchannels() == 1 and w.getsampwidth() == 2 and w.getframerate() == 16000
    x = np.frombuffer(w.readframes(w.getnframes()), np.int16)
    x = x[start:] if count is None else x[start:start + count]
    return x.copy()


def log_mel_30s(pcm16):
    """Whisper log-mel of the zero-padded 30 s buffer: (80, 3000) float32."""
    audio = torch.from_numpy(pcm16.astype(np.float32) / 32768.0)
    audio = Fn.pad(audio, (0, 480000 - audio.shape[0])) if audio.shape[0] < 480000 else audio[:480000]
    filters = torch.from_numpy(np.load(os.path.join(SHARED, "assets", "mel_filters.npz"))["mel_80"])
    window = torch.hann_window(400)
    stft = torch.stft(audio, 400, 160, window=window, return_complex=True)
    mag = stft[..., :-1].abs() ** 2
    mel = filters @ mag
    log_spec = torch.clamp(mel, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    return ((log_spec + 4.0) / 4.0).numpy()


def audio_lengths(num_samples):
    mel_len = min(num_samples, 480000) // 160
    t_cnn = (mel_len - 1) // 2 + 1
    n_audio = (t_cnn - 2) // 2 + 1
    return mel_len, t_cnn, n_audio


# ---------------------------------------------------------------- model (spec sections 2-4)
class Cfg:
    def __init__(self, j):
        a = j["audio"]
        self.E, self.EH, self.EL = a["n_state"], a["n_head"], a["n_layer"]
        self.D, self.H, self.Dh = j["hidden_size"], j["num_attention_heads"], j["kv_channels"]
        self.L, self.F = j["num_hidden_layers"], j["intermediate_size"] // 2
        self.eps, self.base, self.V = j["layer_norm_epsilon"], j["rotary_emb_base"], j["vocab_size"]
        self.audio_start = a["audio_start_id"]


def encoder(p, c, mel, t_cnn):
    """mel (A, 80, 2*max T_cnn) -> list of (n_audio_i + 2, D) tensors."""
    A = "transformer.audio."
    x = Fn.gelu(Fn.conv1d(mel, p[A + "conv1.weight"], p[A + "conv1.bias"], padding=1))
    x = Fn.gelu(Fn.conv1d(x, p[A + "conv2.weight"], p[A + "conv2.bias"], stride=2, padding=1))
    x = x.permute(0, 2, 1)                              # A, T, E
    T = x.shape[1]
    x = x + p[A + "positional_embedding"][:T]
    valid = torch.arange(T)[None, :] < torch.tensor(t_cnn)[:, None]   # A, T
    x = x * valid[:, :, None].to(x.dtype)               # padded positions 0 after the pos-emb
    kmask = torch.zeros(valid.shape).masked_fill(~valid, float("-inf"))[:, None, None, :]
    Dh = c.E // c.EH
    scale = Dh ** -0.25
    for l in range(c.EL):
        b = f"{A}blocks.{l}."
        h = Fn.layer_norm(x, (c.E,), p[b + "attn_ln.weight"], p[b + "attn_ln.bias"], 1e-5)
        q = Fn.linear(h, p[b + "attn.query.weight"], p[b + "attn.query.bias"])
        k = Fn.linear(h, p[b + "attn.key.weight"])
        v = Fn.linear(h, p[b + "attn.value.weight"], p[b + "attn.value.bias"])
        q = q.view(-1, T, c.EH, Dh).permute(0, 2, 1, 3) * scale
        k = k.view(-1, T, c.EH, Dh).permute(0, 2, 3, 1) * scale
        v = v.view(-1, T, c.EH, Dh).permute(0, 2, 1, 3)
        w = torch.softmax(q @ k + kmask, dim=-1)
        o = (w @ v).permute(0, 2, 1, 3).reshape(-1, T, c.E)
        x = x + Fn.linear(o, p[b + "attn.out.weight"], p[b + "attn.out.bias"])
        h = Fn.layer_norm(x, (c.E,), p[b + "mlp_ln.weight"], p[b + "mlp_ln.bias"], 1e-5)
        h = Fn.gelu(Fn.linear(h, p[b + "mlp.0.weight"], p[b + "mlp.0.bias"]))
        x = x + Fn.linear(h, p[b + "mlp.2.weight"], p[b + "mlp.2.bias"])
    x = Fn.avg_pool1d(x.permute(0, 2, 1), 2, 2).permute(0, 2, 1)
    x = Fn.layer_norm(x, (c.E,), p[A + "ln_post.weight"], p[A + "ln_post.bias"], 1e-5)
    x = Fn.linear(x, p[A + "proj.weight"], p[A + "proj.bias"])
    be = p[A + "audio_bos_eos_token.weight"]
    out = []
    for i, t in enumerate(t_cnn):
        n = (t - 2) // 2 + 1
        out.append(torch.cat([be[0:1], x[i, :n], be[1:2]], 0))
    return out


def rms(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, base):
    """x (B, T, H, Dh): rotate-half over the whole head, positions 0..T-1."""
    T, Dh = x.shape[1], x.shape[3]
    inv = 1.0 / (base ** (torch.arange(0, Dh, 2).float() / Dh))
    ang = torch.outer(torch.arange(T).float(), inv)
    ang = torch.cat([ang, ang], -1)[None, :, None, :]
    x1, x2 = x[..., :Dh // 2], x[..., Dh // 2:]
    return x * ang.cos() + torch.cat([-x2, x1], -1) * ang.sin()


def forward(p, c, ids, attn_mask, audio_out):
    """ids (B, T) long; attn_mask (B, T) 1 real / 0 pad; audio_out: list in batch-major order."""
    B, T = ids.shape
    x = Fn.embedding(ids, p["transformer.wte.weight"])
    rows = []
    k = 0
    for b in range(B):  # splice: from <audio> to </audio> inclusive
        xb = x[b]
        starts = (ids[b] == c.audio_start).nonzero().flatten().tolist()
        ends = (ids[b] == c.audio_start + 1).nonzero().flatten().tolist()
        assert len(starts) == len(ends)
        for s, e in zip(starts, ends):
            a = audio_out[k]
            k += 1
            assert a.shape[0] == e - s + 1
            xb = torch.cat([xb[:s], a, xb[e + 1:]], 0)
        rows.append(xb)
    assert k == len(audio_out)
    x = torch.stack(rows, 0)
    causal = torch.full((T, T), float("-inf")).triu(1)
    pad = torch.zeros(B, T).masked_fill(attn_mask == 0, torch.finfo(torch.float32).min)
    mask = causal[None, None] + pad[:, None, None, :]
    for l in range(c.L):
        b = f"transformer.h.{l}."
        h = rms(x, p[b + "ln_1.weight"], c.eps)
        qkv = Fn.linear(h, p[b + "attn.c_attn.weight"], p[b + "attn.c_attn.bias"])
        P = c.H * c.Dh
        q, kk, v = qkv[..., :P], qkv[..., P:2 * P], qkv[..., 2 * P:]
        q = rope(q.view(B, T, c.H, c.Dh), c.base).permute(0, 2, 1, 3)
        kk = rope(kk.view(B, T, c.H, c.Dh), c.base).permute(0, 2, 3, 1)
        v = v.view(B, T, c.H, c.Dh).permute(0, 2, 1, 3)
        w = torch.softmax(q @ kk / math.sqrt(c.Dh) + mask, -1)
        o = (w @ v).permute(0, 2, 1, 3).reshape(B, T, P)
        x = x + Fn.linear(o, p[b + "attn.c_proj.weight"])
        h = rms(x, p[b + "ln_2.weight"], c.eps)
        a1 = Fn.linear(h, p[b + "mlp.w1.weight"])
        a2 = Fn.linear(h, p[b + "mlp.w2.weight"])
        x = x + Fn.linear(a1 * Fn.silu(a2), p[b + "mlp.c_proj.weight"])
    x = rms(x, p["transformer.ln_f.weight"], c.eps)
    return Fn.linear(x, p["lm_head.weight"])


def loss_fn(logits, labels):
    lg = logits[:, :-1].reshape(-1, logits.shape[-1])
    lb = labels[:, 1:].reshape(-1)
    return Fn.cross_entropy(lg, lb, ignore_index=-100)


def load_params(ckdir):
    cfg = json.load(open(os.path.join(ckdir, "config.json")))
    return {k: torch.from_numpy(v) for k, v in st_read(os.path.join(ckdir, "model.safetensors")).items()}, Cfg(cfg)


def run(p, c, mel, t_cnn, ids, mask, labels, train=None):
    """Returns (encoder outputs, logits, loss, grads of the parameters in `train`)."""
    q = {k: (v.clone().requires_grad_(True) if train and k in train else v) for k, v in p.items()}
    enc = encoder(q, c, torch.from_numpy(mel), t_cnn)
    logits = forward(q, c, torch.from_numpy(ids), torch.from_numpy(mask), enc)
    loss = loss_fn(logits, torch.from_numpy(labels))
    grads = {}
    if train:
        loss.backward()
        grads = {k: q[k].grad.numpy() for k in train}
    return [e.detach().numpy() for e in enc], logits.detach().numpy(), float(loss), grads


def rel(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def trainable(p, mode):
    enc = [k for k in p if k.startswith("transformer.audio.") and not k.endswith("positional_embedding")]
    llm = [k for k in p if not k.startswith("transformer.audio.")]
    return {"all": enc + llm, "stage1": enc, "stage2": llm}[mode]


def verify():
    p, c = load_params(os.path.join(GOLD, "checkpoint"))
    meta = json.load(open(os.path.join(GOLD, "input_ids.json")))
    ids = np.array([meta["input_ids"]], np.int64)
    labels = ids.copy()
    labels[0, :meta["labels_from"]] = -100
    mel = np.load(os.path.join(GOLD, "mel.npy"))
    t_cnn = [a["T_cnn"] for a in meta["audios"]]
    # our own front end on the clip must give the golden mel frames too
    pcm = read_wav16(os.path.join(GOLD, "clip.wav"))
    mine = log_mel_30s(pcm)[:, :mel.shape[2]]
    print(f"mel: max |diff| vs golden {np.abs(mine - mel[0]).max():.2e}")
    enc, logits, loss, grads = run(p, c, mel, t_cnn, ids, np.ones_like(ids), labels, train=trainable(p, "all"))
    gold_enc = np.load(os.path.join(GOLD, "encoder_out.npy"))
    rows = json.load(open(os.path.join(GOLD, "rows.json")))
    gold_rows = np.load(os.path.join(GOLD, "logits_rows.npy"))
    gold_loss = json.load(open(os.path.join(GOLD, "loss.json")))["loss"]
    r_enc, r_log = rel(enc[0], gold_enc), rel(logits[0, rows], gold_rows)
    r_loss = abs(loss - gold_loss) / gold_loss
    print(f"encoder_out rel {r_enc:.2e}; logits rows rel {r_log:.2e}; loss {loss:.9f} vs {gold_loss:.9f} (rel {r_loss:.2e})")
    ok = r_enc < 1e-5 and r_log < 1e-5 and r_loss < 1e-6
    g = st_read(os.path.join(GOLD, "grads_all.safetensors"))
    worst = 0.0
    for k, v in g.items():
        if k.endswith(".row_ids"):
            continue
        if k.endswith(".rows"):
            name = k[:-5]
            mine = grads[name][g[name + ".row_ids"]]
        else:
            mine = grads[k]
        worst = max(worst, rel(mine, v))
    print(f"gradients: {len(g)} golden tensors, worst rel diff {worst:.2e}")
    ok = ok and worst < 1e-4
    print("VERIFY", "OK" if ok else "FAILED")
    return ok


# ---------------------------------------------------------------- the extra goldens
SEGMENTS = [("a.wav", 0, 27200), ("b.wav", 8000, 40000), ("c.wav", 12000, 19360)]  # clip.wav slices
TEXT0 = [14755, 220, 16, 25]                                   # ordinary BPE ids between the two audios
PROMPT = [151852, 151859, 151855, 151859, 151868, 154877]      # task tags as in the golden sample
TARGET0 = [76, 1571, 922, 2044, 151643]
TARGET1 = [374, 279, 38471, 273, 151643]
PAD = 151643


def write_wav(path, pcm):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm.astype("<i2").tobytes())


def span(c, n_audio):
    return [c.audio_start] + [151851] * n_audio + [c.audio_start + 1]


def write(outdir):
    p, c = load_params(os.path.join(GOLD, "checkpoint"))
    os.makedirs(outdir, exist_ok=True)
    clip = read_wav16(os.path.join(GOLD, "clip.wav"))
    audios, mels = [], []
    for name, start, count in SEGMENTS:
        pcm = clip[start:start + count]
        write_wav(os.path.join(outdir, name), pcm)
        mel_len, t_cnn, n_audio = audio_lengths(len(pcm))
        audios.append({"url": name, "num_samples": len(pcm), "mel_len": mel_len, "T_cnn": t_cnn, "n_audio": n_audio})
        mels.append(log_mel_30s(pcm))
    F = 2 * max(a["T_cnn"] for a in audios)
    mel = np.stack([m[:, :F] for m in mels]).astype(np.float32)   # each audio's own padded frames
    row0 = span(c, audios[0]["n_audio"]) + TEXT0 + span(c, audios[1]["n_audio"]) + PROMPT
    from0 = len(row0)
    row0 += TARGET0
    row1 = span(c, audios[2]["n_audio"]) + PROMPT
    from1 = len(row1)
    row1 += TARGET1
    T = max(len(row0), len(row1))
    rows, masks, labels, lfrom = [], [], [], []
    for r, f in [(row0, from0), (row1, from1)]:
        npad = T - len(r)                                         # left padding, as the eval scripts
        rows.append([PAD] * npad + r)
        masks.append([0] * npad + [1] * len(r))
        labels.append([-100] * (npad + f) + r[f:])
        lfrom.append(npad + f)
    ids, mask, lab = (np.array(x, np.int64) for x in (rows, masks, labels))
    # positions of the audio spans in the padded rows
    k = 0
    for b in range(2):
        s = [i for i, t in enumerate(rows[b]) if t == c.audio_start]
        e = [i for i, t in enumerate(rows[b]) if t == c.audio_start + 1]
        for si, ei in zip(s, e):
            audios[k].update({"row": b, "start": si, "end": ei})
            k += 1
    enc, logits, loss, g1 = run(p, c, mel, [a["T_cnn"] for a in audios], ids, mask, lab, trainable(p, "stage1"))
    _, _, loss2, g2 = run(p, c, mel, [a["T_cnn"] for a in audios], ids, mask, lab, trainable(p, "stage2"))
    _, _, loss_all, ga = run(p, c, mel, [a["T_cnn"] for a in audios], ids, mask, lab, trainable(p, "all"))
    assert loss == loss2 == loss_all
    d12 = max(max(float(np.abs(g1[k] - ga[k]).max()) for k in g1), max(float(np.abs(g2[k] - ga[k]).max()) for k in g2))
    # unbatched cross-checks (not stored): each row alone, without padding, its audios encoded at the
    # batch's mel width (so the encoder sees the same frames); only RoPE positions shift (relative)
    row_losses, batch_vs_alone = [], []
    for b, sel in [(0, [0, 1]), (1, [2])]:
        n = int(mask[b].sum())
        r_ids, r_lab = ids[b:b + 1, T - n:], lab[b:b + 1, T - n:]
        _, lg, ls, _ = run(p, c, mel[sel], [audios[i]["T_cnn"] for i in sel], r_ids, np.ones_like(r_ids), r_lab)
        row_losses.append(ls)
        batch_vs_alone.append(rel(logits[b, T - n:], lg[0]))
    # a column subset of the logits: every 307th id plus every id of the batch
    cols = np.unique(np.concatenate([np.arange(0, c.V, 307), ids.flatten()])).astype(np.int64)
    used = np.unique(np.concatenate([ids.flatten(), np.random.default_rng(1237).integers(0, c.V, 5)])).astype(np.int64)

    def pack(g):
        out = {}
        for k, v in g.items():
            if k in ("transformer.wte.weight", "lm_head.weight"):
                out[k + ".rows"] = v[used].astype(np.float32)
                out[k + ".row_ids"] = used
            else:
                out[k] = v.astype(np.float32)
        return out

    np.save(os.path.join(outdir, "mel.npy"), mel)
    np.save(os.path.join(outdir, "encoder_out.npy"), np.concatenate(enc).astype(np.float32))
    np.save(os.path.join(outdir, "logits_cols.npy"), logits[:, :, cols].astype(np.float32))
    np.save(os.path.join(outdir, "columns.npy"), cols)
    st_write(os.path.join(outdir, "grads_stage1.safetensors"), pack(g1))
    st_write(os.path.join(outdir, "grads_stage2.safetensors"), pack(g2))
    n_lab = int((lab[:, 1:] != -100).sum())
    sample = {"input_ids": rows, "attention_mask": masks, "labels_from": lfrom, "padding": "left", "pad_id": PAD,
              "audios": audios, "mel_frames": F}
    json.dump(sample, open(os.path.join(outdir, "batch.json"), "w"), indent=1)
    json.dump({"loss": loss, "label_tokens": n_lab, "row_losses_alone": row_losses,
               "max_abs_logit": float(np.abs(logits[mask.astype(bool)]).max()),
               "rows_batched_vs_alone_rel": batch_vs_alone, "stage_vs_all_grad_max_diff": d12,
               "checkpoint": "shared golden/model/tiny/checkpoint", "torch": torch.__version__,
               "numpy": np.__version__}, open(os.path.join(outdir, "loss.json"), "w"), indent=1)
    print(f"wrote {outdir}: T={T}, loss {loss:.9f} over {n_lab} tokens, row losses alone {row_losses}, "
          f"rows batched vs alone {batch_vs_alone}, stage vs all grads {d12:.1e}")


if __name__ == "__main__":
    torch.manual_seed(0)
    torch.set_num_threads(2)
    if len(sys.argv) >= 2 and sys.argv[1] == "verify":
        sys.exit(0 if verify() else 1)
    if len(sys.argv) >= 3 and sys.argv[1] == "write":
        if not verify():
            sys.exit("the twin does not reproduce the shared golden; not writing")
        write(sys.argv[2])
        sys.exit(0)
    sys.exit(__doc__)
