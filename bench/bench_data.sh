#!/usr/bin/env bash
# bench/bench_data.sh: `qaudio prepare` throughput (audio hours per minute, 1 and 2 workers) and
# loader throughput (samples/s with prefetch) for 10-second samples, against the PyTorch twin
# (bench/data_twin.py) in the same run; then what a training step of the `small` model consumes
# against what the loader delivers (bench_small_step; SMALL_STEPS=0 skips it: it writes a 740 MB
# checkpoint and takes about a minute). Run through `make bench BENCH=data`.
set -euo pipefail
BUILD=${BUILD:-build}
QAUDIO=${QAUDIO:-$BUILD/qaudio}
PY=${PYTHON:-/usr/bin/python3}
N=${N:-120}
SHARED=${QAUDIO_SHARED:-../shared}
TOK=$SHARED/assets/qwen.tiktoken
[ -e "$TOK" ] || { echo "SKIP bench_data: $TOK not found"; exit 0; }
W=$(mktemp -d /tmp/qaudio-bench-data-XXXXXX); trap 'rm -rf "$W"' EXIT
# N ten-second 16-bit WAVs (a chirp plus noise each) and an ASR manifest
"$PY" - "$W" "$N" <<'PY'
import sys, wave, numpy as np
d, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
t = np.arange(160000) / 16000.0
with open(f"{d}/m.jsonl", "w") as m:
    for i in range(n):
        x = 0.3 * np.sin(2 * np.pi * (200 + 40 * i) * t * (1 + t / 10)) + 0.02 * rng.standard_normal(t.size)
        with wave.open(f"{d}/a{i:04d}.wav", "wb") as w:
            w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
            w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
        m.write('{"audio": "a%04d.wav", "task": "asr", "lang": "en", "text": "the quick brown fox jumps over the lazy dog number %d"}\n' % (i, i))
PY
hours=$(awk -v n="$N" 'BEGIN { print n * 10 / 3600 }')
for w in 1 2; do
  t0=$(date +%s.%N)
  "$QAUDIO" prepare -q -m "$W/m.jsonl" -o "$W/out$w" -t "$TOK" --workers "$w" --shard-samples 50
  t1=$(date +%s.%N)
  hpm=$(awk -v h="$hours" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", h / ((b - a) / 60) }')
  echo "qaudio prepare, $N x 10 s, $w worker(s): $hpm audio h/min"
  [ "$w" = 1 ] && q1=$hpm
done
t0=$(date +%s.%N)
"$QAUDIO" prepare -q -m "$W/m.jsonl" -o "$W/out0" -t "$TOK" --shard-samples 50 --feature-deflate 0
t1=$(date +%s.%N)
awk -v h="$hours" -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN { printf "qaudio prepare, %d x 10 s, 1 worker, --feature-deflate 0: %.2f audio h/min\n", n, h / ((b - a) / 60) }'
echo "shard bytes: deflate 1: $(cat "$W"/out1/*.h5 | wc -c), uncompressed: $(cat "$W"/out0/*.h5 | wc -c)"
l=$("$BUILD/bench/bench_data" "$W/out1" 3)
echo "$l" | grep -v '^QAUDIO_LOADER_SPS' | sed 's/^/deflate 1: /'
qsps=$(echo "$l" | awk '/^QAUDIO_LOADER_SPS/ {print $2}')
"$BUILD/bench/bench_data" "$W/out0" 3 | grep -v '^QAUDIO_LOADER_SPS' | sed 's/^/uncompressed: /'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs share the 2 cores: figures are noisy)"
if [ "${SMALL_STEPS:-3}" != 0 ]; then
  "$QAUDIO" init --config configs/model/small.yaml -o "$W/small" --seed 7 >/dev/null
  OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} "$BUILD/bench/bench_small_step" "$W/small" "$W/out1" 4 "${SMALL_STEPS:-3}" |
    grep -v '^QAUDIO_'
  rm -rf "$W/small"
fi
if t=$(OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX} "$PY" bench/data_twin.py "$W" "$N" 2>&1); then
  echo "$t" | grep -v '^TORCH_'
  thpm=$(echo "$t" | awk '/^TORCH_PREPARE_HPM/ {print $2}')
  tsps=$(echo "$t" | awk '/^TORCH_LOADER_SPS/ {print $2}')
  awk -v q="$q1" -v t="$thpm" 'BEGIN { printf "prepare ratio (1 thread): qaudio %.2fx the torch twin (which only decodes and computes log-mel)\n", q / t }'
  awk -v q="$qsps" -v t="$tsps" 'BEGIN { printf "loader ratio: qaudio (from HDF5, prefetch) %.2fx the torch DataLoader (in memory)\n", q / t }'
else
  echo "SKIP torch twin: $(echo "$t" | tail -1)"
fi
