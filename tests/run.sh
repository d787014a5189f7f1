#!/usr/bin/env bash
# Runs every test binary given as argument (and every tests/cli/test_*.sh), counts the PASS, FAIL
# and SKIP lines they print, and ends with "N passed, N failed, N skipped". A binary that exits
# non-zero without printing a FAIL line (a crash) counts as one failure.
set -u
pass=0; fail=0; skip=0; failed_names=()
run_one() {
  local name=$1; shift
  local out rc
  out=$("$@" 2>&1); rc=$?
  local p f s
  p=$(grep -c '^PASS ' <<<"$out"); f=$(grep -c '^FAIL ' <<<"$out"); s=$(grep -c '^SKIP ' <<<"$out")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; out+=$'\n'"FAIL $name: exited with status $rc"; fi
  if [ "$rc" -eq 0 ] && [ "$f" -ne 0 ]; then out+=$'\n'"(note: $name printed FAIL but exited 0)"; fi
  pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
  if [ "$f" -ne 0 ] || [ "${VERBOSE:-0}" = 1 ]; then echo "== $name"; echo "$out"; else
    echo "== $name: $p passed${s:+, $s skipped}"; grep '^SKIP ' <<<"$out" || true; fi
  [ "$f" -ne 0 ] && failed_names+=("$name")
}
for t in "$@"; do run_one "$(basename "$t")" "$t"; done
for t in tests/cli/test_*.sh; do [ -e "$t" ] && run_one "$(basename "$t")" bash "$t"; done
echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
