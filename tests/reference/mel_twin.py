#!/usr/bin/env python3
"""tests/reference/mel_twin.py: the PyTorch twin of qaudio's log-mel front end (data/mel).

Run by hand (never by CI), with Debian's python3-torch, numpy and python3-soundfile:
    /usr/bin/python3 tests/reference/mel_twin.py [--out tests/data/mel] [--shared ../shared]
It writes small synthetic inputs (tests/data/mel/*.wav) and the golden log-mel of each
(tests/data/mel/*.npy, float32 (80, frames)); tests/unit/test_mel_golden.c compares against them.

The log-mel is Whisper's recipe written out with torch.stft (spec section 1): pad or trim to
480000 samples, centred STFT (reflect, periodic Hann 400, hop 160), drop the last frame, power,
mel_80 filters from mel_filters.npz, log10 floor 1e-10, clamp to max - 8, (x + 4) / 4.
Audio is read like the reference goldens: soundfile float32 (int16/32768, int24/2^23, floats as
stored), channels averaged in float32. Inputs at other rates are resampled here by a Kaiser-windowed
sinc (32 zero crossings, beta 9, cutoff 0.97 of the output Nyquist: the design of ffmpeg's default
swr resampler); qaudio uses libsamplerate, so those goldens are compared only where the two
resamplers agree (see docs/audio.md).
"""
import argparse
import math
import os

import numpy as np
import soundfile as sf
import torch

N_SAMPLES, N_FFT, HOP = 480000, 400, 160


def log_mel_full(audio, filters):
    """(80, 3000) float32 log-mel of the padded/trimmed 30-s buffer."""
    x = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))
    x = x[:N_SAMPLES] if x.shape[0] >= N_SAMPLES else torch.nn.functional.pad(x, (0, N_SAMPLES - x.shape[0]))
    window = torch.hann_window(N_FFT)
    stft = torch.stft(x, N_FFT, HOP, window=window, center=True, pad_mode="reflect", return_complex=True)
    power = stft[..., :-1].abs() ** 2
    mel = torch.from_numpy(filters) @ power
    log_spec = torch.clamp(mel, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    return ((log_spec + 4.0) / 4.0).numpy()


def read_audio(path):
    data, rate = sf.read(path, dtype="float32", always_2d=True)
    mono = data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0]
    return mono.astype(np.float32), rate


def resample_to_16k(x, rate, zero_crossings=32, beta=9.0, cutoff=0.97):
    """Kaiser-windowed sinc resampler in float64; output length ceil(n * 16000 / rate)."""
    if rate == 16000:
        return x
    ratio = 16000.0 / rate
    scale = min(1.0, ratio)
    fc = 0.5 * cutoff * scale  # cycles per input sample
    half = zero_crossings / scale
    n_out = -(-len(x) * 16000 // rate)
    xd = x.astype(np.float64)
    out = np.zeros(n_out)
    taps = np.arange(-int(math.ceil(half)), int(math.ceil(half)) + 1)
    for start in range(0, n_out, 4096):
        n = np.arange(start, min(n_out, start + 4096))
        t = n / ratio
        k = np.floor(t)[:, None].astype(np.int64) + taps[None, :]
        d = t[:, None] - k
        u = np.clip(d / half, -1.0, 1.0)
        h = 2 * fc * np.sinc(2 * fc * d) * np.i0(beta * np.sqrt(1 - u * u)) / np.i0(beta)
        h[np.abs(d) > half] = 0
        valid = (k >= 0) & (k < len(xd))
        out[n - start + start] = (np.where(valid, xd[np.clip(k, 0, len(xd) - 1)], 0.0) * h).sum(axis=1)
    return out.astype(np.float32)


def lcg_clip(n, loud_from):
    """Deterministic int16 noise (tests regenerate it in C): 31-bit LCG, values in [-10000, 10000],
    tripled (clipped to int16) from sample `loud_from` on."""
    out = np.empty(n, dtype=np.int64)
    s = 12345
    for i in range(n):
        s = (s * 1103515245 + 12345) & 0x7FFFFFFF
        v = ((s >> 8) % 20001) - 10000
        if i >= loud_from:
            v = max(-32768, min(32767, 3 * v))
        out[i] = v
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/data/mel")
    ap.add_argument("--shared", default=os.environ.get("QAUDIO_SHARED", "../shared"))
    args = ap.parse_args()
    filters = np.load(os.path.join(args.shared, "assets/mel_filters.npz"))["mel_80"]
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.RandomState(20261125)
    t16 = lambda s: np.arange(int(16000 * s)) / 16000.0

    cases = {}  # name -> (array (n, ch), rate, subtype)
    cases["silence_1s"] = (np.zeros((16000, 1)), 16000, "PCM_16")
    t = t16(0.75)
    cases["tone1k_0.75s"] = ((0.3 * np.sin(2 * np.pi * 1000 * t) + 0.05 * np.sin(2 * np.pi * 3150 * t))[:, None], 16000, "PCM_16")
    cases["noise_0.6s"] = (np.clip(rng.normal(0, 0.1, (9600, 1)), -1, 1), 16000, "PCM_16")
    t = t16(0.5)
    cases["clipped_square_0.5s"] = (np.clip(4.0 * np.sign(np.sin(2 * np.pi * 437 * t + 0.1)), -1, 1)[:, None], 16000, "PCM_16")
    cases["short_250"] = (rng.normal(0, 0.2, (250, 1)).clip(-1, 1), 16000, "PCM_16")
    cases["short_400"] = (rng.normal(0, 0.2, (400, 1)).clip(-1, 1), 16000, "PCM_16")
    t = t16(0.8)
    st = np.stack([0.4 * np.sin(2 * np.pi * 523.25 * t), rng.normal(0, 0.05, t.shape)], axis=1)
    cases["stereo_0.8s"] = (st, 16000, "PCM_16")
    t = t16(0.5)
    q = 0.25 * np.sin(2 * np.pi * 700 * t) + 1e-4 * rng.normal(0, 1, t.shape)  # quiet bands matter
    cases["pcm24_0.5s"] = (q[:, None], 16000, "PCM_24")
    cases["float32_0.5s"] = ((0.2 * np.sin(2 * np.pi * 2500 * t) + 3e-5 * rng.normal(0, 1, t.shape))[:, None], 16000, "FLOAT")
    t24 = np.arange(int(24000 * 0.6)) / 24000.0
    chirp = 0.3 * np.sin(2 * np.pi * (100 * t24 + 0.5 * (6000 - 100) / 0.6 * t24 ** 2)) + rng.normal(0, 0.01, t24.shape)
    cases["rate24k_0.6s"] = (chirp[:, None], 24000, "PCM_16")
    t48 = np.arange(int(48000 * 0.5)) / 48000.0
    sig48 = 0.3 * np.sin(2 * np.pi * 440 * t48) + 0.1 * np.sin(2 * np.pi * 5000 * t48) + rng.normal(0, 0.01, t48.shape)
    cases["rate48k_stereo_0.5s"] = (np.stack([sig48, 0.5 * sig48], axis=1), 48000, "PCM_16")

    for name, (data, rate, subtype) in cases.items():
        path = os.path.join(args.out, name + ".wav")
        sf.write(path, data, rate, subtype=subtype)
        mono, r = read_audio(path)
        mono = resample_to_16k(mono, r)
        if name == "short_400":  # the documented pad choice: zero-pad to 480 samples
            mono = np.concatenate([mono, np.zeros(480 - len(mono), np.float32)])
        mel_len = min(len(mono), N_SAMPLES) // HOP
        m = log_mel_full(mono, filters)[:, :mel_len]
        np.save(os.path.join(args.out, name + ".npy"), np.ascontiguousarray(m, dtype=np.float32))
        print(f"{name}: rate {rate}, {len(mono)} samples at 16k, golden {m.shape}")

    # 30.0 s and 30.5 s LCG clips (regenerated by the C test, too big to commit): frames 0..39 and 2960..2999
    for name, n in (("lcg_30s", 480000), ("lcg_30.5s", 488000)):
        v = lcg_clip(n, 472000)
        mono = (v.astype(np.float32) / np.float32(32768.0)).astype(np.float32)
        m = log_mel_full(mono, filters)
        sel = np.concatenate([m[:, :40], m[:, 2960:]], axis=1)
        np.save(os.path.join(args.out, name + "_frames.npy"), np.ascontiguousarray(sel, dtype=np.float32))
        print(f"{name}: {n} samples, golden frames 0..39 + 2960..2999 {sel.shape}")

    # Real assets at 24 kHz and 48 kHz (read from the shared folder by the test): first 200 frames
    for name, rel in (("asset_24k", "assets/audio/1089_134686_000007_000004.wav"), ("asset_48k_mp3", "assets/audio/es.mp3")):
        mono, r = read_audio(os.path.join(args.shared, rel))
        mono = resample_to_16k(mono, r)
        m = log_mel_full(mono, filters)[:, :200]
        np.save(os.path.join(args.out, name + "_200.npy"), np.ascontiguousarray(m, dtype=np.float32))
        print(f"{name}: rate {r}, {len(mono)} samples at 16k, golden {m.shape}")


if __name__ == "__main__":
    main()
