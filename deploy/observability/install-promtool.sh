#!/usr/bin/env bash
# Builds promtool from the Go module proxy at a pinned version and caches it under .local/bin
# (git-ignored); prints its path. A second run finds the binary and returns at once.
#
#   deploy/observability/install-promtool.sh        # -> .local/bin/promtool-v0.316.0
#
# The Prometheus Go module's v0.3MM.P is Prometheus 3.MM.P (v0.316.0 is 3.16.0's promtool).
set -euo pipefail

PROMTOOL_VERSION="${PROMTOOL_VERSION:-v0.316.0}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN_DIR="$ROOT/.local/bin"
TARGET="$BIN_DIR/promtool-$PROMTOOL_VERSION"

if [[ -x "$TARGET" ]]; then
  echo "$TARGET"
  exit 0
fi
command -v go >/dev/null || { echo "promtool needs a Go toolchain (go 1.26 or newer)" >&2; exit 1; }
mkdir -p "$BIN_DIR"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# go install into a private GOBIN so that a half-built binary never lands at $TARGET.
echo "building promtool $PROMTOOL_VERSION (a few minutes the first time) ..." >&2
GOBIN="$work" CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--buildvcs=false}" \
  go install "github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_VERSION" >&2
mv "$work/promtool" "$TARGET"
echo "$TARGET"
