#!/usr/bin/env bash
# make run: an end-to-end smoke of what qaudio does today, on the shared sample assets
# (../shared or $QAUDIO_SHARED). Each step prints what it runs; any failure stops the run
# with a non-zero exit. Outputs go to build/smoke/.
set -euo pipefail
Q=${QAUDIO:-build/qaudio}
SHARED=${QAUDIO_SHARED:-../shared}
OUT=build/smoke
rm -rf "$OUT"; mkdir -p "$OUT"
step() { echo; echo "== $*"; "$@"; }
[ -d "$SHARED/assets" ] || { echo "smoke: shared assets not found at $SHARED (set QAUDIO_SHARED)" >&2; exit 1; }
FLAC=$SHARED/assets/audio/1272-128104-0000.flac
TOK=$SHARED/assets/qwen.tiktoken

step "$Q" --version
# front end: decode, resample, exact Whisper log-mel
step "$Q" mel --info "$FLAC"
step "$Q" mel "$FLAC" -o "$OUT/mel.npy"
step "$Q" mel --info "$SHARED/assets/audio/es.mp3"
# tokenizer: the Qwen-Audio ASR prompt, and back
PROMPT='<audio>1272-128104-0000.flac</audio><|startoftranscript|><|en|><|transcribe|><|en|><|notimestamps|><|wo_itn|>'
step "$Q" tokenize --tokenizer "$TOK" "$PROMPT"
IDS=$("$Q" tokenize --tokenizer "$TOK" "$PROMPT")
step "$Q" tokenize --tokenizer "$TOK" --decode "$IDS"
echo
# checkpoints: a tiny random model in the Hugging Face layout, and what the real one needs
step "$Q" init --config configs/model/tiny.yaml -o "$OUT/tiny-ckpt" --seed 1 --tokenizer "$TOK"
step "$Q" info "$OUT/tiny-ckpt"
step "$Q" info --config configs/model/qwen-audio-7b.yaml
# the whole model on the tiny reference checkpoint: log-mel, encoder, splice, Qwen LM, loss
GM=$SHARED/golden/model/tiny
step "$Q" forward --model "$GM/checkpoint" --input "$GM/sample.json" -o "$OUT/logits.npy" --loss
echo "(the reference implementation's loss for this sample: $(grep -o '"loss": [0-9.]*' "$GM/loss.json"))"
# training data: a two-record manifest (pre-training ASR and a chat turn) into an HDF5 shard
cp "$FLAC" "$OUT/a.flac"
cat > "$OUT/train.jsonl" <<'JSONL'
{"audio": "a.flac", "task": "asr", "lang": "en", "text": "mister quilter is the apostle of the middle classes", "itn": false}
JSONL
step "$Q" prepare --manifest "$OUT/train.jsonl" --out "$OUT/shards" --tokenizer "$TOK"
step "$Q" inspect "$OUT/shards/shard-00000.h5" --sample 0
cat > "$OUT/chat.jsonl" <<'JSONL'
{"messages": [{"role": "user", "content": "Audio 1: <audio>a.flac</audio>\nwhat does the person say?"}, {"role": "assistant", "content": "The person says: \"mister quilter is the apostle of the middle classes\"."}]}
JSONL
step "$Q" prepare --manifest "$OUT/chat.jsonl" --out "$OUT/chat-shards" --tokenizer "$TOK" --format chat
step "$Q" inspect "$OUT/chat-shards/shard-00000.h5" --sample 0
# evaluation data: a LibriSpeech-layout folder made from the sample, converted to eval jsonl
LS=$OUT/LibriSpeech/test-clean/1272/128104
mkdir -p "$LS"; cp "$FLAC" "$LS/"
echo "1272-128104-0000 MISTER QUILTER IS THE APOSTLE OF THE MIDDLE CLASSES AND WE ARE GLAD TO WELCOME HIS GOSPEL" > "$LS/1272-128104.trans.txt"
step "$Q" eval-data --dataset librispeech --root "$OUT/LibriSpeech" --split test-clean -o "$OUT/librispeech_eval.jsonl"
cat "$OUT/librispeech_eval.jsonl"
# metrics on the shared goldens
G=$SHARED/golden/metrics
step "$Q" score --metric wer --lang en --hyp "$G/wer_en.hyp" --ref "$G/wer_en.ref"
step "$Q" score --metric bleu --tokenize 13a --hyp "$G/bleu_13a_de.hyp" --ref "$G/bleu_13a_de.ref"
step "$Q" score --metric cider --hyp "$G/cider.hyp" --ref "$G/cider.ref"
echo; echo "smoke: all steps passed (outputs in $OUT)"
