#!/usr/bin/python3
"""Independent reader of qaudio shards, written from docs/shard-format.md only (h5py + numpy;
Debian: apt-get install python3-h5py). A by-hand check, never run by CI.

usage:
  read_shard.py SHARD.h5 [--sample I]        print sample I (ids, labels, record, audio features)
  read_shard.py SHARD.h5 --check              check every documented invariant; exit 1 on failure
  read_shard.py SHARD.h5 --dump OUT.npz       every sample's ids, labels, rebuilt encoder mels
                                              (80, 2*T_cnn) / pcm, for comparison with other tools
"""
import json
import sys

import h5py
import numpy as np

TASKS = ["asr", "s2tt", "srwt", "aac", "aqa", "asc", "ser", "vsc", "mna", "raw", "chat"]


def attr_str(v):
    return v.decode() if isinstance(v, bytes) else str(v)


class Shard:
    def __init__(self, path):
        self.f = f = h5py.File(path, "r")
        if int(f.attrs["schema_version"]) != 1:
            raise SystemExit(f"{path}: schema_version {f.attrs['schema_version']}, expected 1")
        self.features = attr_str(f.attrs["features"])
        self.d = {k: f[k][()] for k in f.keys()}
        self.n = len(self.d["task"])

    def check(self):
        d, errs = self.d, []
        n, a = self.n, len(self.d["samples"])
        t = len(d["ids"])
        dtypes = {"ids": np.int32, "labels": np.int32, "tok_off": np.int64, "task": np.int32, "audio_off": np.int64,
                  "samples": np.int64, "mel_len": np.int32, "span": np.int32, "floor": np.float32,
                  "feat_off": np.int64, "feat": np.float32, "record": np.uint8, "record_off": np.int64}
        for k, dt in dtypes.items():
            if d[k].dtype != np.dtype(dt).newbyteorder("<") and d[k].dtype != dt:
                errs.append(f"{k}: dtype {d[k].dtype}, doc says {np.dtype(dt)}")
        for k, dt in dtypes.items():
            if self.f[k].dtype.byteorder not in "<=|":
                errs.append(f"{k}: not little-endian")
        for off, total, name in (("tok_off", t, "ids"), ("audio_off", a, "samples"), ("record_off", len(d["record"]), "record")):
            o = d[off]
            if len(o) != n + 1 or o[0] != 0 or np.any(np.diff(o) < 0) or o[-1] != total:
                errs.append(f"{off} does not index {name}")
        o = d["feat_off"]
        flen = d["feat"].shape[-1]
        if len(o) != a + 1 or o[0] != 0 or np.any(np.diff(o) < 0) or o[-1] != flen:
            errs.append("feat_off does not index feat")
        if len(d["labels"]) != t:
            errs.append("labels and ids differ in length")
        m = d["labels"] != -100
        if np.any(d["labels"][m] != d["ids"][m]):
            errs.append("a label is neither -100 nor its id")
        mel_len = np.minimum(d["samples"], 480000) // 160
        if np.any(mel_len != d["mel_len"]):
            errs.append("mel_len != floor(min(samples, 480000) / 160)")
        t_cnn = (d["mel_len"] - 1) // 2 + 1
        span = (t_cnn - 2) // 2 + 1 + 2
        if np.any(span != d["span"]):
            errs.append("span != n_audio + 2")
        if self.features == "mel":
            if d["feat"].shape[0] != 80 or int(self.f.attrs["mel_bins"]) != 80:
                errs.append("feat is not (80, F)")
            stored = np.diff(o)
            if np.any(stored != np.minimum(3000, d["mel_len"] + 3)):
                errs.append("stored frames != min(3000, mel_len + 3)")
        else:
            if np.any(np.diff(o) != np.minimum(d["samples"], 480000)):
                errs.append("pcm length != min(samples, 480000)")
        for i in range(n):
            ids = d["ids"][d["tok_off"][i]:d["tok_off"][i + 1]]
            aj = range(d["audio_off"][i], d["audio_off"][i + 1])
            a_start = int(self.f.attrs.get("audio_start_id", 155163))
            a_end = int(self.f.attrs.get("audio_end_id", 155164))
            a_pad = int(self.f.attrs.get("audio_pad_id", 151851))
            starts = np.nonzero(ids == a_start)[0]
            if len(starts) != len(aj):
                errs.append(f"sample {i}: {len(starts)} <audio> tokens, {len(aj)} audios")
                continue
            for s, j in zip(starts, aj):
                sp = d["span"][j]
                if s + sp > len(ids) or ids[s + sp - 1] != a_end or np.any(ids[s + 1:s + sp - 1] != a_pad):
                    errs.append(f"sample {i} audio {j}: span layout")
                if np.any(d["labels"][d["tok_off"][i] + s:d["tok_off"][i] + s + sp] != -100):
                    errs.append(f"sample {i} audio {j}: loss inside the audio span")
            if not 0 <= d["task"][i] < len(TASKS):
                errs.append(f"sample {i}: task {d['task'][i]}")
            json.loads(self.record(i))
        for k in ("n_samples", "n_audio", "n_tokens"):
            want = {"n_samples": n, "n_audio": a, "n_tokens": t}[k]
            if int(self.f.attrs[k]) != want:
                errs.append(f"attribute {k} = {self.f.attrs[k]}, datasets say {want}")
        return errs

    def record(self, i):
        d = self.d
        return bytes(d["record"][d["record_off"][i]:d["record_off"][i + 1]]).decode()

    def encoder_input(self, j):
        """(80, 2*T_cnn) encoder input of audio j (mel), or its PCM."""
        d = self.d
        s, e = d["feat_off"][j], d["feat_off"][j + 1]
        if self.features != "mel":
            return d["feat"][s:e]
        t_cnn = (d["mel_len"][j] - 1) // 2 + 1
        F = 2 * t_cnn
        mel = np.full((80, F), d["floor"][j], np.float32)
        k = min(F, e - s)
        mel[:, :k] = d["feat"][:, s:s + k]
        return mel

    def sample(self, i):
        d = self.d
        a, b = d["tok_off"][i], d["tok_off"][i + 1]
        aj = range(d["audio_off"][i], d["audio_off"][i + 1])
        return {"task": TASKS[d["task"][i]], "ids": d["ids"][a:b], "labels": d["labels"][a:b],
                "record": self.record(i), "audio": [self.encoder_input(j) for j in aj],
                "seconds": [d["samples"][j] / 16000 for j in aj]}


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    sh = Shard(sys.argv[1])
    if "--check" in sys.argv:
        errs = sh.check()
        for e in errs:
            print("FAIL", e)
        print(f"{sys.argv[1]}: {sh.n} samples, {len(errs)} problems")
        sys.exit(1 if errs else 0)
    if "--dump" in sys.argv:
        out = {}
        for i in range(sh.n):
            s = sh.sample(i)
            out[f"ids_{i}"], out[f"labels_{i}"] = s["ids"], s["labels"]
            for k, m in enumerate(s["audio"]):
                out[f"audio_{i}_{k}"] = m
        np.savez(sys.argv[sys.argv.index("--dump") + 1], **out)
        return
    i = int(sys.argv[sys.argv.index("--sample") + 1]) if "--sample" in sys.argv else 0
    s = sh.sample(i)
    print(json.dumps({"task": s["task"], "ids": s["ids"].tolist(), "labels": s["labels"].tolist(),
                      "record": json.loads(s["record"]), "seconds": s["seconds"],
                      "audio_shapes": [list(m.shape) for m in s["audio"]]}))


if __name__ == "__main__":
    main()
