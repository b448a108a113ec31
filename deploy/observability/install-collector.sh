#!/usr/bin/env bash
# Builds the collector of collector-builder.yaml (the components of otel-collector.yaml, release
# 0.165) with the OpenTelemetry Collector Builder from the Go module proxy, caches it under
# .local/bin (git-ignored) and prints its path; then `otelcol-ecom validate` checks
# otel-collector.yaml. About 15 minutes on two cores the first time, then instant.
#
#   deploy/observability/install-collector.sh      # -> .local/bin/otelcol-ecom-v0.165.0
set -euo pipefail

BUILDER_VERSION="v0.165.0"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="$ROOT/.local/bin/otelcol-ecom-$BUILDER_VERSION"

if [[ ! -x "$TARGET" ]]; then
  command -v go >/dev/null || { echo "the collector build needs a Go toolchain" >&2; exit 1; }
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  echo "building the collector (OpenTelemetry Collector Builder $BUILDER_VERSION) ..." >&2
  GOBIN="$work/bin" GOFLAGS="${GOFLAGS:--buildvcs=false}" \
    go install "go.opentelemetry.io/collector/cmd/builder@$BUILDER_VERSION" >&2
  sed "s#\${OUTPUT_PATH}#$work/dist#" "$HERE/collector-builder.yaml" > "$work/manifest.yaml"
  "$work/bin/builder" --config "$work/manifest.yaml" >&2
  mkdir -p "$(dirname "$TARGET")"
  mv "$work/dist/otelcol-ecom" "$TARGET"
fi
OTLP_TRACES_ENDPOINT="${OTLP_TRACES_ENDPOINT:-127.0.0.1:4317}" \
  "$TARGET" validate --config "$HERE/otel-collector.yaml" >&2
echo "$TARGET"
