#!/usr/bin/env bash
# Re-creates the pinned CRDs under deploy/k8s/crds/ from package registries only (run it after
# changing a version below; the result is committed, `make deploy-check` reads it):
#   Strimzi            generated from io.strimzi:api with io.strimzi:crd-generator (Maven
#                      Central), with the arguments of Strimzi's own build (api/pom.xml);
#   CloudNativePG      config/crd/bases of its Go module;
#   barman-cloud       config/crd/bases of the plugin's Go module (ObjectStore);
#   Prometheus operator  example/prometheus-operator-crd of its Go module (the kinds the
#                      repository uses: PrometheusRule, ServiceMonitor, PodMonitor).
# Each folder keeps the project's licence.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CRDS="$ROOT/deploy/k8s/crds"
WORK="$ROOT/.local/deploy-check"
STRIMZI_VERSION=1.2.0
CNPG_VERSION=v1.30.1
BARMAN_CLOUD_VERSION=v0.15.0
PROMETHEUS_OPERATOR_VERSION=v0.85.0

log() { printf '[vendor-crds] %s\n' "$*" >&2; }

# Strimzi 1.2's generator is built for Java 21+; the machine's default Java is 17.
java_21() {
  local candidate
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64 /usr/lib/jvm/java-21-openjdk-amd64; do
    if [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] \
      && "$candidate/bin/java" -version 2>&1 | grep -Eq 'version "(2[1-9]|[3-9][0-9])'; then
      echo "$candidate/bin/java"
      return
    fi
  done
  echo "a Java 21 or newer is needed for Strimzi's CRD generator (set JAVA_HOME)" >&2
  return 1
}

strimzi() {
  local libs="$WORK/strimzi-libs" out="$CRDS/strimzi-$STRIMZI_VERSION" model=io.strimzi.api.kafka.model
  log "Strimzi $STRIMZI_VERSION (Maven Central)"
  rm -rf "$libs" && mkdir -p "$libs"
  (cd "$ROOT/tools/deploy-check/strimzi-crds" && mvn -q -B dependency:copy-dependencies \
    -Dstrimzi.version="$STRIMZI_VERSION" -DincludeScope=runtime -DoutputDirectory="$libs")
  rm -rf "$out" && mkdir -p "$out"
  "$(java_21)" -cp "$libs/*" io.strimzi.crdgenerator.CrdGenerator \
    --label app:strimzi --label strimzi.io/crd-install:true --target-kube 1.16+ \
    --crd-api-version v1 --api-versions v1 --storage-version v1 --yaml \
    "$model.kafka.Kafka=$out/040-Crd-kafka.yaml" \
    "$model.topic.KafkaTopic=$out/043-Crd-kafkatopic.yaml" \
    "$model.user.KafkaUser=$out/044-Crd-kafkauser.yaml" \
    "$model.nodepool.KafkaNodePool=$out/045-Crd-kafkanodepool.yaml"
  # Strimzi is Apache-2.0 (io.strimzi:api's POM); the generator's jar carries the text.
  unzip -p "$libs/crd-generator-$STRIMZI_VERSION.jar" META-INF/LICENSE >"$out/LICENSE"
}

go_module() {
  local module=$1 version=$2
  GOFLAGS=-mod=mod go mod download -json "$module@$version" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])'
}

copy_from_module() {
  local module=$1 version=$2 folder=$3 name=$4
  shift 4
  local dir out="$CRDS/$name-${version#v}"
  log "$module $version (Go module proxy)"
  dir=$(go_module "$module" "$version")
  rm -rf "$out" && mkdir -p "$out"
  local file
  for file in "$@"; do
    cp "$dir/$folder/$file" "$out/$file"
  done
  cp "$dir/LICENSE" "$out/LICENSE"
  chmod -R u+w "$out"
}

strimzi
copy_from_module github.com/cloudnative-pg/cloudnative-pg "$CNPG_VERSION" config/crd/bases cloudnative-pg \
  postgresql.cnpg.io_clusters.yaml postgresql.cnpg.io_backups.yaml \
  postgresql.cnpg.io_scheduledbackups.yaml postgresql.cnpg.io_databases.yaml \
  postgresql.cnpg.io_poolers.yaml postgresql.cnpg.io_imagecatalogs.yaml \
  postgresql.cnpg.io_clusterimagecatalogs.yaml postgresql.cnpg.io_publications.yaml \
  postgresql.cnpg.io_subscriptions.yaml postgresql.cnpg.io_failoverquorums.yaml \
  postgresql.cnpg.io_databaseroles.yaml
copy_from_module github.com/cloudnative-pg/plugin-barman-cloud "$BARMAN_CLOUD_VERSION" config/crd/bases \
  plugin-barman-cloud barmancloud.cnpg.io_objectstores.yaml
copy_from_module github.com/prometheus-operator/prometheus-operator "$PROMETHEUS_OPERATOR_VERSION" \
  example/prometheus-operator-crd prometheus-operator \
  monitoring.coreos.com_prometheusrules.yaml monitoring.coreos.com_servicemonitors.yaml \
  monitoring.coreos.com_podmonitors.yaml
log "done: $(find "$CRDS" -name '*.yaml' | wc -l) CRD files under ${CRDS#"$ROOT"/}"
