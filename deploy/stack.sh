#!/usr/bin/env bash
# deploy/stack.sh: install, start, stop and inspect paycore's local stack:
# one Apache Kafka broker (KRaft, jars from Maven Central) and one ClickHouse
# server (Debian package), each with its own config, data and ports under a
# project-local, git-ignored folder. Loopback only.
#
#   deploy/stack.sh up [kafka|clickhouse]     install if needed, start, wait until healthy
#   deploy/stack.sh down [kafka|clickhouse]   stop cleanly (data is kept)
#   deploy/stack.sh status                    what runs, where, and its pid
#   deploy/stack.sh env                       export lines for the paycore binary and tests
#   deploy/stack.sh logs [kafka|clickhouse]   tail a server's log
#   deploy/stack.sh wipe                      stop and delete all stack data (not the caches)
#
# Everything is idempotent: a second `up` reuses the jar cache, the formatted
# log directory and a server that already runs. Settings (environment):
#   PAYCORE_STACK_DIR        data, configs, logs, pids   (default: <repo>/.stack)
#   PAYCORE_CACHE_DIR        Kafka jar cache              (default: ~/.cache/paycore)
#   PAYCORE_STACK_HOST       listen address               (default: 127.0.0.1)
#   PAYCORE_KAFKA_PORT       broker port                  (default: 19092)
#   PAYCORE_KAFKA_CONTROLLER_PORT                         (default: 19093)
#   PAYCORE_KAFKA_HEAP       JVM heap for the broker      (default: 768m)
#   PAYCORE_KAFKA_EXTRA_PROPERTIES  file appended to the broker's server.properties
#                            (later keys win: extra listeners, SASL, TLS; used by deploy/stacktest)
#   PAYCORE_KAFKA_FORMAT_ARGS  extra arguments of the one-time log directory format,
#                            split on spaces (e.g. --add-scram SCRAM-SHA-512=[name=u,password=p])
#   PAYCORE_CLICKHOUSE_PORT  native protocol port         (default: 19000)
#   PAYCORE_CLICKHOUSE_HTTP_PORT                          (default: 18123)
#   PAYCORE_CLICKHOUSE_INTERSERVER_PORT                   (default: 19009)
#   PAYCORE_ANALYST_PASSWORD password of the read-only analyst user (default: analyst)
#   PAYCORE_HEALTH_TIMEOUT_S seconds to wait for a server before failing (default: 60)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

STACK_DIR=${PAYCORE_STACK_DIR:-$repo/.stack}
CACHE_DIR=${PAYCORE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/paycore}
HOST=${PAYCORE_STACK_HOST:-127.0.0.1}
KAFKA_PORT=${PAYCORE_KAFKA_PORT:-19092}
CONTROLLER_PORT=${PAYCORE_KAFKA_CONTROLLER_PORT:-19093}
KAFKA_HEAP=${PAYCORE_KAFKA_HEAP:-768m}
KAFKA_EXTRA_PROPERTIES=${PAYCORE_KAFKA_EXTRA_PROPERTIES:-}
read -ra KAFKA_FORMAT_ARGS <<<"${PAYCORE_KAFKA_FORMAT_ARGS:-}"
CH_PORT=${PAYCORE_CLICKHOUSE_PORT:-19000}
CH_HTTP_PORT=${PAYCORE_CLICKHOUSE_HTTP_PORT:-18123}
CH_INTERSERVER_PORT=${PAYCORE_CLICKHOUSE_INTERSERVER_PORT:-19009}
ANALYST_PASSWORD=${PAYCORE_ANALYST_PASSWORD:-analyst}
DATABASE=${PAYCORE_CLICKHOUSE_DATABASE:-paycore}
HEALTH_TIMEOUT_S=${PAYCORE_HEALTH_TIMEOUT_S:-60}

KAFKA_DIR=$STACK_DIR/kafka
CH_DIR=$STACK_DIR/clickhouse

log() { printf 'stack: %s\n' "$*" >&2; }
die() { printf 'stack: ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- helpers

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# spawn <logfile> <pidfile> command...: start a server detached from this
# shell: its own session, no inherited descriptors (a CI runner waiting on a
# pipe must not wait on our servers), output to its log file.
spawn() {
  local logfile=$1 pidfile=$2; shift 2
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
    done
    exec setsid "$@" >"$logfile" 2>&1 </dev/null
  ) &
  echo $! >"$pidfile"
}

render() { # render <template> <output> KEY=VALUE...
  local tmpl=$1 out=$2; shift 2
  local content; content=$(cat "$tmpl")
  local kv
  for kv in "$@"; do content=${content//@${kv%%=*}@/${kv#*=}}; done
  printf '%s\n' "$content" >"$out"
}

# Fail with the tail of the server's log, so that CI output says why.
fail_with_log() {
  local what=$1 logfile=$2
  log "$what"
  if [ -f "$logfile" ]; then
    log "last lines of $logfile:"
    tail -n 40 "$logfile" >&2 || true
  fi
  exit 1
}

# ---------------------------------------------------------------- kafka

kafka_version() { sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/kafka/pom.xml"; }
kafka_libs() { echo "$CACHE_DIR/kafka-$(kafka_version)/libs"; }

kafka_install() {
  local libs; libs=$(kafka_libs)
  if [ -f "$libs/.complete" ]; then return; fi
  command -v java >/dev/null || die "java not found: Kafka needs a JDK 17+ (apt-get install openjdk-17-jre-headless)"
  command -v mvn >/dev/null || die "mvn not found: it fetches the Kafka jars from Maven Central (apt-get install maven)"
  log "fetching Kafka $(kafka_version) jars from Maven Central into $libs"
  mkdir -p "$libs"
  mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs" \
    || die "mvn could not fetch Kafka jars (is Maven Central reachable?)"
  touch "$libs/.complete"
}

kafka_java() { # kafka_java <main class> args...
  java -Xmx256m -cp "$(kafka_libs)/*" -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" "$@"
}

kafka_configure() {
  mkdir -p "$KAFKA_DIR/data"
  render "$here/kafka/server.properties.tmpl" "$KAFKA_DIR/server.properties" \
    HOST="$HOST" KAFKA_PORT="$KAFKA_PORT" CONTROLLER_PORT="$CONTROLLER_PORT" DATA_DIR="$KAFKA_DIR/data"
  if [ -n "$KAFKA_EXTRA_PROPERTIES" ]; then
    cat "$KAFKA_EXTRA_PROPERTIES" >>"$KAFKA_DIR/server.properties" || die "cannot read $KAFKA_EXTRA_PROPERTIES"
  fi
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    local cluster_id; cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid)
    log "formatting Kafka log directory (cluster $cluster_id)"
    kafka_java kafka.tools.StorageTool format --standalone -t "$cluster_id" "${KAFKA_FORMAT_ARGS[@]}" \
      -c "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/format.log" 2>&1 \
      || fail_with_log "formatting the Kafka log directory failed" "$KAFKA_DIR/format.log"
  fi
}

kafka_healthy() {
  port_open "$HOST" "$KAFKA_PORT" || return 1
  # A metadata round trip, not just an open port: the broker answers only
  # once the controller quorum has elected it.
  timeout 20 java -Xmx128m -cp "$(kafka_libs)/*" -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "$HOST:$KAFKA_PORT" --list >/dev/null 2>&1
}

kafka_up() {
  kafka_install
  if pid_alive "$KAFKA_DIR/kafka.pid"; then
    log "kafka already running (pid $(cat "$KAFKA_DIR/kafka.pid")) on $HOST:$KAFKA_PORT"
    return
  fi
  if port_open "$HOST" "$KAFKA_PORT"; then
    die "port $HOST:$KAFKA_PORT is taken by another process; set PAYCORE_KAFKA_PORT"
  fi
  kafka_configure
  log "starting kafka $(kafka_version) on $HOST:$KAFKA_PORT (heap $KAFKA_HEAP)"
  spawn "$KAFKA_DIR/kafka.log" "$KAFKA_DIR/kafka.pid" \
    java -Xms256m -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" \
    -cp "$(kafka_libs)/*" kafka.Kafka "$KAFKA_DIR/server.properties"
  local deadline=$((SECONDS + HEALTH_TIMEOUT_S))
  until kafka_healthy; do
    pid_alive "$KAFKA_DIR/kafka.pid" || fail_with_log "kafka exited during start-up" "$KAFKA_DIR/kafka.log"
    [ $SECONDS -lt $deadline ] || fail_with_log "kafka did not answer within ${HEALTH_TIMEOUT_S}s" "$KAFKA_DIR/kafka.log"
    sleep 1
  done
  log "kafka ready on $HOST:$KAFKA_PORT"
}

kafka_down() {
  if ! pid_alive "$KAFKA_DIR/kafka.pid"; then log "kafka not running"; rm -f "$KAFKA_DIR/kafka.pid"; return; fi
  local pid; pid=$(cat "$KAFKA_DIR/kafka.pid")
  log "stopping kafka (pid $pid)"
  kill -TERM "$pid"
  # A clean shutdown writes the recovery checkpoint; give it time, then force.
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then log "kafka did not stop in 30s; killing"; kill -KILL "$pid"; fi
  rm -f "$KAFKA_DIR/kafka.pid"
}

# ---------------------------------------------------------------- clickhouse

clickhouse_install() {
  command -v clickhouse-server >/dev/null && command -v clickhouse-client >/dev/null && return
  log "installing clickhouse-server and clickhouse-client (Debian packages)"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "clickhouse-server is not installed and this user cannot install it; run: apt-get install -y clickhouse-server clickhouse-client"
    sudo=sudo
  fi
  $sudo apt-get update -qq >/dev/null || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null \
    || die "apt-get install clickhouse-server clickhouse-client failed"
}

clickhouse_configure() {
  mkdir -p "$CH_DIR"/{data,tmp,log,user_files,format_schemas}
  render "$here/clickhouse/config.xml.tmpl" "$CH_DIR/config.xml" \
    DIR="$CH_DIR" HOST="$HOST" TCP_PORT="$CH_PORT" HTTP_PORT="$CH_HTTP_PORT" INTERSERVER_PORT="$CH_INTERSERVER_PORT"
  render "$here/clickhouse/users.xml.tmpl" "$CH_DIR/users.xml" \
    ANALYST_PASSWORD="$ANALYST_PASSWORD" DATABASE="$DATABASE"
}

clickhouse_healthy() {
  timeout 5 clickhouse-client --host "$HOST" --port "$CH_PORT" --query 'SELECT 1' >/dev/null 2>&1
}

clickhouse_up() {
  clickhouse_install
  if pid_alive "$CH_DIR/clickhouse.pid"; then
    log "clickhouse already running (pid $(cat "$CH_DIR/clickhouse.pid")) on $HOST:$CH_PORT"
    return
  fi
  if port_open "$HOST" "$CH_PORT"; then
    die "port $HOST:$CH_PORT is taken by another process; set PAYCORE_CLICKHOUSE_PORT"
  fi
  clickhouse_configure
  log "starting clickhouse on $HOST:$CH_PORT (http $CH_HTTP_PORT)"
  (cd "$CH_DIR" && TZ=UTC spawn "$CH_DIR/log/stdout.log" "$CH_DIR/clickhouse.pid" \
    clickhouse-server --config-file="$CH_DIR/config.xml")
  local deadline=$((SECONDS + HEALTH_TIMEOUT_S))
  until clickhouse_healthy; do
    pid_alive "$CH_DIR/clickhouse.pid" || fail_with_log "clickhouse exited during start-up" "$CH_DIR/log/error.log"
    [ $SECONDS -lt $deadline ] || fail_with_log "clickhouse did not answer within ${HEALTH_TIMEOUT_S}s" "$CH_DIR/log/error.log"
    sleep 0.3
  done
  log "clickhouse ready on $HOST:$CH_PORT"
}

clickhouse_down() {
  if ! pid_alive "$CH_DIR/clickhouse.pid"; then log "clickhouse not running"; rm -f "$CH_DIR/clickhouse.pid"; return; fi
  local pid; pid=$(cat "$CH_DIR/clickhouse.pid")
  log "stopping clickhouse (pid $pid)"
  kill -TERM "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then log "clickhouse did not stop in 30s; killing"; kill -KILL "$pid"; fi
  rm -f "$CH_DIR/clickhouse.pid"
}

# ---------------------------------------------------------------- commands

status_line() { # status_line <name> <pidfile> <addr>
  if pid_alive "$2"; then echo "$1: running (pid $(cat "$2")) on $3"; else echo "$1: stopped"; fi
}

cmd=${1:-}
target=${2:-all}
case "$target" in all|kafka|clickhouse) ;; *) die "unknown server '$target' (kafka|clickhouse)";; esac
want() { [ "$target" = all ] || [ "$target" = "$1" ]; }

case "$cmd" in
  up)
    if want kafka; then kafka_up; fi
    if want clickhouse; then clickhouse_up; fi
    ;;
  down)
    if want clickhouse; then clickhouse_down; fi
    if want kafka; then kafka_down; fi
    ;;
  status)
    status_line kafka "$KAFKA_DIR/kafka.pid" "$HOST:$KAFKA_PORT"
    status_line clickhouse "$CH_DIR/clickhouse.pid" "$HOST:$CH_PORT"
    ;;
  running) # exit 0 when the given server runs (used by deploy/test.sh)
    [ "$target" != all ] || die "running needs a server name"
    if [ "$target" = kafka ]; then pid_alive "$KAFKA_DIR/kafka.pid"; else pid_alive "$CH_DIR/clickhouse.pid"; fi
    ;;
  env)
    echo "export PAYCORE_KAFKA_BROKERS=$HOST:$KAFKA_PORT"
    echo "export PAYCORE_CLICKHOUSE_ADDR=$HOST:$CH_PORT"
    echo "export PAYCORE_CLICKHOUSE_DATABASE=$DATABASE"
    echo "export PAYCORE_KAFKA_LIBS='$(kafka_libs)'"
    ;;
  logs)
    if want kafka; then tail -n 50 "$KAFKA_DIR/kafka.log" 2>/dev/null || true; fi
    if want clickhouse; then tail -n 50 "$CH_DIR/log/error.log" 2>/dev/null || true; fi
    ;;
  wipe)
    clickhouse_down; kafka_down
    log "deleting $STACK_DIR"
    rm -rf "$STACK_DIR"
    ;;
  *)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
