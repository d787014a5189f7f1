#!/usr/bin/env bash
# bench/bench_model.sh: forward + backward (no optimizer) of bench-encoder on 30 s of audio (1500
# positions, batch 1) and of bench-decoder at sequence 512, batch 4, f32: qaudio (bench_model) vs the
# PyTorch twin (bench/model_twin.py, 2 threads) on the same `qaudio init` checkpoints, in the same
# run; prints times, peak RSS and the ratios. Target: qaudio >= 1.5x torch, lower peak memory.
# Run through `make bench BENCH=model`.
set -euo pipefail
BUILD=${BUILD:-build}
QAUDIO=${QAUDIO:-$BUILD/qaudio}
ITERS=${ITERS:-5}
PY=${PYTHON:-/usr/bin/python3}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
TMP=$(mktemp -d /tmp/qaudio-bench-model-XXXXXX); trap 'rm -rf "$TMP"' EXIT
for m in encoder decoder; do
  "$QAUDIO" init --config configs/model/bench-$m.yaml -o "$TMP/$m" --seed 7 >/dev/null
  q=$("$BUILD/bench/bench_model" $m "$TMP/$m" "$ITERS")
  echo "$q" | grep -v '^QAUDIO_'
  qms=$(echo "$q" | awk '/^QAUDIO_MS/ {print $2}'); qrss=$(echo "$q" | awk '/^QAUDIO_RSS_MIB/ {print $2}')
  if t=$(OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX} "$PY" bench/model_twin.py $m "$TMP/$m" "$ITERS" 2>&1); then
    echo "$t" | grep -v '^TORCH_'
    tms=$(echo "$t" | awk '/^TORCH_MS/ {print $2}'); trss=$(echo "$t" | awk '/^TORCH_RSS_MIB/ {print $2}')
    awk -v q="$qms" -v t="$tms" -v qr="$qrss" -v tr="$trss" -v m="$m" 'BEGIN {
      printf "%s ratio: qaudio is %.2fx the speed of torch (target >= 1.5x); peak RSS %.0f vs %.0f MiB (%.2fx)\n",
             m, t / q, qr, tr, qr / tr }'
  else
    echo "SKIP torch twin: $(echo "$t" | tail -1)"
  fi
done
