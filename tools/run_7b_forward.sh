#!/usr/bin/env bash
# tools/run_7b_forward.sh: the real-size check (NOT in make test; about 17 GB of disk and several
# minutes): initialises qwen-audio-7b in bf16 with `qaudio init` (once; reused when present) and runs
# one `qaudio forward --bf16 --loss` of a 10-second audio plus 64 text tokens, reporting wall time
# and peak memory (maximum RSS, which counts the mapped checkpoint pages the forward touched).
# Usage: tools/run_7b_forward.sh [WORK_DIR]   (default /tmp/qaudio-7b; BUILD=build)
set -euo pipefail
BUILD=${BUILD:-build}
Q=$BUILD/qaudio
W=${1:-/tmp/qaudio-7b}
SHARED=${QAUDIO_SHARED:-../shared}
mkdir -p "$W"
if [ ! -f "$W/ckpt/model.safetensors.index.json" ] && [ ! -f "$W/ckpt/model.safetensors" ]; then
  tok=(); [ -f "$SHARED/assets/qwen.tiktoken" ] && tok=(--tokenizer "$SHARED/assets/qwen.tiktoken")
  echo "init qwen-audio-7b (bf16) into $W/ckpt ..."
  /usr/bin/time -f "init: %e s, max RSS %M KiB" "$Q" init --config configs/model/qwen-audio-7b.yaml \
    -o "$W/ckpt" --dtype bf16 --shard-size 4000000000 "${tok[@]}"
fi
# 10 s of 16 kHz mono 16-bit noise-like audio: 44-byte WAV header + 320000 bytes of an LCG
wav="$W/clip10s.wav"
if [ ! -f "$wav" ]; then
  le32() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $((($1 >> 8) & 255)))\\x$(printf %02x $((($1 >> 16) & 255)))\\x$(printf %02x $((($1 >> 24) & 255)))"; }
  { printf 'RIFF'; le32 $((36 + 320000)); printf 'WAVEfmt '; le32 16; printf '\x01\x00\x01\x00'; le32 16000; le32 32000
    printf '\x02\x00\x10\x00data'; le32 320000
    head -c 320000 /dev/urandom; } > "$wav"
fi
# ids: <audio> + 250 placeholders + </audio> (10 s -> 250 audio tokens) + 64 text ids; loss on the text
{ printf '{"input_ids": [155163'; for i in $(seq 250); do printf ', 151851'; done; printf ', 155164'
  for i in $(seq 64); do printf ', %d' $((1000 + 37 * i)); done
  printf '], "audios": ["clip10s.wav"], "labels_from": 252}\n'; } > "$W/sample.json"
echo "forward (bf16 weights in place in the mapping, f32 activations) ..."
/usr/bin/time -f "forward: %e s wall, max RSS %M KiB" "$Q" forward --model "$W/ckpt" --input "$W/sample.json" \
  --bf16 --loss -o "$W/logits.npy" | tee "$W/loss.json"
ls -la "$W/logits.npy"
# A randomly initialised model predicts close to uniformly: the loss must be finite and near
# ln(155947) = 11.96; the logits file must hold (316, 155947) float32 values.
awk -F'[:,}]' '/"loss"/ { l = $2 + 0; if (!(l > 10.5 && l < 13.5)) { print "7b forward: loss " l " is not near ln(V) = 11.96"; exit 1 }
                        print "7b forward: loss " l " (near ln(V) = 11.96): ok" }' "$W/loss.json"
want=$((128 + 316 * 155947 * 4)); got=$(stat -c %s "$W/logits.npy")
[ "$got" -eq "$want" ] || { echo "7b forward: logits.npy has $got bytes, expected $want for (316, 155947) f32"; exit 1; }
echo "7b forward: logits (316, 155947) f32: ok"
