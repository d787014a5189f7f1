# qaudio tokenize and spm-train: ids on stdout, stdin read verbatim, --decode round trip, modes,
# bad input (invalid UTF-8, corrupt vocabulary, bad ids, bad flags) -> clear error and exit code.
. tests/cli/lib.sh
VOCAB="$SHARED/assets/qwen.tiktoken"

expect_exit no_tokenizer_flag 2 "$QAUDIO" tokenize hello
expect_grep no_tokenizer_msg 'tokenizer FILE is required' "$TMP/err"
expect_exit missing_vocab 1 "$QAUDIO" tokenize --tokenizer "$TMP/nope.tiktoken" hello
expect_grep missing_vocab_msg 'nope.tiktoken' "$TMP/err"
printf 'IQ== 0\nIg== 1\n!!!! 2\n' > "$TMP/bad.tiktoken"
expect_exit corrupt_vocab 1 "$QAUDIO" tokenize --tokenizer "$TMP/bad.tiktoken" hello
expect_grep corrupt_vocab_names_line 'bad.tiktoken:3:' "$TMP/err"
expect_exit help 0 "$QAUDIO" tokenize --help
expect_grep help_text 'special' "$TMP/out"

# spm-train + tokenize with a .model (needs no external asset)
for i in $(seq 1 400); do echo "the dog barks at the train station in the morning rain $i"; done > "$TMP/corpus.txt"
expect_exit spm_train 0 "$QAUDIO" spm-train --input "$TMP/corpus.txt" --vocab-size 4000 -o "$TMP/m"
if [ -s "$TMP/m.model" ] && [ -s "$TMP/m.vocab" ]; then pass spm_files; else fail spm_files "m.model/m.vocab missing"; fi
expect_exit spm_encode 0 "$QAUDIO" tokenize --tokenizer "$TMP/m.model" "the dog barks<|en|><|1.50|>"
cp "$TMP/out" "$TMP/spm_ids"
expect_exit spm_decode 0 "$QAUDIO" tokenize --tokenizer "$TMP/m.model" --decode - < "$TMP/spm_ids"
if [ "$(cat "$TMP/out")" = "the dog barks<|en|><|1.50|>" ]; then pass spm_roundtrip; else fail spm_roundtrip "got '$(cat "$TMP/out")'"; fi
expect_exit spm_small_vocab 1 "$QAUDIO" spm-train --input "$TMP/corpus.txt" --vocab-size 100 -o "$TMP/m2"
expect_grep spm_small_vocab_msg 'too small' "$TMP/err"
expect_exit spm_no_input 2 "$QAUDIO" spm-train --vocab-size 4000 -o "$TMP/m3"
expect_exit spm_missing_corpus 1 "$QAUDIO" spm-train --input "$TMP/none.txt" --vocab-size 4000 -o "$TMP/m3"

if [ ! -f "$VOCAB" ]; then
  skip qwen_vocab "qwen.tiktoken not found at $VOCAB (set QAUDIO_SHARED)"
  finish
fi
T() { "$QAUDIO" tokenize --tokenizer "$VOCAB" "$@"; }
expect_exit encode_arg 0 T "Hello world"
if [ "$(cat "$TMP/out")" = "9707 1879" ]; then pass encode_arg_ids; else fail encode_arg_ids "got '$(cat "$TMP/out")'"; fi
# stdin verbatim: the trailing newline is text (198 = "\n")
printf 'a\n' | T - > "$TMP/o1"
if [ "$(cat "$TMP/o1")" = "64 198" ]; then pass stdin_verbatim; else fail stdin_verbatim "got '$(cat "$TMP/o1")'"; fi
printf 'a\n' | T > "$TMP/o3"
if [ "$(cat "$TMP/o3")" = "64 198" ]; then pass stdin_without_dash; else fail stdin_without_dash "got '$(cat "$TMP/o3")'"; fi
printf '' | T - > "$TMP/o2"
if [ "$(cat "$TMP/o2")" = "" ] && [ "$(wc -l < "$TMP/o2")" = 1 ]; then pass empty_input; else fail empty_input "got '$(cat "$TMP/o2")'"; fi
# the three modes on one text
S='<|endoftext|><|en|>'
if [ "$(T --special all "$S")" = "151643 151859" ]; then pass mode_all; else fail mode_all "$(T --special all "$S")"; fi
A=$(T --special audio "$S"); case "$A" in *" 151859") case "$A" in 151643*) fail mode_audio "$A" ;; *) pass mode_audio ;; esac ;; *) fail mode_audio "$A" ;; esac
N=$(T --special none "$S"); case "$N" in *1518*|*1516*) fail mode_none "$N" ;; *) pass mode_none ;; esac
expect_exit bad_mode 2 T --special some "x"
# decode round trip, byte-exact (CRLF, trailing spaces, Chinese, emoji)
printf 'line one\r\n  你好，世界 👨‍👩‍👧 <audio>/data/x y.wav</audio>  \n' > "$TMP/text"
T - < "$TMP/text" > "$TMP/ids" && T --decode - < "$TMP/ids" > "$TMP/back"
if cmp -s "$TMP/text" "$TMP/back"; then pass decode_roundtrip; else fail decode_roundtrip "differs"; fi
if [ "$(T --decode --skip-special '151643 9707 151859')" = "Hello" ]; then pass decode_skip_special; else fail decode_skip_special "$(T --decode --skip-special '151643 9707 151859')"; fi
# bad input
printf 'ab\377cd' > "$TMP/bad.txt"
expect_exit invalid_utf8 1 T - < "$TMP/bad.txt"
expect_grep invalid_utf8_msg 'not valid UTF-8.*offset 2' "$TMP/err"
expect_exit decode_bad_id 1 T --decode "12 999999"
expect_grep decode_bad_id_msg 'out of range' "$TMP/err"
expect_exit decode_not_int 1 T --decode "12 abc"
expect_grep decode_not_int_msg "'abc' is not a token id" "$TMP/err"
finish
