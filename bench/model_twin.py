#!/usr/bin/env python3
"""bench/model_twin.py: the PyTorch side of bench/bench_model.sh: forward + backward (no optimizer) of
the audio encoder on 30 s (1500 positions, batch 1) or of the Qwen LM at sequence 512, batch 4, in
float32 with 2 threads, on the same `qaudio init` checkpoint as the C side. The model code is the
project's twin (tests/reference/model_batch_twin.py), written from the spec.
Usage: model_twin.py encoder|decoder CHECKPOINT_DIR [ITERATIONS]"""
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
from model_batch_twin import encoder, lm, load_params, st_read  # noqa: E402

torch.set_num_threads(2)


def main():
    what, ck = sys.argv[1], sys.argv[2]
    iters = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    cfg = json.load(open(os.path.join(ck, "config.json")))
    st = st_read(os.path.join(ck, "model.safetensors"))
    enc = what == "encoder"
    P = load_params({k: v for k, v in st.items() if k.startswith("transformer.audio.") == enc}, True)
    g = torch.Generator().manual_seed(1)
    mel = torch.rand(1, 80, 3000, generator=g) * 2 - 1
    ids = torch.randint(0, 30000, (4, 512), generator=g)
    times = []
    for it in range(iters + 1):
        t0 = time.perf_counter()
        for p in P.values():
            p.grad = None
        if enc:
            out = encoder(P, cfg, mel, [1500], [750])[0]
            out.backward(torch.full_like(out, 1.0 / out.numel()))
        else:
            x = F.embedding(ids, P["transformer.wte.weight"])
            logits = lm(P, cfg, x, [512] * 4)
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
            loss.backward()
        if it > 0:
            times.append(time.perf_counter() - t0)
    times.sort()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"torch {what} fwd+bwd: median {times[len(times) // 2] * 1e3:.1f} ms over {iters} steps "
          f"(min {times[0] * 1e3:.1f}), peak RSS {rss:.0f} MiB, torch {torch.__version__}, 2 threads")
    print(f"TORCH_MS {times[len(times) // 2] * 1e3:.3f}\nTORCH_RSS_MIB {rss:.0f}")


if __name__ == "__main__":
    main()
