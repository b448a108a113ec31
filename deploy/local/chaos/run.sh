#!/usr/bin/env bash
# `make chaos`: a fresh production-shaped stack (cluster.sh), the full fault run on it
# (python -m tests.chaos), then the stack stopped again, whatever the outcome.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cluster="$here/cluster.sh"
export UV_PYTHON_DOWNLOADS=never

started=$SECONDS
trap '"$cluster" down' EXIT
"$cluster" reset || exit 1
"$cluster" up || exit 1
eval "$("$cluster" env)"
if [ -f "$CHAOS_DIR/temporal/why-dev" ]; then
  echo "[chaos] Temporal: the dev server, because the server could not be built: $(cat "$CHAOS_DIR/temporal/why-dev")"
fi
echo "[chaos] stack up in $((SECONDS - started)) s"
(cd "$root" && uv run --frozen python -m tests.chaos)
status=$?
echo "[chaos] make chaos took $((SECONDS - started)) s in all"
exit $status
