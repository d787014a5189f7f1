#!/usr/bin/env bash
# bench/bench_score.sh: `qaudio score` on 10,000 synthetic lines per metric (one core), and the
# pure-Python twins of WER and BLEU (bench/bench_score_twin.py, same definitions) on the same
# files, printing the ratio. Target: every metric under a second for 10,000 lines.
set -euo pipefail
QAUDIO=${QAUDIO:-build/qaudio}
N=${BENCH_LINES:-10000}
T=$(mktemp -d /tmp/qaudio-bench-score-XXXXXX); trap 'rm -rf "$T"' EXIT
# deterministic synthetic data: English ASR/MT/captions, Chinese, labels, NSynth notes, SRWT
awk -v n="$N" -v dir="$T" 'BEGIN {
  srand(1);
  split("the a dog cat barks runs over under fast slowly car rain falls on roof people talk in room music plays loud soft bird sings tree wind blows door opens man woman child water flows river city street night morning engine starts train arrives bell rings", V, " ");
  nv = length(V);
  split("今 天 我 们 去 公 园 散 步 这 本 书 很 有 趣 请 问 火 车 站 怎 么 走 他 在 比 赛 中 获 得 了 第 一 名", Z, " ");
  nz = length(Z);
  split("bright dark distortion fast_decay long_release multiphonic nonlinear_env percussive reverb tempo-synced", Q, " ");
  split("Bus Cafe Car Park Street Home Office Train", L, " ");
  for (i = 0; i < n; i++) {
    len = 8 + int(rand() * 12); ref = ""; hyp = "";
    for (k = 0; k < len; k++) { w = V[1 + int(rand() * nv)]; ref = ref (k ? " " : "") w;
      r = rand(); if (r < 0.08) w = V[1 + int(rand() * nv)]; if (r > 0.96) continue; hyp = hyp (hyp == "" ? "" : " ") w; }
    print toupper(ref) > (dir "/wer.ref"); print hyp "." > (dir "/wer.hyp");
    print ref "." > (dir "/bleu.ref"); print hyp "." > (dir "/bleu.hyp");
    caps = ref;
    for (c = 1; c < 5; c++) { cap = ""; cl = 6 + int(rand() * 8); for (k = 0; k < cl; k++) cap = cap (k ? " " : "") V[1 + int(rand() * nv)]; caps = caps "\t" cap }
    print caps > (dir "/cider.ref"); print hyp > (dir "/cider.hyp");
    zl = 10 + int(rand() * 15); zr = ""; zh = "";
    for (k = 0; k < zl; k++) { c = Z[1 + int(rand() * nz)]; zr = zr c; if (rand() < 0.05) c = Z[1 + int(rand() * nz)]; zh = zh c }
    print zr > (dir "/cer.ref"); print zh > (dir "/cer.hyp");
    print zr > (dir "/bleuzh.ref"); print zh > (dir "/bleuzh.hyp");
    lab = L[1 + int(rand() * 8)]; print lab > (dir "/acc.ref"); print (rand() < 0.7 ? lab : L[1 + int(rand() * 8)]) > (dir "/acc.hyp");
    print (rand() < 0.5 ? "yes" : "no") > (dir "/yn.ref"); print (rand() < 0.5 ? "yes" : "no") > (dir "/yn.hyp");
    q1 = Q[1 + int(rand() * 10)]; q2 = Q[1 + int(rand() * 10)];
    print "<|pitch|><|midi_pitch_" (21 + int(rand() * 80)) "|><|velocity|><|midi_velocity_100|><|instrument|>bass<|sonic|>" q1 ", " q2 > (dir "/map.ref");
    print "<|pitch|><|midi_pitch_60|><|velocity|><|midi_velocity_100|><|instrument|>bass<|sonic|>" (rand() < 0.5 ? q1 : q2) > (dir "/map.hyp");
    t = 0; sr = "<|0.00|>"; sh = "<|0.00|>";
    for (k = 0; k < 12; k++) { t += 0.2 + rand() * 0.3; c = Z[1 + int(rand() * nz)];
      sr = sr c sprintf("<|%.2f|>", t); sh = sh c sprintf("<|%.2f|>", t + (rand() - 0.5) * 0.1) }
    print sr > (dir "/aas.ref"); print sh > (dir "/aas.hyp");
  } }'
# wall time and CPU time (user + sys) from bash's `time` (no extra package): on a loaded machine
# the CPU time is the figure to read
TIMEFORMAT='%R %U %S'
timed() { # OUTFILE TIMEFILE CMD... : runs CMD > OUTFILE, writes "wall user sys" to TIMEFILE
  local out=$1 tf=$2; shift 2
  { time "$@" > "$out" 2>/dev/null ; } 2> "$tf"
}
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a + b }'; }
run() { # NAME FILE ARGS...
  local name=$1 f=$2; shift 2
  timed "$T/$name.json" "$T/$name.t" taskset -c 0 "$QAUDIO" score "$@" --hyp "$T/$f.hyp" --ref "$T/$f.ref"
  local wall u s cpu v
  read -r wall u s < "$T/$name.t"; cpu=$(add "$u" "$s")
  v=$(sed -n 's/.*"value":\([-0-9.eE+]*\).*/\1/p' "$T/$name.json")
  printf '%-10s %6d lines  wall %6.3f s  cpu %6.3f s  value %s\n' "$name" "$N" "$wall" "$cpu" "$v"
  echo "$cpu" > "$T/$name.time"
}
echo "qaudio score, $N lines, one core (taskset -c 0):"
run wer wer --metric wer --lang en
run cer cer --metric cer --lang zh
run wer-norm wer --metric wer --normalizer whisper-en
run bleu bleu --metric bleu --tokenize 13a
run bleu-zh bleuzh --metric bleu --tokenize zh
run cider cider --metric cider
run rouge cider --metric rouge
run acc acc --metric acc
run acc-yesno yn --metric acc-yesno
run map map --metric map
run aas aas --metric aas --lang zh
if command -v python3 >/dev/null; then
  echo "pure-Python twins (same definitions, bench/bench_score_twin.py):"
  for m in wer bleu; do
    timed "$T/py.out" "$T/py.t" taskset -c 0 python3 bench/bench_score_twin.py "$m" "$T/$m.hyp" "$T/$m.ref"
    read -r wall u s < "$T/py.t"; pt=$(add "$u" "$s"); ct=$(cat "$T/$m.time")
    printf '%-10s python cpu %6.3f s  value %s   ratio python/qaudio (cpu) %s\n' "$m" "$pt" "$(cat "$T/py.out")" \
      "$(awk -v p="$pt" -v c="$ct" 'BEGIN { if (c > 0) printf "%.1fx", p / c; else print "n/a (qaudio below timer resolution)" }')"
  done
fi
