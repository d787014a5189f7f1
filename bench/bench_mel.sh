#!/usr/bin/env bash
# bench/bench_mel.sh: log-mel of 30 s of audio on one thread, qaudio (bench_mel) vs the PyTorch
# twin (bench/mel_twin.py: torch.stft, torch.set_num_threads(1)) in the same run; prints both
# and the ratio. Target: qaudio >= 300x real time. Run through `make bench BENCH=mel`.
set -euo pipefail
BUILD=${BUILD:-build}
ITERS=${ITERS:-30}
PY=${PYTHON:-/usr/bin/python3}
q=$("$BUILD/bench/bench_mel" "$ITERS")
echo "$q" | grep -v '^QAUDIO_MEL_MS'
qms=$(echo "$q" | awk '/^QAUDIO_MEL_MS/ {print $2}')
if t=$(OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX} "$PY" bench/mel_twin.py "$ITERS" 2>&1); then
  echo "$t" | grep -v '^TORCH_MEL_MS'
  tms=$(echo "$t" | awk '/^TORCH_MEL_MS/ {print $2}')
  awk -v q="$qms" -v t="$tms" 'BEGIN { printf "log-mel ratio: qaudio is %.2fx the speed of torch (%.0fx vs %.0fx real time; target >= 300x)\n", t / q, 30000 / q, 30000 / t }'
else
  echo "SKIP torch twin: $(echo "$t" | tail -1)"
fi
