# tests/cli/lib.sh: helpers for shell tests of the qaudio binary. Source it from tests/cli/test_*.sh.
# Each check prints "PASS name" or "FAIL name: why"; the script exits non-zero if any failed.
QAUDIO=${QAUDIO:-build/qaudio}
SHARED=${QAUDIO_SHARED:-../shared}
_fails=0
TMP=$(mktemp -d /tmp/qaudio-cli-XXXXXX); trap 'rm -rf "$TMP"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; _fails=$((_fails + 1)); }
skip() { echo "SKIP $1: $2"; }
# expect_exit NAME CODE CMD... : runs CMD, checks its exit code; output kept in $TMP/out, $TMP/err
expect_exit() {
  local name=$1 want=$2; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?
  if [ "$rc" -eq "$want" ]; then pass "$name"; else fail "$name" "exit $rc, expected $want; stderr: $(head -c 300 "$TMP/err")"; fi
}
# expect_grep NAME PATTERN FILE
expect_grep() { if grep -qE -- "$2" "$3"; then pass "$1"; else fail "$1" "'$2' not found in $(head -c 300 "$3")"; fi; }
finish() { exit $(( _fails > 0 ? 1 : 0 )); }
