# qaudio init / info: random init, sharding, dtypes, info on configs and checkpoints, error exits.
. tests/cli/lib.sh
CFG=configs/model/tiny.yaml
SMALL="--set vocab_size=1000 --set audio.audio_start_id=990"
expect_exit init_f32 0 "$QAUDIO" init --config $CFG $SMALL -o "$TMP/a" --seed 3
[ -f "$TMP/a/model.safetensors" ] && [ -f "$TMP/a/config.json" ] && [ -f "$TMP/a/generation_config.json" ] \
  && pass init_files || fail init_files "missing files in $TMP/a"
expect_exit init_again 0 "$QAUDIO" init --config $CFG $SMALL -o "$TMP/b" --seed 3
cmp -s "$TMP/a/model.safetensors" "$TMP/b/model.safetensors" && pass init_deterministic || fail init_deterministic "bytes differ"
expect_exit init_sharded_bf16 0 "$QAUDIO" init --config $CFG $SMALL -o "$TMP/s" --seed 3 --dtype bf16 --shard-size 200000
n=$(ls "$TMP/s"/model-*-of-*.safetensors 2>/dev/null | wc -l)
[ "$n" -ge 2 ] && [ -f "$TMP/s/model.safetensors.index.json" ] && pass sharded_files || fail sharded_files "$n shards"
expect_exit info_sharded 0 "$QAUDIO" info "$TMP/s"
expect_grep info_bf16 'llm +BF16' "$TMP/out"
expect_grep info_shards 'weights: sharded' "$TMP/out"
expect_exit info_json 0 "$QAUDIO" info --json "$TMP/a"
expect_grep info_json_total '"total":[[:space:]]*212992([^0-9]|$)' "$TMP/out"
if [ -f "$SHARED/assets/qwen.tiktoken" ]; then
  expect_exit init_tokenizer 0 "$QAUDIO" init --config $CFG $SMALL -o "$TMP/t" --tokenizer "$SHARED/assets/qwen.tiktoken"
  cmp -s "$SHARED/assets/qwen.tiktoken" "$TMP/t/qwen.tiktoken" && pass tokenizer_copied || fail tokenizer_copied "differs"
else
  skip init_tokenizer "qwen.tiktoken not found in $SHARED/assets"
fi
expect_exit info_7b 0 "$QAUDIO" info --config configs/model/qwen-audio-7b.yaml --json
expect_grep info_7b_encoder '"trainable":[[:space:]]*640119808([^0-9]|$)' "$TMP/out"
expect_grep info_7b_llm '"trainable":[[:space:]]*7754182656([^0-9]|$)' "$TMP/out"
expect_grep info_7b_buffer '"buffers":[[:space:]]*1920000([^0-9]|$)' "$TMP/out"
if [ -d "$SHARED/golden/model/tiny/checkpoint" ]; then
  expect_exit info_golden 0 "$QAUDIO" info "$SHARED/golden/model/tiny/checkpoint"
  expect_grep info_golden_dtypes 'llm +BF16 +2 tensors' "$TMP/out"
else
  skip info_golden "golden/model/tiny not found"
fi
# convert: sharded bf16 -> single f32 holds the same values as the bf16 init (bf16 -> f32 is exact),
# and converting back to bf16 sharded gives the original shard bytes
expect_exit convert_f32 0 "$QAUDIO" convert "$TMP/s" -o "$TMP/c32" --dtype f32
expect_exit info_converted 0 "$QAUDIO" info "$TMP/c32"
expect_grep info_converted_f32 'llm +F32 +19 tensors' "$TMP/out"
expect_exit convert_back 0 "$QAUDIO" convert "$TMP/c32" -o "$TMP/cbf" --dtype bf16 --shard-size 200000
same=1; for f in "$TMP/s"/model-*.safetensors "$TMP/s/model.safetensors.index.json"; do
  cmp -s "$f" "$TMP/cbf/$(basename "$f")" || same=0; done
[ $same = 1 ] && pass convert_roundtrip_bytes || fail convert_roundtrip_bytes "shards differ"
expect_exit convert_same_dir 2 "$QAUDIO" convert "$TMP/s" -o "$TMP/s"
# errors: usage -> 2, bad input -> 1 with a message naming the place
expect_exit init_no_config 2 "$QAUDIO" init -o "$TMP/x"
expect_exit init_bad_flag 2 "$QAUDIO" init --config $CFG -o "$TMP/x" --frobnicate
expect_exit init_bad_dtype 2 "$QAUDIO" init --config $CFG -o "$TMP/x" --dtype f8
expect_exit init_whisper_alone 2 "$QAUDIO" init --config $CFG -o "$TMP/x" --whisper "$TMP"
printf 'include: %s\nhidden_size: thirty\n' "$PWD/$CFG" > "$TMP/bad.yaml"
expect_exit init_bad_yaml 1 "$QAUDIO" init --config "$TMP/bad.yaml" -o "$TMP/x"
expect_grep init_bad_yaml_msg 'bad.yaml:2: key hidden_size: expected an integer' "$TMP/err"
printf 'include: %s\nhidden_sise: 32\n' "$PWD/$CFG" > "$TMP/typo.yaml"
expect_exit init_unknown_key 1 "$QAUDIO" init --config "$TMP/typo.yaml" -o "$TMP/x"
expect_grep init_unknown_key_msg 'typo.yaml:2: unknown key hidden_sise' "$TMP/err"
expect_exit info_missing 1 "$QAUDIO" info "$TMP/nothing"
head -c 1000 "$TMP/a/model.safetensors" > "$TMP/a/m.tmp" && mv "$TMP/a/m.tmp" "$TMP/a/model.safetensors"
expect_exit info_truncated 1 "$QAUDIO" info "$TMP/a"
expect_grep info_truncated_msg 'byte' "$TMP/err"
finish
