#!/usr/bin/env bash
# bench/bench_shard_open.sh: the cost of qa_shard_open's consistency checks (lengths, one pass over
# the ids) on a 1000-sample shard of 10-s samples, as a ratio to reading one batch of 8 from the
# same shard in the same run (no PyTorch twin: opening a qaudio shard has no torch counterpart).
# Run through `make bench BENCH=shard_open`.
set -euo pipefail
BUILD=${BUILD:-build}
"$BUILD/bench/bench_shard_open" "" "${ROUNDS:-15}" | grep -v '^QAUDIO_'
