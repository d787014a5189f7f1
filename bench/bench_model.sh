#!/usr/bin/env bash
# bench/bench_model.sh: forward + backward (no optimizer) of bench-encoder on 30 s of audio (1500
# positions, batch 1) and of bench-decoder at sequence 512, batch 4, f32: qaudio (bench_model) vs the
# PyTorch twin (bench/model_twin.py, 2 threads) on the same `qaudio init` checkpoints, in the same
# run. The two sides alternate for ROUNDS rounds (the machine is shared: alternating keeps both under
# the same load) and the best per-round median of each is compared; prints times, peak RSS and the
# ratios. Target: qaudio >= 1.5x torch, lower peak memory. Run through `make bench BENCH=model`.
set -euo pipefail
BUILD=${BUILD:-build}
QAUDIO=${QAUDIO:-$BUILD/qaudio}
ITERS=${ITERS:-3}
ROUNDS=${ROUNDS:-3}
PY=${PYTHON:-/usr/bin/python3}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
TMP=$(mktemp -d /tmp/qaudio-bench-model-XXXXXX); trap 'rm -rf "$TMP"' EXIT
best() { awk -v a="$1" -v b="$2" 'BEGIN{print (a == "" || b < a) ? b : a}'; }
for m in encoder decoder; do
  "$QAUDIO" init --config configs/model/bench-$m.yaml -o "$TMP/$m" --seed 7 >/dev/null
  qms=""; tms=""; qrss=0; trss=0; torch_ok=1
  for r in $(seq "$ROUNDS"); do
    echo "-- $m round $r (load average $(cut -d' ' -f1 /proc/loadavg))"
    q=$("$BUILD/bench/bench_model" $m "$TMP/$m" "$ITERS")
    echo "$q" | grep -v '^QAUDIO_'
    qms=$(best "$qms" "$(echo "$q" | awk '/^QAUDIO_MS/ {print $2}')")
    qrss=$(echo "$q" | awk '/^QAUDIO_RSS_MIB/ {print $2}')
    if [ $torch_ok = 1 ] && t=$(OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX} "$PY" bench/model_twin.py $m "$TMP/$m" "$ITERS" 2>&1); then
      echo "$t" | grep -v '^TORCH_'
      tms=$(best "$tms" "$(echo "$t" | awk '/^TORCH_MS/ {print $2}')")
      trss=$(echo "$t" | awk '/^TORCH_RSS_MIB/ {print $2}')
    else
      [ $torch_ok = 1 ] && echo "SKIP torch twin: $(echo "$t" | tail -1)"; torch_ok=0
    fi
  done
  if [ $torch_ok = 1 ]; then
    awk -v q="$qms" -v t="$tms" -v qr="$qrss" -v tr="$trss" -v m="$m" 'BEGIN {
      printf "%s: qaudio %.0f ms, torch %.0f ms (best medians): qaudio is %.2fx the speed of torch (target >= 1.5x); peak RSS %.0f vs %.0f MiB (%.2fx)\n",
             m, q, t, t / q, qr, tr, qr / tr }'
  fi
done
