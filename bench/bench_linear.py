# PyTorch twin of bench/bench_linear.c: forward + backward of one nn.Linear (with bias), f32, same
# shapes, same timing rule (best of 7 after 2 warm-up runs). Run by bench/bench_linear.sh.
# Debian's python3-torch uses the system BLAS: make deps-bench installs OpenBLAS
# (libopenblas0-pthread); with the reference BLAS the twin is ~20x slower.
import os
import sys
import time

import torch

# Debian's torch starts with one thread here; use every core we may run on, like oneDNN does.
torch.set_num_threads(len(os.sched_getaffinity(0)))


def run(T, D, Dout, reps=7):
    torch.manual_seed(0)
    lin = torch.nn.Linear(D, Dout)
    x = torch.randn(T, D, requires_grad=True)
    g = torch.full((T, Dout), 1e-3)
    times = []
    for r in range(reps + 2):
        t0 = time.perf_counter()
        y = lin(x)
        y.backward(g)
        t1 = time.perf_counter()
        if r >= 2:
            times.append(t1 - t0)
    times.sort()
    fl = 6.0 * T * D * Dout
    print(f"torch linear T={T} D={D} Dout={Dout}: fwd+bwd {fl / times[0] * 1e-9:.1f} GFLOP/s")


if __name__ == "__main__":
    a = [int(v) for v in sys.argv[1:]]
    shapes = [a[i:i + 3] for i in range(0, len(a) - 2, 3)] or [[1500, 384, 1536], [1500, 1280, 5120], [2048, 512, 2048]]
    for T, D, Dout in shapes:
        run(T, D, Dout)
