#!/usr/bin/env bash
# bench/bench_engine.sh: the engine benchmark. Runs build/bench/bench_engine (forward + backward of
# one linear layer and one pre-LN transformer block, with the bare oneDNN matmul figure measured in
# the same run) and its PyTorch twin bench/engine_twin.py (threads=2, OPENBLAS_CORETYPE=SkylakeX)
# on the same shapes, then prints qaudio's ratio to the bare matmul and its speed-up over PyTorch.
#   BENCH_SHAPES=384x1500,1280x1500,512x2048 BENCH_STEM=1280x3000 BENCH_REPS=5 bash bench/bench_engine.sh
# (the conv stem, 80 mel bins -> D over F frames, has no PyTorch twin: its line compares with the
# bare-matmul figure only)
# Not a test: timings depend on the machine and its load (the load average is printed).
set -euo pipefail
BUILD=${BUILD:-build}
SHAPES=${BENCH_SHAPES:-384x1500,1280x1500,512x2048}
REPS=${BENCH_REPS:-5}
PY=${PYTHON:-/usr/bin/python3}   # Debian's python3 has python3-torch
[ -x "$BUILD/bench/bench_engine" ] || make --no-print-directory "$BUILD/bench/bench_engine"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/bench/bench_engine" --reps "$REPS" --shapes "$SHAPES" --stem "${BENCH_STEM:-1280x3000}" | tee "$tmp/qa.txt"
if "$PY" -c 'import torch' 2>/dev/null; then
  OPENBLAS_CORETYPE=SkylakeX "$PY" bench/engine_twin.py --threads 2 --reps 2 --shapes "$SHAPES" | tee "$tmp/twin.txt"
else
  echo "SKIP PyTorch twin: $PY cannot import torch (make deps-bench installs python3-torch)"
  : > "$tmp/twin.txt"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# summary: case D T | qaudio ms, GFLOP/s, ratio to bare matmul | PyTorch ms | speed-up
awk '
  FNR == NR && $1 == "twin" { key = $2 " " $3 " " $4; split($5, a, "="); twin[key] = a[2]; next }
  $1 == "qaudio" && NF >= 9 {
    key = $2 " " $3 " " $4
    for (i = 5; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] }
    t = (key in twin) ? twin[key] : "-"
    up = (key in twin) ? sprintf("%.1fx", twin[key] / v["ms"]) : "-"
    printf "summary %-6s %-6s %-6s qaudio %8.1f ms %6.1f GFLOP/s ratio-to-bare-matmul %.2f | pytorch %s ms | qaudio speed-up %s\n",
           $2, $3, $4, v["ms"], v["gflops"], v["ratio"], t, up
  }' "$tmp/twin.txt" "$tmp/qa.txt"
