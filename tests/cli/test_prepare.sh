# qaudio prepare / inspect from the command line: exit codes, rejected records, the inspect views,
# corrupt shards. Needs the real tokenizer and audio assets from ../shared (SKIP otherwise).
. tests/cli/lib.sh
TOK=$SHARED/assets/qwen.tiktoken
FLAC=$SHARED/assets/audio/1272-128104-0000.flac
if [ ! -e "$TOK" ] || [ ! -e "$FLAC" ]; then skip prepare_cli "qwen.tiktoken or the audio assets not found under $SHARED"; finish; fi
FLAC=$(cd "$(dirname "$FLAC")" && pwd)/$(basename "$FLAC")
cat >"$TMP/m.jsonl" <<JSON
{"audio": "$FLAC", "task": "asr", "lang": "en", "text": "mister quilter is the apostle of the middle classes"}
{"audio": "nothere.wav", "task": "asr", "lang": "en", "text": "x"}
{"messages": [{"role": "user", "content": "Audio 1: <audio>$FLAC</audio>\nwhat does the person say?"}, {"role": "assistant", "content": "mister quilter"}]}
not json
JSON
expect_exit prepare_rejects 1 "$QAUDIO" prepare -q -m "$TMP/m.jsonl" -o "$TMP/a" -t "$TOK"
expect_grep prepare_names_count '2 of 4 records rejected' "$TMP/err"
expect_grep rejected_line2 '"line":2,.*nothere.wav' "$TMP/a/rejected.jsonl"
expect_grep rejected_line4 '"line":4,.*bad JSON' "$TMP/a/rejected.jsonl"
expect_exit prepare_skip_bad 0 "$QAUDIO" prepare -m "$TMP/m.jsonl" -o "$TMP/b" -t "$TOK" --skip-bad --workers 2
expect_grep prepare_progress 'prepare: done: 4 records, 2 samples' "$TMP/err"
expect_grep index_samples '"samples":[[:space:]]*2' "$TMP/b/index.json"
expect_grep index_tasks '"chat":[[:space:]]*1' "$TMP/b/index.json"
expect_exit prepare_existing_dir 1 "$QAUDIO" prepare -q -m "$TMP/m.jsonl" -o "$TMP/b" -t "$TOK" --skip-bad
expect_exit prepare_bad_flag 2 "$QAUDIO" prepare --frobnicate
expect_exit prepare_bad_format 2 "$QAUDIO" prepare -m "$TMP/m.jsonl" -o "$TMP/c" -t "$TOK" --format yaml
expect_exit prepare_bad_loss 2 "$QAUDIO" prepare -m "$TMP/m.jsonl" -o "$TMP/c" -t "$TOK" --loss target,everything
expect_exit inspect_text 0 "$QAUDIO" inspect "$TMP/b/shard-00000.h5"
expect_grep inspect_marks_loss '<\|startoftranscript\|>\[\[<\|en\|>\]\]<\|transcribe\|>' "$TMP/out"
expect_grep inspect_audio_span '<audio>\[146 x AUDIO\]</audio>' "$TMP/out"
expect_grep inspect_duration 'audio   0: 5.855 s, mel_len 585, span 148' "$TMP/out"
expect_exit inspect_chat 0 "$QAUDIO" inspect "$TMP/b/shard-00000.h5" --sample 1 -t "$TOK"
expect_grep inspect_chat_loss '\[\[mister quilter<\|im_end\|>\]\]' "$TMP/out"
expect_exit inspect_json 0 "$QAUDIO" inspect "$TMP/b/shard-00000.h5" --sample 1 --json
expect_grep inspect_json_fields '"ids":\[151644,8948,198,.*"labels":\[-100,' "$TMP/out"
expect_exit inspect_bad_sample 1 "$QAUDIO" inspect "$TMP/b/shard-00000.h5" --sample 2
head -c 3000 "$TMP/b/shard-00000.h5" >"$TMP/cut.h5"
expect_exit inspect_truncated 1 "$QAUDIO" inspect "$TMP/cut.h5"
expect_grep inspect_truncated_names_file 'cut.h5' "$TMP/err"
# SRWT rounding on the written decimal (1.005 -> 1.01) and records with typed audio markup refused
cat >"$TMP/e.jsonl" <<JSON
{"audio": "$FLAC", "task": "srwt", "lang": "en", "words": [["mister", 1.005, 1.015]]}
{"audio": "$FLAC", "task": "asr", "lang": "en", "text": "look <audio>x.wav</audio> here"}
{"audio": "$FLAC", "task": "srwt", "lang": "en", "words": [["late", 5.0, 6.0]]}
JSON
expect_exit prepare_edge_rejects 1 "$QAUDIO" prepare -q -m "$TMP/e.jsonl" -o "$TMP/e" -t "$TOK"
expect_grep prepare_edge_count '2 of 3 records rejected' "$TMP/err"
expect_grep rejected_stray_audio '"line":2,.*outside an audio reference' "$TMP/e/rejected.jsonl"
expect_grep rejected_srwt_after_end '"line":3,.*after the end of the audio' "$TMP/e/rejected.jsonl"
expect_exit inspect_srwt 0 "$QAUDIO" inspect "$TMP/e/shard-00000.h5"
expect_grep inspect_srwt_rounding '<\|sil\|><\|1.01\|>mister<\|1.02\|><\|sil\|><\|5.86\|>' "$TMP/out"
expect_exit prepare_bad_workers 1 "$QAUDIO" prepare -q -m "$TMP/e.jsonl" -o "$TMP/w" -t "$TOK" --workers 0
expect_grep prepare_bad_workers_named '--workers 0: must be in 1..256' "$TMP/err"
head -1 "$TMP/e.jsonl" >"$TMP/p.jsonl"
expect_exit prepare_pcm 0 "$QAUDIO" prepare -q -m "$TMP/p.jsonl" -o "$TMP/p" -t "$TOK" --features pcm
expect_exit inspect_pcm 0 "$QAUDIO" inspect "$TMP/p/shard-00000.h5"
expect_grep inspect_pcm_samples 'audio   0: 5.855 s, mel_len 585, span 148 tokens, 93680 PCM samples stored' "$TMP/out"
: >"$TMP/empty.jsonl"
expect_exit prepare_empty_manifest 1 "$QAUDIO" prepare -q -m "$TMP/empty.jsonl" -o "$TMP/z" -t "$TOK"
expect_grep prepare_empty_named 'no sample written: .*empty.jsonl has 0 records' "$TMP/err"
sed -n 2p "$TMP/e.jsonl" >"$TMP/allbad.jsonl"
expect_exit prepare_all_rejected_skip_bad 1 "$QAUDIO" prepare -q -m "$TMP/allbad.jsonl" -o "$TMP/z2" -t "$TOK" --skip-bad
expect_grep prepare_all_rejected_named 'no sample written: .*1 records, 1 rejected' "$TMP/err"
finish
