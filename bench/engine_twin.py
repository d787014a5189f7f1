#!/usr/bin/env python3
"""PyTorch twin of bench/bench_engine.c: forward+backward of one linear layer and of one pre-LN
Whisper-encoder transformer block (LN -> attention with out-proj -> residual -> LN -> MLP(GELU)
-> residual), f32, batch 1, heads D/64, on the CPU with the thread count given.

Prints one line per case: `twin <case> D=<D> T=<T> ms=<best ms> gflops=<GFLOP/s>` with the same
FLOP count as the C benchmark (useful matmul FLOPs of forward + backward). Run by bench_engine.sh;
never by CI."""
import argparse
import math
import time

import torch
import torch.nn.functional as F


def linear_flops(T, D):
    return 3 * 2.0 * T * D * D  # forward, dX, dW


def block_flops(T, D):
    return 3 * (24.0 * T * D * D + 4.0 * T * T * D)


class Block(torch.nn.Module):
    def __init__(self, D):
        super().__init__()
        self.H = D // 64
        self.ln1 = torch.nn.LayerNorm(D, eps=1e-5)
        self.q = torch.nn.Linear(D, D)
        self.k = torch.nn.Linear(D, D, bias=False)
        self.v = torch.nn.Linear(D, D)
        self.o = torch.nn.Linear(D, D)
        self.ln2 = torch.nn.LayerNorm(D, eps=1e-5)
        self.fc1 = torch.nn.Linear(D, 4 * D)
        self.fc2 = torch.nn.Linear(4 * D, D)

    def forward(self, x):
        B, T, D = x.shape
        H, Dh = self.H, D // self.H
        h = self.ln1(x)
        q = self.q(h).view(B, T, H, Dh).transpose(1, 2)
        k = self.k(h).view(B, T, H, Dh).transpose(1, 2)
        v = self.v(h).view(B, T, H, Dh).transpose(1, 2)
        s = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(Dh))
        a = torch.softmax(s, dim=-1) @ v
        x = x + self.o(a.transpose(1, 2).reshape(B, T, D))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


def timeit(fn, reps):
    # Warm-up run, timed: Debian's torch uses the generic reference BLAS and a D=1280 block takes
    # tens of seconds, so when the warm-up is that slow it is the figure (warm-up costs are
    # negligible next to it).
    t0 = time.perf_counter()
    fn()
    best = time.perf_counter() - t0
    if best > 2.0:
        return best
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--shapes", default="384x1500,1280x1500,512x2048")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for shp in args.shapes.split(","):
        D, T = (int(v) for v in shp.split("x"))
        x = torch.randn(1, T, D, requires_grad=True)
        lin = torch.nn.Linear(D, D)
        gy = torch.randn(1, T, D)

        def run_linear():
            x.grad = None
            lin.zero_grad(set_to_none=True)
            lin(x).backward(gy)

        blk = Block(D)

        def run_block():
            x.grad = None
            blk.zero_grad(set_to_none=True)
            blk(x).backward(gy)

        for name, fn, fl in (("linear", run_linear, linear_flops(T, D)),
                             ("block", run_block, block_flops(T, D))):
            t = timeit(fn, args.reps)
            print(f"twin {name} D={D} T={T} ms={t * 1e3:.2f} gflops={fl / t / 1e9:.1f}", flush=True)


if __name__ == "__main__":
    main()
