#!/usr/bin/env bash
# Checks the observability artefacts (run by `make deploy-check`, or alone):
#   1. promtool check rules   the plain rules file and the PrometheusRule's groups
#   2. promtool test rules    the unit tests in rules/tests/ (every alert fires when it should,
#                             and not before)
#   3. the generated files    k8s/prometheusrule.yaml and dashboards/*.json match their sources
# promtool is built from the Go module proxy at a pinned version and cached under .local/bin
# (install-promtool.sh; a few minutes the first time, then instant).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PROMTOOL="${PROMTOOL:-$("$HERE/install-promtool.sh")}"
PYTHON=(python3)
if command -v uv >/dev/null 2>&1 && [[ -f "$ROOT/uv.lock" ]]; then
  PYTHON=(uv run --frozen --project "$ROOT" python)
fi

echo "== $PROMTOOL"
"$PROMTOOL" check rules "$HERE/rules/ecommerce-programmes.rules.yaml"
"$PROMTOOL" test rules "$HERE"/rules/tests/*.test.yaml
"${PYTHON[@]}" "$HERE/prometheusrule.py" --check
"${PYTHON[@]}" "$HERE/dashboards.py" --check
# The PrometheusRule's groups, as the operator hands them to Prometheus.
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
"${PYTHON[@]}" - "$HERE/k8s/prometheusrule.yaml" "$tmp" <<'PY'
import sys, yaml
document = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
yaml.safe_dump({"groups": document["spec"]["groups"]}, open(sys.argv[2], "w", encoding="utf-8"))
PY
"$PROMTOOL" check rules "$tmp"
echo "observability: rules, rule tests, PrometheusRule and dashboards OK"
