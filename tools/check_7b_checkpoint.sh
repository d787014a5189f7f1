#!/usr/bin/env bash
# Slow manual check (not in the default suite: writes 16 GB): initialises qwen-audio-7b in bf16 as
# 9 shards of at most 2 GB, loads it back with `qaudio info` (memory-mapped: the RSS stays far
# below the checkpoint size), and prints time and peak memory of both steps.
#   tools/check_7b_checkpoint.sh [OUT_DIR]     (default /tmp/qaudio-7b; removed at the end unless KEEP=1)
set -euo pipefail
QAUDIO=${QAUDIO:-build/qaudio}
OUT=${1:-/tmp/qaudio-7b}
rm -rf "$OUT"
/usr/bin/time -f "init: %e s, peak RSS %M kB" "$QAUDIO" init --config configs/model/qwen-audio-7b.yaml -o "$OUT" \
  --dtype bf16 --shard-size 2000000000
du -sb "$OUT"
/usr/bin/time -f "info: %e s, peak RSS %M kB" "$QAUDIO" info "$OUT"
[ "${KEEP:-0}" = 1 ] || rm -rf "$OUT"
