#!/usr/bin/env bash
# Run a command against the real local stack: start what is not running, point the command at
# it through the environment, and afterwards stop what this script started (nothing else).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
stack="$here/stack.sh"
root="$(cd "$here/../.." && pwd)"

was_running=false
if [ -f "$root/.local/run/kafka.pid" ] && kill -0 "$(cat "$root/.local/run/kafka.pid")" 2>/dev/null; then
  was_running=true
fi
"$stack" infra-up || exit 1
eval "$("$stack" env)"
"$@"
status=$?
if [ "$was_running" = false ]; then
  "$stack" down
fi
exit $status
