# qaudio eval-data: exit codes, stderr counts, atomic output, on a generated LibriSpeech-layout
# fixture (empty placeholder .flac files: the command only checks that audio exists).
. tests/cli/lib.sh
R=$TMP/ls
mkdir -p "$R/test-clean/61/70968"
printf '61-70968-0000 HE BEGAN A CONFUSED COMPLAINT\n61-70968-0001 GIVE NOT SO EARNEST A MIND\n' \
  > "$R/test-clean/61/70968/61-70968.trans.txt"
: > "$R/test-clean/61/70968/61-70968-0000.flac"
: > "$R/test-clean/61/70968/61-70968-0001.flac"
RA=$(cd "$R" && pwd -P)

expect_exit list 0 "$QAUDIO" eval-data --list
expect_grep list_names '^nsynth ' "$TMP/out"
expect_exit help 0 "$QAUDIO" eval-data --help
expect_exit no_dataset 2 "$QAUDIO" eval-data --root "$R" -o "$TMP/o.jsonl"
expect_exit unknown_dataset 2 "$QAUDIO" eval-data --dataset foo --root "$R" -o "$TMP/o.jsonl"
expect_exit unknown_flag 2 "$QAUDIO" eval-data --dataset librispeech --root "$R" -o "$TMP/o.jsonl" --frob
expect_exit direction_wrong_dataset 2 "$QAUDIO" eval-data --dataset clotho --direction en-de --root "$R" -o "$TMP/o.jsonl"

expect_exit convert 0 "$QAUDIO" eval-data --dataset librispeech --root "$R" --split test-clean -o "$TMP/o.jsonl"
expect_grep counts_on_stderr 'librispeech_test_clean +2 lines' "$TMP/err"
want="{\"audio\":\"$RA/test-clean/61/70968/61-70968-0001.flac\",\"gt\":\"GIVE NOT SO EARNEST A MIND\",\"source\":\"librispeech_test_clean\"}"
if [ "$(sed -n 2p "$TMP/o.jsonl")" = "$want" ] && [ "$(wc -l < "$TMP/o.jsonl")" -eq 2 ]; then pass output_lines
else fail output_lines "got: $(cat "$TMP/o.jsonl")"; fi

# a missing audio file: exit 1, message with file:line, the old output left untouched, no temp file
rm "$R/test-clean/61/70968/61-70968-0001.flac"
cp "$TMP/o.jsonl" "$TMP/before.jsonl"
expect_exit missing_audio 1 "$QAUDIO" eval-data --dataset librispeech --root "$R" --split test-clean -o "$TMP/o.jsonl"
expect_grep missing_audio_msg '61-70968.trans.txt:2: audio file .*61-70968-0001.flac not found' "$TMP/err"
if cmp -s "$TMP/o.jsonl" "$TMP/before.jsonl" && ! ls "$TMP"/o.jsonl.tmp.* >/dev/null 2>&1; then pass atomic_output
else fail atomic_output "output changed or temp file left"; fi
expect_exit skip_missing 0 "$QAUDIO" eval-data --dataset librispeech --root "$R" --split test-clean --skip-missing -o "$TMP/o.jsonl"
expect_grep skip_missing_count 'skipped 1 entries' "$TMP/err"
expect_exit quiet 0 "$QAUDIO" eval-data -q --dataset librispeech --root "$R" --split test-clean --skip-missing -o "$TMP/o.jsonl"
if [ ! -s "$TMP/err" ]; then pass quiet_stderr; else fail quiet_stderr "stderr not empty: $(cat "$TMP/err")"; fi
expect_exit bad_root 1 "$QAUDIO" eval-data --dataset librispeech --root "$TMP/nowhere" -o "$TMP/o.jsonl"
expect_exit bad_split 1 "$QAUDIO" eval-data --dataset librispeech --root "$R" --split dev-clean -o "$TMP/o.jsonl"
expect_grep bad_split_msg "split folder 'dev-clean' not found" "$TMP/err"
finish
