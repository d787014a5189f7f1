#!/usr/bin/env bash
# make run: an end-to-end smoke of what qaudio does today, on the shared sample assets.
set -euo pipefail
Q=${QAUDIO:-build/qaudio}
SHARED=${QAUDIO_SHARED:-../shared}
echo "== qaudio --version"; "$Q" --version
echo "== qaudio --help"; "$Q" --help
