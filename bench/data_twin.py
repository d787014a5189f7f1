"""PyTorch twin of bench_data (run by bench/bench_data.sh, never by CI).

prepare: decode each 10-s WAV (soundfile) and compute the Whisper log-mel with torch.stft on the
30-s padded buffer (the front-end part of `qaudio prepare`; no tokenizer, no file written).
loader: a torch DataLoader (1 worker, batch 8, shuffle) over the same number of in-memory
(80, 1000) mels + 260-token rows, padding in collate: an upper bound for a data pipeline that
does not read from disk.
Usage: data_twin.py WAV_DIR N_FILES. Prints TORCH_PREPARE_HPM and TORCH_LOADER_SPS lines."""
import glob
import sys
import time

import numpy as np
import soundfile as sf
import torch

torch.set_num_threads(1)


def mel_filters():
    # Slaney mel filterbank (librosa defaults), as the reference mel_filters.npz
    sr, n_fft, n_mels = 16000, 400, 80
    fftfreqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    def hz_to_mel(f):
        f = np.asanyarray(f, dtype=np.float64)
        m = f / (200.0 / 3)
        log = f >= 1000.0
        m = np.where(log, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), m)
        return m
    def mel_to_hz(m):
        f = (200.0 / 3) * m
        log = m >= 15.0
        return np.where(log, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), f)
    mels = np.linspace(hz_to_mel(0), hz_to_mel(8000), n_mels + 2)
    f = mel_to_hz(mels)
    fdiff = np.diff(f)
    ramps = f[:, None] - fftfreqs[None, :]
    w = np.maximum(0, np.minimum(-ramps[:-2] / fdiff[:-1, None], ramps[2:] / fdiff[1:, None]))
    w *= (2.0 / (f[2:n_mels + 2] - f[:n_mels]))[:, None]
    return torch.from_numpy(w.astype(np.float32))


def log_mel(x, M, win):
    x = torch.nn.functional.pad(x, (0, 480000 - x.shape[0])) if x.shape[0] < 480000 else x[:480000]
    st = torch.stft(x, 400, 160, window=win, return_complex=True)
    p = st[..., :-1].abs() ** 2
    m = torch.clamp(M @ p, min=1e-10).log10()
    m = torch.maximum(m, m.max() - 8.0)
    return (m + 4.0) / 4.0


def main():
    wav_dir, n = sys.argv[1], int(sys.argv[2])
    files = sorted(glob.glob(wav_dir + "/*.wav"))[:n]
    M, win = mel_filters(), torch.hann_window(400)
    t0 = time.perf_counter()
    secs = 0.0
    for f in files:
        a, sr = sf.read(f, dtype="float32")
        secs += len(a) / sr
        log_mel(torch.from_numpy(a), M, win)
    dt = time.perf_counter() - t0
    print(f"torch twin prepare (decode + log-mel only, 1 thread): {secs / 3600 / (dt / 60):.2f} audio h/min")
    print(f"TORCH_PREPARE_HPM {secs / 3600 / (dt / 60):.4f}")

    class DS(torch.utils.data.Dataset):
        def __init__(self, k):
            self.mel = [torch.randn(80, 1000) for _ in range(k)]
            self.ids = [torch.randint(0, 150000, (260,)) for _ in range(k)]
        def __len__(self):
            return len(self.mel)
        def __getitem__(self, i):
            return self.mel[i], self.ids[i]

    def collate(b):
        mel = torch.stack([x[0] for x in b])
        ids = torch.nn.utils.rnn.pad_sequence([x[1] for x in b], batch_first=True, padding_value=151643)
        return mel, ids

    dl = torch.utils.data.DataLoader(DS(n), batch_size=8, shuffle=True, num_workers=1, collate_fn=collate)
    t0 = time.perf_counter()
    cnt = 0
    for _ in range(3):
        for mel, ids in dl:
            cnt += mel.shape[0]
    dt = time.perf_counter() - t0
    print(f"torch twin loader (DataLoader, 1 worker, in memory): {cnt / dt:.0f} samples/s")
    print(f"TORCH_LOADER_SPS {cnt / dt:.1f}")


main()
