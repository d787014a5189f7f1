#!/usr/bin/env python3
"""bench/mel_twin.py: PyTorch twin of bench/bench_mel.c: Whisper-style log-mel (torch.stft, as in
openai/whisper log_mel_spectrogram) of 30 s of audio on one thread. Prints the median time per
call; bench/bench_mel.sh prints the ratio. Usage: python3 bench/mel_twin.py [ITERATIONS]"""
import os
import sys
import time

import numpy as np
import torch

torch.set_num_threads(1)
iters = int(sys.argv[1]) if len(sys.argv) > 1 else 30
shared = os.environ.get("QAUDIO_SHARED", "../shared")
filters = torch.from_numpy(np.load(os.path.join(shared, "assets/mel_filters.npz"))["mel_80"])
t = np.arange(480000) / 16000.0
f0 = 120.0 + 40.0 * np.sin(2 * np.pi * 0.3 * t)
phase = np.cumsum(2 * np.pi * f0 / 16000.0)
rng = np.random.RandomState(1)
audio = torch.from_numpy((0.2 * np.sin(phase) + 0.1 * np.sin(3 * phase) + 0.05 * np.sin(7 * phase)
                          + rng.uniform(-0.02, 0.02, t.shape)).astype(np.float32))
window = torch.hann_window(400)


def log_mel(x):
    stft = torch.stft(x, 400, 160, window=window, return_complex=True)
    magnitudes = stft[..., :-1].abs() ** 2
    mel_spec = filters @ magnitudes
    log_spec = torch.clamp(mel_spec, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    return (log_spec + 4.0) / 4.0


with torch.no_grad():
    for _ in range(3):
        log_mel(audio)
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        log_mel(audio)
        times.append(time.perf_counter() - t0)
times.sort()
med = times[len(times) // 2]
print(f"torch {torch.__version__} log-mel 30 s, 1 thread: median {med * 1e3:.2f} ms over {iters} runs, "
      f"{30.0 / med:.0f}x real time")
print(f"TORCH_MEL_MS {med * 1e3:.4f}")
