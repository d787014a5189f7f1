#!/usr/bin/env bash
# Tokenizer encode throughput, qaudio vs the pure-Python reference twin (bench/tokenizer_ref.py,
# `regex` module + rank BPE; tiktoken itself is not installable here), on the same deterministic
# mixed English/Chinese text, one thread each. The checksums of the ids must agree.
set -euo pipefail
BUILD=${BUILD:-build}
SHARED=${QAUDIO_SHARED:-../shared}
VOCAB=$SHARED/assets/qwen.tiktoken
MB=${TOKENIZER_BENCH_MB:-3}
if [ ! -f "$VOCAB" ]; then echo "SKIP tokenizer bench: $VOCAB not found (set QAUDIO_SHARED)"; exit 0; fi
if ! python3 -c 'import regex' 2>/dev/null; then echo "SKIP tokenizer bench: python3-regex not installed"; exit 0; fi
mkdir -p "$BUILD/bench"
TEXT=$BUILD/bench/tokenizer_text_${MB}mb.txt
[ -f "$TEXT" ] || python3 bench/tokenizer_ref.py gen "$TEXT" "$MB"
C_OUT=$(OMP_NUM_THREADS=1 "$BUILD/bench/bench_tokenizer" "$VOCAB" "$TEXT")
echo "$C_OUT"
PY_OUT=$(python3 bench/tokenizer_ref.py bench "$VOCAB" "$TEXT")
echo "$PY_OUT"
c_mbs=$(sed -n 's/.* = \([0-9.]*\) MB\/s.*/\1/p' <<<"$C_OUT" | head -1)
p_mbs=$(sed -n 's/.* = \([0-9.]*\) MB\/s.*/\1/p' <<<"$PY_OUT" | head -1)
c_chk=$(sed -n 's/.*checksum \([0-9]*\).*/\1/p' <<<"$C_OUT" | head -1)
p_chk=$(sed -n 's/.*checksum \([0-9]*\).*/\1/p' <<<"$PY_OUT" | head -1)
[ "$c_chk" = "$p_chk" ] && same="ids identical (checksum $c_chk)" || same="IDS DIFFER ($c_chk vs $p_chk)"
echo "tokenizer encode: qaudio $c_mbs MB/s, python reference $p_mbs MB/s, ratio $(python3 -c "print(f'{$c_mbs/$p_mbs:.1f}')")x; $same; target >= 10 MB/s"
[ "$c_chk" = "$p_chk" ]
