# qaudio score: golden values through the CLI, per-source results, errors and exit codes.
. tests/cli/lib.sh
D=tests/data/metrics
# expect_value NAME WANT TOLERANCE : compares the "value" of the JSON in $TMP/out
expect_value() {
  local got
  got=$(sed -n 's/.*"value":\([-0-9.eE+]*\).*/\1/p' "$TMP/out")
  if [ -n "$got" ] && awk -v g="$got" -v w="$2" -v t="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= t * (w < 0 ? -w : w)) }'; then
    pass "$1"; else fail "$1" "value '$got', expected $2"; fi
}
expect_exit wer_en 0 "$QAUDIO" score --metric wer --lang en --hyp $D/wer_en.hyp --ref $D/wer_en.ref
expect_grep wer_en_json '^\{"metric":"wer","value":[0-9.]+,"n":30,.*"errors":' "$TMP/out"
expect_value wer_en_value 8.487084870848708 1e-6
expect_exit bleu_2ref 0 "$QAUDIO" score --metric bleu --tokenize 13a --hyp $D/bleu_13a_de_2ref.hyp --ref $D/bleu_13a_de_2ref.ref
expect_grep bleu_parts '"precision_1":.*"bp":.*"sys_len":.*"ref_len":' "$TMP/out"
expect_value bleu_2ref_value 50.3587160514849 1e-6
expect_exit cider 0 "$QAUDIO" score --metric cider --hyp $D/cider.hyp --ref $D/cider.ref
expect_value cider_value 1.509153180693027 1e-6
expect_exit aas 0 "$QAUDIO" score -m aas --lang zh --hyp $D/aas_zh.hyp --ref $D/aas_zh.ref -o "$TMP/aas.json"
cp "$TMP/aas.json" "$TMP/out" 2>/dev/null
expect_value aas_output_file 33.90804597701151 1e-6

# Whisper normaliser: "Twenty one colours." vs "21 COLORS" is 0 % only after normalisation
printf 'Twenty one colours.\n' > "$TMP/nh"; printf '21 COLORS\n' > "$TMP/nr"
expect_exit wer_plain 0 "$QAUDIO" score --metric wer --hyp "$TMP/nh" --ref "$TMP/nr"
expect_value wer_plain_value 150 1e-9
expect_exit wer_whisper_en 0 "$QAUDIO" score --metric wer --normalizer whisper-en --hyp "$TMP/nh" --ref "$TMP/nr"
expect_grep wer_whisper_en_value '"value":0,' "$TMP/out"
expect_exit bad_normalizer 2 "$QAUDIO" score --metric wer --normalizer whisper-fr --hyp "$TMP/nh" --ref "$TMP/nr"
expect_exit nsynth_instrument 0 "$QAUDIO" score --metric nsynth-instrument --hyp $D/map_nsynth.hyp --ref $D/map_nsynth.ref
expect_value nsynth_instrument_value 0.9583333333333334 1e-9

# --results: per source, gt as a string or a list, BLEU tokenizer from a *_zh_* source
cat > "$TMP/res.jsonl" <<'J'
{"gt": "a b c d", "response": "a b c d", "source": "asr_a"}
{"gt": ["x y z w"], "response": "x y z q", "source": "asr_b"}
{"gt": "e f", "response": "e", "source": "asr_a"}
J
expect_exit results 0 "$QAUDIO" score --metric wer --results "$TMP/res.jsonl"
expect_grep results_sources '"per_source":\{"asr_a":\{"value":16.6666[0-9]*,"n":2.*"asr_b":\{"value":25,"n":1' "$TMP/out"
# one 13a token each (BLEU 0); per character (zh) they share most n-grams
printf '{"gt": "我们今天去公园散步", "response": "我们今天去公园散步了", "source": "covost_v2_en_zh_test"}\n' > "$TMP/zh.jsonl"
expect_exit results_zh_bleu 0 "$QAUDIO" score --metric bleu --results "$TMP/zh.jsonl"
expect_grep results_zh_tok '"covost_v2_en_zh_test":\{"value":[1-9][0-9]\.' "$TMP/out"

# errors: a clear message and exit 1 (bad input) or 2 (usage)
printf 'a\nb\n' > "$TMP/h2"; printf 'a\n' > "$TMP/r1"
expect_exit mismatch 1 "$QAUDIO" score --metric wer --hyp "$TMP/h2" --ref "$TMP/r1"
expect_grep mismatch_msg 'has 2 lines but .* has 1' "$TMP/err"
expect_exit missing_file 1 "$QAUDIO" score --metric wer --hyp "$TMP/nope" --ref "$TMP/r1"
printf '{"gt": "a", "response": "a"}\n{"gt": 1, "response": "a"}\n' > "$TMP/bad.jsonl"
expect_exit bad_json 1 "$QAUDIO" score --metric acc --results "$TMP/bad.jsonl"
expect_grep bad_json_line 'bad.jsonl:2' "$TMP/err"
expect_exit unknown_metric 2 "$QAUDIO" score --metric meteor --hyp "$TMP/h2" --ref "$TMP/h2"
expect_exit no_metric 2 "$QAUDIO" score --hyp "$TMP/h2" --ref "$TMP/h2"
expect_exit unused_normalizer 2 "$QAUDIO" score --metric bleu --normalizer whisper-en --hyp "$TMP/h2" --ref "$TMP/h2"
expect_grep unused_normalizer_msg 'applies to wer and cer only' "$TMP/err"
expect_exit unused_tokenize 2 "$QAUDIO" score --metric wer --tokenize zh --hyp "$TMP/h2" --ref "$TMP/h2"
expect_exit unused_lang 2 "$QAUDIO" score --metric acc --lang zh --hyp "$TMP/h2" --ref "$TMP/h2"
expect_exit bad_lang 2 "$QAUDIO" score --metric wer --lang fr --hyp "$TMP/h2" --ref "$TMP/h2"
expect_exit unknown_flag 2 "$QAUDIO" score --metric wer --frob --hyp "$TMP/h2" --ref "$TMP/h2"
env -u QAUDIO_SPICE_JAR "$QAUDIO" score --metric spice --hyp $D/cider.hyp --ref $D/cider.ref >"$TMP/out" 2>"$TMP/err"
if [ $? -eq 1 ]; then pass spice_unavailable_exit; else fail spice_unavailable_exit "expected exit 1"; fi
expect_grep spice_unavailable_msg 'SPICE is unavailable.*QAUDIO_SPICE_JAR' "$TMP/err"
if [ -s "$TMP/out" ]; then fail spice_no_value "printed '$(cat "$TMP/out")'"; else pass spice_no_value; fi
# the SPICE runner's plumbing, with a stand-in `java` that gives every clip f = 0.5 (the real jar
# needs Java and Stanford models; this checks the arguments, the input and the output parsing)
mkdir -p "$TMP/bin"; : > "$TMP/fake-spice.jar"
cat > "$TMP/bin/java" <<'SH'
#!/bin/sh
# expects: -jar -Xmx8G JAR IN -cache DIR -out OUT -subset -silent
[ "$1" = -jar ] && [ "$2" = -Xmx8G ] && [ "$5" = -cache ] && [ "$7" = -out ] && [ "$9" = -subset ] || exit 3
n=$(grep -o '"image_id"' "$4" | wc -l)
grep -q '"test":"a dog barks repeatedly while cars pass by"' "$4" || exit 4
{ printf '['; i=0; while [ $i -lt $n ]; do [ $i -gt 0 ] && printf ','; printf '{"image_id":%d,"scores":{"All":{"f":0.5}}}' $i; i=$((i+1)); done; printf ']'; } > "$8"
SH
chmod +x "$TMP/bin/java"
PATH="$TMP/bin:$PATH" QAUDIO_SPICE_JAR="$TMP/fake-spice.jar" expect_exit spice_runner 0 "$QAUDIO" score --metric spice --hyp $D/cider.hyp --ref $D/cider.ref
expect_value spice_runner_value 0.5 1e-12
PATH="$TMP/bin:$PATH" QAUDIO_SPICE_JAR="$TMP/fake-spice.jar" expect_exit spider_runner 0 "$QAUDIO" score --metric spider --hyp $D/cider.hyp --ref $D/cider.ref
expect_value spider_runner_value 1.0045765903465135 1e-9
expect_exit help 0 "$QAUDIO" score --help
# a TAB in the reference of a single-reference metric: an error naming the file and line, not a silent first field
printf 'a b\nc\n' > "$TMP/sh"; printf 'a b\nc\td\n' > "$TMP/sr"
expect_exit wer_multi_ref 1 "$QAUDIO" score --metric wer --hyp "$TMP/sh" --ref "$TMP/sr"
expect_grep wer_multi_ref_msg 'sr: line 2: .*2 references' "$TMP/err"
printf '{"gt": ["a", "b"], "response": "a", "source": "s"}\n' > "$TMP/ml.jsonl"
expect_exit wer_results_list 1 "$QAUDIO" score --metric wer --results "$TMP/ml.jsonl"
expect_grep wer_results_list_msg "source 's': line 1: 2 references" "$TMP/err"
expect_exit acc_multi_ref 1 "$QAUDIO" score --metric acc --hyp "$TMP/sh" --ref "$TMP/sr"
finish
