# qaudio forward on the shared golden sample (official Qwen-Audio code, ../shared/golden/model/tiny):
# loss to 1e-5 relative, logits rows to 1e-4 x max|logit|, both SAMPLE.json forms; bad inputs exit 1.
. tests/cli/lib.sh
G="$SHARED/golden/model/tiny"
if [ ! -f "$G/checkpoint/model.safetensors" ] || [ ! -f "$G/clip.wav" ]; then
  skip forward_golden "tiny golden checkpoint not found under $G (set QAUDIO_SHARED)"; finish
fi
WANT_LOSS=$(sed -n 's/.*"loss": \([-0-9.e]*\),.*/\1/p' tests/data/model/tiny/loss.json)
MAXABS=$(sed -n 's/.*"max_abs_logit": \([-0-9.e]*\).*/\1/p' tests/data/model/tiny/loss.json)
check_loss() { # NAME FILE
  local got tok
  got=$(sed -n 's/.*"loss": \([-0-9.e]*\),.*/\1/p' "$2"); tok=$(sed -n 's/.*"tokens": \([0-9]*\)}.*/\1/p' "$2")
  if [ -n "$got" ] && [ "$tok" = 9 ] && awk -v a="$got" -v b="$WANT_LOSS" 'BEGIN{d=a-b; if(d<0)d=-d; exit !(d <= 1e-5*b)}'; then
    pass "$1"; else fail "$1" "loss '$got' tokens '$tok', want $WANT_LOSS and 9"; fi
}
expect_exit forward_prompt_form 0 "$QAUDIO" forward --model "$G/checkpoint" --input "$G/sample.json" -o "$TMP/l.npy" --loss
check_loss loss_prompt_form "$TMP/out"
# logits rows: 128-byte .npy headers, rows of V float32
V=155947
head -c 128 "$TMP/l.npy" | grep -q "'shape': (97, $V)" && pass logits_shape || fail logits_shape "header $(head -c 100 "$TMP/l.npy")"
worst=0; i=0
for r in $(tr -d '[],' < tests/data/model/tiny/rows.json); do
  od -An -v -f -w4 -j $((128 + r * V * 4)) -N $((V * 4)) "$TMP/l.npy" > "$TMP/got"
  od -An -v -f -w4 -j $((128 + i * V * 4)) -N $((V * 4)) "$G/logits_rows.npy" > "$TMP/want"
  d=$(paste "$TMP/got" "$TMP/want" | awk '{d=$1-$2; if(d<0)d=-d; if(d>m)m=d} END{printf "%.9g", m+0}')
  n=$(wc -l < "$TMP/got")
  [ "$n" -eq $V ] || d=1e9
  worst=$(awk -v a="$worst" -v b="$d" 'BEGIN{print (b>a)?b:a}')
  i=$((i + 1))
done
awk -v w="$worst" -v m="$MAXABS" 'BEGIN{exit !(w <= 1e-4*m)}' && pass "logits_rows (max diff $worst)" \
  || fail logits_rows "max |diff| $worst > 1e-4 x $MAXABS"
# the ids form (the golden input_ids.json: audios given as objects with "url")
cp "$G/clip.wav" "$TMP/clip.wav"; cp tests/data/model/tiny/input_ids.json "$TMP/ids.json"
expect_exit forward_ids_form 0 "$QAUDIO" forward --model "$G/checkpoint" --input "$TMP/ids.json" --loss
check_loss loss_ids_form "$TMP/out"
# --bf16: weight matrices in bf16 (the 7B memory mode): the loss within bf16 rounding
expect_exit forward_bf16 0 "$QAUDIO" forward --model "$G/checkpoint" --input "$TMP/ids.json" --loss --bf16
got=$(sed -n 's/.*"loss": \([-0-9.e]*\),.*/\1/p' "$TMP/out")
awk -v a="$got" -v b="$WANT_LOSS" 'BEGIN{d=a-b; if(d<0)d=-d; exit !(a != "" && d <= 1e-2*b)}' && pass "loss_bf16 ($got)" \
  || fail loss_bf16 "loss '$got' vs $WANT_LOSS"
printf '{"input_ids": [1, 2, 3], "audios": ["clip.wav"]}' > "$TMP/noaudio_span.json"
# bad inputs
printf '{"prompt": "<audio>missing.wav</audio>hi", "target": "x"}' > "$TMP/missing.json"
expect_exit missing_audio 1 "$QAUDIO" forward --model "$G/checkpoint" --input "$TMP/missing.json" --loss
expect_grep missing_audio_msg 'missing.wav' "$TMP/err"
printf '{"prompt": "<audio>clip.wav hello", "target": "x"}' > "$TMP/unclosed.json"
expect_exit unclosed_audio 1 "$QAUDIO" forward --model "$G/checkpoint" --input "$TMP/unclosed.json" --loss
expect_grep unclosed_audio_msg 'without a closing </audio>' "$TMP/err"
printf '{"input_ids": [1, 2, 999999]}' > "$TMP/range.json"
expect_exit id_out_of_range 1 "$QAUDIO" forward --model "$G/checkpoint" --input "$TMP/range.json" --loss
expect_grep id_out_of_range_msg 'position 2: token id 999999' "$TMP/err"
expect_exit span_without_audio_tag 1 "$QAUDIO" forward --model "$G/checkpoint" --input "$TMP/noaudio_span.json" --loss
expect_grep span_without_audio_tag_msg '0 audio spans in the ids but 1 audios' "$TMP/err"
printf '[1, 2]' > "$TMP/notobj.json"
expect_exit not_an_object 1 "$QAUDIO" forward --model "$G/checkpoint" --input "$TMP/notobj.json" --loss
expect_exit no_model 2 "$QAUDIO" forward --input "$TMP/ids.json" --loss
expect_exit unknown_flag 2 "$QAUDIO" forward --model "$G/checkpoint" --input "$TMP/ids.json" --frobnicate
expect_exit unwritable_output 1 "$QAUDIO" forward --model "$G/checkpoint" --input "$TMP/ids.json" -o /nonexistent-dir/l.npy
expect_grep unwritable_output_msg 'directory /nonexistent-dir' "$TMP/err"
expect_exit bad_model_dir 1 "$QAUDIO" forward --model "$TMP/nowhere" --input "$TMP/ids.json" --loss
finish
