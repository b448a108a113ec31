#!/usr/bin/env bash
# The production-shaped local stack for the fault runs (`make chaos`, tests/chaos): a
# three-node KRaft Kafka cluster (replication factor 3, min ISR 2), PostgreSQL, and Temporal's
# own server on PostgreSQL, all on 127.0.0.1, all under $CHAOS_DIR (default .local/chaos).
# The services' processes (two replicas of every relay, consumer, worker and sender) are started
# by the run itself (tests/chaos/processes.py), which also calls the fault commands below.
#
#   cluster.sh up                  install what is missing; start PostgreSQL, Kafka, Temporal
#   cluster.sh kafka-up            only the three brokers (the short test reuses the stack's
#                                  PostgreSQL and Temporal)
#   cluster.sh topics              the declared topics, replication factor 3, min ISR 2
#   cluster.sh broker-kill N       kill -9 broker N (1..3)
#   cluster.sh broker-start N      start broker N again
#   cluster.sh pg-restart          stop PostgreSQL as a crash would (immediate), start it again
#   cluster.sh temporal-kill       kill -9 the Temporal server
#   cluster.sh temporal-start      start it again (until it answers SERVING)
#   cluster.sh down                stop everything this script started
#   cluster.sh env                 variables pointing clients at it (CHAOS_*)
#   cluster.sh status
#
# Ports: the stack's own variables (PG_PORT, KAFKA_PORT, KAFKA_CONTROLLER_PORT, TEMPORAL_PORT)
# plus CHAOS_PORT_OFFSET (default 0). Broker n listens on KAFKA_PORT + 10(n-1), its controller
# on KAFKA_CONTROLLER_PORT + 10(n-1); Temporal's frontend on TEMPORAL_PORT and its other
# services on TEMPORAL_PORT + 4 … + 11. With the defaults these are `make up`'s ports: run one
# or the other, or set an offset. CHAOS_KAFKA_PORTS / CHAOS_CONTROLLER_PORTS name the brokers'
# and controllers' ports outright (the short test's free ports). The services' APIs and the
# webhook receiver listen from CHAOS_HTTP_PORT (default 18401 + the offset; `env` prints it).
#
# Temporal: `go install go.temporal.io/server/cmd/server` at TEMPORAL_SERVER_VERSION (and its
# SQL tool) through the Go module proxy, cached under .local/chaos-bin; schema by the SQL
# tool. CHAOS_TEMPORAL=dev (or a failed build) uses the dev server instead (SQLite, no
# PostgreSQL), and says so.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
CHAOS_DIR="${CHAOS_DIR:-$ROOT/.local/chaos}"
RUN="$CHAOS_DIR/run"
LOGS="$CHAOS_DIR/logs"
OFFSET="${CHAOS_PORT_OFFSET:-0}"
PG_PORT=$(( ${PG_PORT:-15432} + OFFSET ))
KAFKA_PORT=$(( ${KAFKA_PORT:-19092} + OFFSET ))
KAFKA_CONTROLLER_PORT=$(( ${KAFKA_CONTROLLER_PORT:-19093} + OFFSET ))
TEMPORAL_PORT=$(( ${TEMPORAL_PORT:-7233} + OFFSET ))
BROKERS=(1 2 3)
KAFKA_HEAP="${CHAOS_KAFKA_HEAP:-768m}"
TEMPORAL_SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-v1.32.2}"
# The server's go.mod asks for Go 1.26.10 or newer; the toolchain comes from the module proxy.
TEMPORAL_GO_TOOLCHAIN="${TEMPORAL_GO_TOOLCHAIN:-go1.26.11}"
TEMPORAL_BIN="$ROOT/.local/chaos-bin/temporal-$TEMPORAL_SERVER_VERSION"
VENV_BIN="$ROOT/.venv/bin"
STACK="$ROOT/deploy/local/stack.sh"
export UV_PYTHON_DOWNLOADS=never

log() { printf '[chaos-cluster] %s\n' "$*" >&2; }
die() { printf '[chaos-cluster] error: %s\n' "$*" >&2; exit 1; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# CHAOS_KAFKA_PORTS and CHAOS_CONTROLLER_PORTS (three comma-separated ports each) name the
# ports outright: the short test in `make test` passes ports it found free.
IFS=, read -r -a BROKER_PORTS <<<"${CHAOS_KAFKA_PORTS:-}"
IFS=, read -r -a CONTROLLER_PORTS <<<"${CHAOS_CONTROLLER_PORTS:-}"
broker_port() {
  if [ -n "${BROKER_PORTS[$(($1 - 1))]:-}" ]; then echo "${BROKER_PORTS[$(($1 - 1))]}"
  else echo $((KAFKA_PORT + 10 * ($1 - 1))); fi
}
controller_port() {
  if [ -n "${CONTROLLER_PORTS[$(($1 - 1))]:-}" ]; then echo "${CONTROLLER_PORTS[$(($1 - 1))]}"
  else echo $((KAFKA_CONTROLLER_PORT + 10 * ($1 - 1))); fi
}
bootstrap() {
  local n out=()
  for n in "${BROKERS[@]}"; do out+=("127.0.0.1:$(broker_port "$n")"); done
  (IFS=,; echo "${out[*]}")
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

ensure_postgres_installed() {
  if [ -z "$(pg_bin)" ]; then
    log "installing PostgreSQL from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql postgresql-contrib >/dev/null
  fi
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# --- PostgreSQL --------------------------------------------------------------------------------

# As root PostgreSQL runs as the postgres user, which must reach its folder (see stack.sh).
pg_dir() {
  mkdir -p "$CHAOS_DIR"  # the answer must not change once the folder exists
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$CHAOS_DIR" 2>/dev/null; then
    echo "/var/tmp/ecommerce-chaos-$(printf '%s' "$CHAOS_DIR" | md5sum | cut -c1-8)/pg"
  else
    echo "$CHAOS_DIR/pg"
  fi
}

pg_start() {
  local bin dir data sock
  bin=$(pg_bin); [ -n "$bin" ] || die "PostgreSQL is not installed (deploy/local/stack.sh infra-up installs it)"
  dir=$(pg_dir); data="$dir/data"; sock="$dir/socket"
  mkdir -p "$dir" "$sock" "$LOGS"
  if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$dir"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    as_postgres "$bin/initdb" -A trust -U postgres -E UTF8 --locale=C.UTF-8 -D "$data" >/dev/null
  fi
  if as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then return; fi
  # A server that was just stopped can hold its port for a moment.
  local deadline=$((SECONDS + 60))
  until port_free "$PG_PORT"; do
    [ $SECONDS -lt $deadline ] || die "port $PG_PORT stays in use"
    sleep 0.5
  done
  # The fault is the database process crashing (stopped `immediate`), not the machine: a
  # commit is acknowledged once its WAL is written to the operating system (synchronous_commit
  # stays on, so an acknowledged commit must survive the crash), while fsync is off: flushing to
  # the disk guards against a machine crash, which the run does not cause, and on a small
  # machine's disk it would make the audit chain's serialised commits the whole run's pace.
  as_postgres "$bin/pg_ctl" -D "$data" -w -t 120 -l "$dir/postgres.log" \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $sock -c max_connections=600 -c shared_buffers=256MB -c fsync=off -c synchronous_commit=on" \
    start >/dev/null
  log "PostgreSQL on 127.0.0.1:$PG_PORT"
}

pg_stop() {
  local bin mode=${1:-fast}
  bin=$(pg_bin || true)
  if [ -n "$bin" ] && [ -f "$(pg_dir)/data/PG_VERSION" ]; then
    as_postgres "$bin/pg_ctl" -D "$(pg_dir)/data" -m "$mode" stop >/dev/null 2>&1 || true
  fi
}

pg_restart() {
  pg_stop immediate
  log "PostgreSQL stopped (immediate: no checkpoint, as a crash)"
  pg_start
}

psql_admin() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

# --- Kafka -------------------------------------------------------------------------------------

kafka_java() {
  java -Xmx256m -cp "$ROOT/.local/kafka/libs/*" \
    -Dlog4j2.configurationFile="$CHAOS_DIR/kafka/tools-log4j2.properties" "$@"
}

write_broker_config() {
  local n=$1 dir="$CHAOS_DIR/kafka/b$1" voters="" m
  for m in "${BROKERS[@]}"; do voters+="${voters:+,}$m@127.0.0.1:$(controller_port "$m")"; done
  mkdir -p "$dir/data" "$LOGS"
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(broker_port "$n"),CONTROLLER://127.0.0.1:$(controller_port "$n")
advertised.listeners=PLAINTEXT://127.0.0.1:$(broker_port "$n")
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=6
default.replication.factor=3
min.insync.replicas=2
auto.create.topics.enable=true
offsets.topic.replication.factor=3
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
unclean.leader.election.enable=false
log.retention.hours=168
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=16777216
log.message.timestamp.after.max.ms=9223372036854775807
EOF
  cat >"$dir/log4j2.properties" <<EOF
status = error
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $LOGS/kafka-$n.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = INFO
EOF
}

kafka_format() {
  local n id
  mkdir -p "$CHAOS_DIR/kafka"
  printf '%s\n' 'appender.err.type = Console' 'appender.err.name = err' \
    'appender.err.target = SYSTEM_ERR' 'appender.err.layout.type = PatternLayout' \
    'appender.err.layout.pattern = %d %p %c: %m%n' \
    'rootLogger.level = WARN' 'rootLogger.appenderRef.err.ref = err' \
    >"$CHAOS_DIR/kafka/tools-log4j2.properties"
  # The stack's kafka-tool fetches the jars from Maven Central when they are missing.
  [ -f "$CHAOS_DIR/kafka/cluster-id" ] \
    || "$STACK" kafka-tool kafka.tools.StorageTool random-uuid >"$CHAOS_DIR/kafka/cluster-id"
  id=$(cat "$CHAOS_DIR/kafka/cluster-id")
  for n in "${BROKERS[@]}"; do
    write_broker_config "$n"
    if [ ! -f "$CHAOS_DIR/kafka/b$n/data/meta.properties" ]; then
      kafka_java kafka.tools.StorageTool format --ignore-formatted -t "$id" \
        -c "$CHAOS_DIR/kafka/b$n/server.properties" >/dev/null
    fi
  done
}

broker_start() {
  local n=$1 dir="$CHAOS_DIR/kafka/b$1"
  mkdir -p "$RUN"
  if pid_alive "$RUN/kafka-$n.pid"; then return; fi
  nohup java "-Xms$KAFKA_HEAP" "-Xmx$KAFKA_HEAP" -XX:+UseG1GC -cp "$ROOT/.local/kafka/libs/*" \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    kafka.Kafka "$dir/server.properties" >>"$LOGS/kafka-$n.out" 2>&1 &
  echo $! >"$RUN/kafka-$n.pid"
  log "broker $n starting on 127.0.0.1:$(broker_port "$n") (pid $(cat "$RUN/kafka-$n.pid"))"
}

broker_kill() {
  local n=$1
  pid_alive "$RUN/kafka-$n.pid" || die "broker $n is not running"
  kill -9 "$(cat "$RUN/kafka-$n.pid")"
  while kill -0 "$(cat "$RUN/kafka-$n.pid")" 2>/dev/null; do sleep 0.1; done
  rm -f "$RUN/kafka-$n.pid"
  log "broker $n killed (SIGKILL)"
}

# Ready: each broker named answers a metadata request and the cluster sees all of them.
wait_brokers() {
  "$VENV_BIN/python" - "$(bootstrap)" "$@" <<'EOF'
import asyncio, logging, sys, time
from aiokafka.admin import AIOKafkaAdminClient
logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

async def main(bootstrap: str, *wanted: str) -> None:
    deadline = time.monotonic() + 180
    while True:
        client = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await client.start()
            metadata = await client.describe_cluster()
            seen = {str(b["node_id"]) for b in metadata["brokers"]}
            if set(wanted) <= seen:
                return
            error = f"brokers seen: {sorted(seen)}"
        except Exception as exc:  # still starting
            error = repr(exc)
        finally:
            await client.close()
        if time.monotonic() > deadline:
            raise SystemExit(f"Kafka brokers {wanted} not ready: {error}")
        await asyncio.sleep(1)

asyncio.run(main(*sys.argv[1:]))
EOF
}

kafka_up() {
  kafka_format
  local n
  for n in "${BROKERS[@]}"; do broker_start "$n"; done
  wait_brokers "${BROKERS[@]}"
  log "Kafka cluster ready: $(bootstrap)"
}

topics() {
  # Every declared topic (deploy/k8s/platform-examples/kafka-strimzi.yaml: the AsyncAPI
  # channels and each consumer's dead letters) with its declared settings, three replicas, two
  # in sync to take a write.
  "$VENV_BIN/python" - "$(bootstrap)" "$ROOT/deploy/k8s/platform-examples/kafka-strimzi.yaml" "${CHAOS_TOPIC_PREFIX:-}" <<'EOF'
import asyncio, sys
import yaml
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

async def main(bootstrap: str, declared: str, prefix: str) -> None:
    with open(declared, encoding="utf-8") as handle:
        declared_topics = [
            doc for doc in yaml.safe_load_all(handle) if doc and doc.get("kind") == "KafkaTopic"
        ]
    topics = {prefix + d["metadata"]["name"]: int(d["spec"].get("partitions", 6)) for d in declared_topics}
    # Each topic's declared settings (retention, compaction), as in production.
    configs = {
        prefix + d["metadata"]["name"]: {k: str(v) for k, v in (d["spec"].get("config") or {}).items()}
        for d in declared_topics
    }
    client = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)
    await client.start()
    try:
        missing = sorted(set(topics) - set(await client.list_topics()))
        if missing:
            await client.create_topics(
                [NewTopic(name, topics[name], 3,
                          topic_configs={**configs[name], "min.insync.replicas": "2"})
                 for name in missing]
            )
        print(f"{len(missing)} created, {len(topics) - len(missing)} already there")
    finally:
        await client.close()

asyncio.run(main(*sys.argv[1:]))
EOF
}

# --- Temporal ----------------------------------------------------------------------------------

temporal_ports() {
  # frontend-membership frontend-http history history-m matching matching-m worker worker-m
  local i
  for i in 4 5 6 7 8 9 10 11; do printf '%s ' $((TEMPORAL_PORT + i)); done
}

build_temporal_server() {
  [ -x "$TEMPORAL_BIN/temporal-server" ] && [ -x "$TEMPORAL_BIN/temporal-sql-tool" ] && return 0
  command -v go >/dev/null || { echo "no Go toolchain on this machine (go not on PATH)"; return 1; }
  local gobin modcache
  gobin="$TEMPORAL_BIN.tmp"
  rm -rf "$gobin"; mkdir -p "$gobin"
  log "building Temporal's server $TEMPORAL_SERVER_VERSION from the Go module proxy (a few minutes, once)"
  if ! GOTOOLCHAIN="$TEMPORAL_GO_TOOLCHAIN" CGO_ENABLED=0 GOBIN="$gobin" GOFLAGS=-mod=mod \
      go install "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" \
      "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION" >"$LOGS/temporal-build.log" 2>&1; then
    echo "go install failed: $(tail -n 3 "$LOGS/temporal-build.log" | tr '\n' ' ')"
    return 1
  fi
  modcache=$(GOTOOLCHAIN="$TEMPORAL_GO_TOOLCHAIN" go env GOMODCACHE)
  mv "$gobin/server" "$gobin/temporal-server"
  mv "$gobin/sql" "$gobin/temporal-sql-tool"
  # The schema files come with the module source, not the binary: kept next to it.
  cp -r "$modcache/go.temporal.io/server@$TEMPORAL_SERVER_VERSION/schema/postgresql" "$gobin/schema"
  chmod -R u+w "$gobin/schema"
  rm -rf "$TEMPORAL_BIN"; mv "$gobin" "$TEMPORAL_BIN"
}

temporal_kind() { cat "$CHAOS_DIR/temporal/kind" 2>/dev/null || echo unset; }

temporal_schema() {
  local sql=("$TEMPORAL_BIN/temporal-sql-tool" --plugin postgres12 --endpoint 127.0.0.1
             --port "$PG_PORT" --user postgres --password "")
  local db
  for db in temporal temporal_visibility; do
    if ! psql_admin -d postgres -c "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1; then
      "${sql[@]}" --database "$db" create-database >>"$LOGS/temporal-schema.log" 2>&1
      "${sql[@]}" --database "$db" setup-schema -v 0.0 >>"$LOGS/temporal-schema.log" 2>&1
    fi
  done
  "${sql[@]}" --database temporal update-schema \
    -d "$TEMPORAL_BIN/schema/v12/temporal/versioned" >>"$LOGS/temporal-schema.log" 2>&1
  "${sql[@]}" --database temporal_visibility update-schema \
    -d "$TEMPORAL_BIN/schema/v12/visibility/versioned" >>"$LOGS/temporal-schema.log" 2>&1
}

write_temporal_config() {
  local p
  read -r -a p <<<"$(temporal_ports)"
  mkdir -p "$CHAOS_DIR/temporal"
  cat >"$CHAOS_DIR/temporal/dynamicconfig.yaml" <<'EOF'
limit.maxIDLength:
  - value: 255
frontend.enableUpdateWorkflowExecution:
  - value: true
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
EOF
  cat >"$CHAOS_DIR/temporal/config.yaml" <<EOF
log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:
      sql:
        pluginName: postgres12
        databaseName: temporal
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: tcp
        user: postgres
        password: ""
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    postgres-visibility:
      sql:
        pluginName: postgres12
        databaseName: temporal_visibility
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: tcp
        user: postgres
        password: ""
        maxConns: 4
        maxIdleConns: 4
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
  frontend:
    rpc: {grpcPort: $TEMPORAL_PORT, membershipPort: ${p[0]}, httpPort: ${p[1]}, bindOnLocalHost: true}
  history:
    rpc: {grpcPort: ${p[2]}, membershipPort: ${p[3]}, bindOnLocalHost: true}
  matching:
    rpc: {grpcPort: ${p[4]}, membershipPort: ${p[5]}, bindOnLocalHost: true}
  worker:
    rpc: {grpcPort: ${p[6]}, membershipPort: ${p[7]}, bindOnLocalHost: true}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:$TEMPORAL_PORT"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: "$CHAOS_DIR/temporal/dynamicconfig.yaml"
  pollInterval: 10s
EOF
}

temporal_health() {
  "$VENV_BIN/temporal" operator cluster health --address "127.0.0.1:$TEMPORAL_PORT" 2>/dev/null | grep -q SERVING
}

temporal_start() {
  mkdir -p "$RUN" "$LOGS"
  if pid_alive "$RUN/temporal.pid"; then return; fi
  if [ "$(temporal_kind)" = postgresql ]; then
    nohup "$TEMPORAL_BIN/temporal-server" --config-file "$CHAOS_DIR/temporal/config.yaml" \
      --allow-no-auth start >>"$LOGS/temporal.log" 2>&1 &
  else
    nohup "$VENV_BIN/temporal" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" \
      --ui-port "$((TEMPORAL_PORT + 4))" --headless --log-level warn \
      --db-filename "$CHAOS_DIR/temporal/dev.db" >>"$LOGS/temporal.log" 2>&1 &
  fi
  echo $! >"$RUN/temporal.pid"
  local deadline=$((SECONDS + 120))
  until temporal_health; do
    pid_alive "$RUN/temporal.pid" || die "Temporal exited; see $LOGS/temporal.log"
    [ $SECONDS -lt $deadline ] || die "Temporal did not become ready; see $LOGS/temporal.log"
    sleep 0.5
  done
  log "Temporal ($(temporal_kind)) on 127.0.0.1:$TEMPORAL_PORT"
}

temporal_kill() {
  pid_alive "$RUN/temporal.pid" || die "Temporal is not running"
  kill -9 "$(cat "$RUN/temporal.pid")"
  while kill -0 "$(cat "$RUN/temporal.pid")" 2>/dev/null; do sleep 0.1; done
  rm -f "$RUN/temporal.pid"
  log "Temporal killed (SIGKILL)"
}

temporal_namespace() {
  local t=("$VENV_BIN/temporal" --address "127.0.0.1:$TEMPORAL_PORT")
  local deadline=$((SECONDS + 60))
  until "${t[@]}" operator namespace describe --namespace default >/dev/null 2>&1; do
    "${t[@]}" operator namespace create --namespace default --retention 72h >/dev/null 2>&1 || true
    [ $SECONDS -lt $deadline ] || die "namespace default not created; see $LOGS/temporal.log"
    sleep 1
  done
  local attribute
  for attribute in ProgrammeId:Keyword RegionCode:Keyword DemonstrationCategory:Keyword \
                   ApplicationStatus:Keyword ProgrammeYear:Int; do
    "${t[@]}" operator search-attribute create --namespace default \
      --name "${attribute%%:*}" --type "${attribute##*:}" >/dev/null 2>&1 || true
  done
}

temporal_up() {
  local why
  mkdir -p "$CHAOS_DIR/temporal" "$LOGS"
  if [ "$(temporal_kind)" = unset ]; then
    if [ "${CHAOS_TEMPORAL:-postgresql}" = dev ]; then
      echo dev >"$CHAOS_DIR/temporal/kind"
      log "Temporal: the dev server (CHAOS_TEMPORAL=dev)"
    elif why=$(build_temporal_server); then
      echo postgresql >"$CHAOS_DIR/temporal/kind"
    else
      echo dev >"$CHAOS_DIR/temporal/kind"
      echo "$why" >"$CHAOS_DIR/temporal/why-dev"
      log "WARNING: Temporal's server could not be built ($why); using the dev server (SQLite)"
    fi
  fi
  if [ "$(temporal_kind)" = postgresql ]; then
    temporal_schema
    write_temporal_config
  fi
  temporal_start
  temporal_namespace
}

# --- all ---------------------------------------------------------------------------------------

check_ports() {
  local port n
  local ports=("$PG_PORT" "$TEMPORAL_PORT")
  for n in "${BROKERS[@]}"; do ports+=("$(broker_port "$n")" "$(controller_port "$n")"); done
  read -r -a extra <<<"$(temporal_ports)"
  ports+=("${extra[@]}")
  # The run's own HTTP ports: the four APIs and the webhook receiver.
  local http="${CHAOS_HTTP_PORT:-$((18401 + OFFSET))}"
  for n in 0 10 20 30 40; do ports+=("$((http + n))"); done
  for port in "${ports[@]}"; do
    port_free "$port" || die "port $port is in use (the local stack of \`make up\`? stop it with \`make down\`, or set CHAOS_PORT_OFFSET)"
  done
}

down() {
  # Every process asked to stop at once, then given 20 s together before SIGKILL: one after
  # another, the last broker would wait for a quorum the others took away.
  local f pid live=()
  for f in "$RUN"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; live+=("$pid"); fi
    rm -f "$f"
  done
  local deadline=$((SECONDS + 20))
  while [ ${#live[@]} -gt 0 ] && [ $SECONDS -lt $deadline ]; do
    local still=()
    for pid in "${live[@]}"; do kill -0 "$pid" 2>/dev/null && still+=("$pid"); done
    live=("${still[@]+"${still[@]}"}")
    [ ${#live[@]} -gt 0 ] && sleep 0.2
  done
  for pid in "${live[@]+"${live[@]}"}"; do kill -9 "$pid" 2>/dev/null || true; done
  pg_stop fast
  log "stopped"
}

# A fresh cluster each run: the checks compare everything in it.
reset() {
  down
  rm -rf "$CHAOS_DIR/kafka" "$CHAOS_DIR/temporal" "$(pg_dir)" "$RUN" "$LOGS"
}

print_env() {
  echo "export CHAOS_DIR=$CHAOS_DIR"
  echo "export CHAOS_DATABASE_ADMIN_URL=postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
  echo "export CHAOS_KAFKA_BOOTSTRAP_SERVERS=$(bootstrap)"
  echo "export CHAOS_TEMPORAL_TARGET=127.0.0.1:$TEMPORAL_PORT"
  # The services' HTTP ports and the webhook receiver's move with the offset too.
  echo "export CHAOS_HTTP_PORT=${CHAOS_HTTP_PORT:-$((18401 + OFFSET))}"
  echo "export CHAOS_TEMPORAL_KIND=$(temporal_kind)"
  echo "export CHAOS_CLUSTER_SCRIPT=$ROOT/deploy/local/chaos/cluster.sh"
}

status() {
  local n
  printf '%-12s %s\n' PostgreSQL "127.0.0.1:$PG_PORT"
  for n in "${BROKERS[@]}"; do
    printf '%-12s %s\n' "broker $n" "127.0.0.1:$(broker_port "$n") $(pid_alive "$RUN/kafka-$n.pid" && echo running || echo stopped)"
  done
  printf '%-12s %s\n' Temporal "127.0.0.1:$TEMPORAL_PORT ($(temporal_kind)) $(pid_alive "$RUN/temporal.pid" && echo running || echo stopped)"
}

case "${1:-}" in
  up)
    ensure_postgres_installed
    check_ports
    pg_start
    kafka_up
    topics >/dev/null
    temporal_up
    status
    ;;
  reset) reset ;;
  kafka-up) kafka_up ;;
  topics) topics ;;
  broker-kill) broker_kill "${2:?broker number}" ;;
  broker-start) broker_start "${2:?broker number}"; wait_brokers "$2" ;;
  pg-up) pg_start ;;
  pg-restart) pg_restart ;;
  temporal-up) temporal_up ;;
  temporal-kill) temporal_kill ;;
  temporal-start) temporal_start ;;
  down) down ;;
  env) print_env ;;
  status) status ;;
  *) die "usage: cluster.sh up|reset|kafka-up|topics|broker-kill N|broker-start N|pg-restart|temporal-kill|temporal-start|down|env|status" ;;
esac
