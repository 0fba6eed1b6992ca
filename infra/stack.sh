#!/usr/bin/env bash
# The local Paystream stack without Docker: Apache Kafka (KRaft) and Apicurio Registry, both
# fetched from Maven Central into .cache/stack, plus the PostgreSQL server at DATABASE_URL.
#
#   infra/stack.sh fetch                 download the jars once (mvn), nothing else
#   infra/stack.sh up [--brokers 3]      start what is not already running, create databases and topics
#   infra/stack.sh down [kafka|registry|--brokers 3 [--wipe]]
#                                        stop what this script started (pid files), nothing else
#   infra/stack.sh status                what runs, where, and which pid
#   infra/stack.sh kill-broker <node>    kill -9 one broker of the 3-broker cluster (failover tests)
#
# Single broker: 127.0.0.1:9092 (controller 9093). Cluster mode: brokers on 9192/9193/9194
# (controllers 9195-9197), replication factor 3, min.insync.replicas 2, so both can run at once.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${PAYSTREAM_CACHE:-$ROOT/.cache}"
RUN="$CACHE/run"
KAFKA_VERSION="$(sed -n 's#.*<kafka.version>\(.*\)</kafka.version>.*#\1#p' "$ROOT/infra/maven/pom.xml")"
APICURIO_VERSION="$(sed -n 's#.*<apicurio.version>\(.*\)</apicurio.version>.*#\1#p' "$ROOT/infra/maven/pom.xml")"
KAFKA_LIBS="$CACHE/stack/kafka-$KAFKA_VERSION/libs"
APICURIO_HOME="$CACHE/stack/apicurio-$APICURIO_VERSION"
REGISTRY_PORT="${REGISTRY_PORT:-8081}"
KAFKA_HEAP="${KAFKA_HEAP:-512m}"
CLUSTER_HEAP="${CLUSTER_HEAP:-384m}"

log() { printf '[stack] %s\n' "$*"; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port seconds what logfile
  local i
  for ((i = 0; i < $2 * 2; i++)); do
    port_open "$1" && return 0
    sleep 0.5
  done
  die "$3 did not open port $1 within $2 s; see $4"
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

java_major() { "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }

# Kafka 4.x runs on Java 17+; Apicurio 3.3 is built for Java 21+. Prefer JAVA_HOME, then every
# JDK under /usr/lib/jvm, and take the first that is new enough.
find_java() { # min-major
  local c m
  if [[ "$1" == 17 && -n "${KAFKA_JAVA:-}" ]]; then echo "$KAFKA_JAVA"; return 0; fi
  for c in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} $(command -v java || true) /usr/lib/jvm/*/bin/java; do
    [[ -x "$c" ]] || continue
    m="$(java_major "$c")"
    if [[ -n "$m" && "$m" -ge "$1" ]]; then echo "$c"; return 0; fi
  done
  return 1
}

fetch() {
  if [[ -d "$KAFKA_LIBS" && -f "$APICURIO_HOME/quarkus-run.jar" ]]; then
    log "jars present: kafka $KAFKA_VERSION, apicurio $APICURIO_VERSION ($CACHE/stack)"
    return 0
  fi
  command -v mvn >/dev/null || die "Maven (mvn) is required to fetch Kafka and Apicurio from Maven Central"
  log "fetching kafka_2.13:$KAFKA_VERSION and apicurio-registry-app:$APICURIO_VERSION from Maven Central (once) ..."
  mvn -B -q -f "$ROOT/infra/maven/pom.xml" -Dstack.cache="$CACHE/stack" package \
    || die "mvn could not fetch the stack jars (see the output above)"
  log "jars cached in $CACHE/stack"
}

write_kafka_config() { # dir node-id broker-port controller-port voters replication
  local dir="$1" rf="$6" isr=1
  [[ "$rf" -ge 3 ]] && isr=2
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=$2
controller.quorum.voters=$5
listeners=PLAINTEXT://127.0.0.1:$3,CONTROLLER://127.0.0.1:$4
advertised.listeners=PLAINTEXT://127.0.0.1:$3
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=12
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=12
unclean.leader.election.enable=false
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
log.retention.hours=-1
num.network.threads=2
num.io.threads=4
PROPS
  cat >"$dir/log4j2.properties" <<PROPS
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = $dir/server.log
appender.file.filePattern = $dir/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = WARN
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
logger.started.name = kafka.server.KafkaRaftServer
logger.started.level = INFO
PROPS
}

# Writes the node's config and formats its storage once. A short-lived JVM: C1 only, serial GC.
prepare_kafka_node() { # name node-id broker-port controller-port voters replication heap cluster-id
  local name="$1" dir="$RUN/$1" java
  java="$(find_java 17)" || die "Kafka needs Java 17 or newer (set JAVA_HOME)"
  write_kafka_config "$dir" "$2" "$3" "$4" "$5" "$6"
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    log "formatting KRaft storage of $name (cluster $8)"
    "$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dlog4j2.configurationFile="$dir/log4j2.properties" \
      -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format -t "$8" -c "$dir/server.properties" \
      >"$dir/format.log" 2>&1 || die "formatting failed; see $dir/format.log"
  fi
}

start_kafka_node() { # name node-id broker-port controller-port voters replication heap cluster-id [jvm-opts]
  local name="$1" dir="$RUN/$1" java jvm_opts="${9:--XX:+UseG1GC -XX:MaxGCPauseMillis=20}"
  java="$(find_java 17)" || die "Kafka needs Java 17 or newer (set JAVA_HOME)"
  if pid_alive "$dir/pid"; then log "$name already running (pid $(cat "$dir/pid"))"; return 0; fi
  if port_open "$3"; then log "port $3 is in use by another process: using that Kafka, not starting $name"; return 0; fi
  prepare_kafka_node "${@:1:8}"
  # shellcheck disable=SC2086 # jvm_opts is a list of flags
  nohup "$java" -Xms128m -Xmx"$7" $jvm_opts -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties" \
    >"$dir/stdout.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  log "started $name (pid $!) on 127.0.0.1:$3, logs $dir/server.log"
}

cluster_id() { # dir: one id per data set, kept so a restart reuses the formatted storage
  local f="$1/cluster-id" java
  mkdir -p "$1"
  if [[ ! -f "$f" ]]; then
    java="$(find_java 17)" || die "Kafka needs Java 17 or newer"
    "$java" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1 >"$f"
  fi
  cat "$f"
}

wait_kafka() { # port name [seconds]
  wait_port "$1" "${3:-90}" "$2" "$RUN/$2/server.log"
  # The port opens before the broker has joined the quorum; ask for metadata until it answers.
  local i
  for ((i = 0; i < 120; i++)); do
    if node "$ROOT/scripts/kafka-ready.mjs" "127.0.0.1:$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  die "$2 does not answer metadata requests; see $RUN/$2/server.log"
}

start_registry() {
  local dir="$RUN/apicurio" java
  mkdir -p "$dir"
  if pid_alive "$dir/pid"; then log "apicurio already running (pid $(cat "$dir/pid"))"; return 0; fi
  if port_open "$REGISTRY_PORT"; then log "port $REGISTRY_PORT in use: using that schema registry"; return 0; fi
  java="$(find_java 21)" || die "Apicurio Registry $APICURIO_VERSION needs Java 21 or newer (none found in JAVA_HOME or /usr/lib/jvm)"
  # Storage: by default Apicurio's SQL store on the PostgreSQL at DATABASE_URL (database
  # paystream_registry). Kafka keeps every record forever and each record names its schema by id,
  # so the ids must survive a registry restart or a replay (ledger:rebuild) could not decode old
  # records. REGISTRY_STORAGE=memory gives the app's in-memory store instead (ids reset on restart).
  local storage=()
  if [[ "${REGISTRY_STORAGE:-postgres}" == "postgres" ]]; then
    local settings url user pass
    settings="$(node "$ROOT/scripts/registry-db.mjs")" || die "cannot prepare the registry's database (REGISTRY_STORAGE=memory avoids it)"
    url="$(sed -n 's/^url=//p' <<<"$settings")"
    user="$(sed -n 's/^username=//p' <<<"$settings")"
    pass="$(sed -n 's/^password=//p' <<<"$settings")"
    storage=(-Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=postgresql
      "-Dapicurio.datasource.url=$url" "-Dapicurio.datasource.username=$user" "-Dapicurio.datasource.password=$pass")
  fi
  # Started from its own folder (Quarkus resolves lib/ relative to the working directory); no
  # subshell, so the recorded pid is the JVM's and no pipe of the caller stays open. The
  # management interface is built in; keep it on loopback and off the common port 9000.
  pushd "$APICURIO_HOME" >/dev/null
  nohup "$java" -Xms64m -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$REGISTRY_PORT" \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="${REGISTRY_MANAGEMENT_PORT:-8091}" \
    -Dquarkus.log.level=WARN "${storage[@]}" \
    -jar quarkus-run.jar >"$dir/registry.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  popd >/dev/null
  log "started apicurio (pid $(cat "$dir/pid"), storage ${REGISTRY_STORAGE:-postgres}) on http://127.0.0.1:$REGISTRY_PORT, logs $dir/registry.log"
}

wait_registry() {
  local i
  for ((i = 0; i < 180; i++)); do
    if curl -sf "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7/subjects" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  die "schema registry did not answer on $REGISTRY_PORT; see $RUN/apicurio/registry.log"
}

up() {
  local brokers=1
  [[ "${1:-}" == "--brokers" ]] && brokers="${2:-1}"
  fetch
  mkdir -p "$RUN"
  KAFKA_JAVA="$(find_java 17)" || die "Kafka needs Java 17 or newer (set JAVA_HOME)"
  if [[ "$brokers" == "3" ]]; then
    local cid voters="1@127.0.0.1:9195,2@127.0.0.1:9196,3@127.0.0.1:9197" n
    cid="$(cluster_id "$RUN/cluster")"
    # A node opens its broker port only once a majority of the controller quorum is up, so the
    # three are formatted side by side first and then started together, not one after another.
    local pids=() pid
    for n in 1 2 3; do
      pid_alive "$RUN/cluster/kafka-$n/pid" && continue
      prepare_kafka_node "cluster/kafka-$n" "$n" "$((9191 + n))" "$((9194 + n))" "$voters" 3 "$CLUSTER_HEAP" "$cid" &
      pids+=("$!")
    done
    for pid in "${pids[@]}"; do wait "$pid" || die "formatting the cluster's storage failed"; done
    # The failover cluster is for correctness tests, not throughput: C1-only JIT and the serial
    # collector make its three JVMs start with far less CPU on a small machine.
    for n in 1 2 3; do
      start_kafka_node "cluster/kafka-$n" "$n" "$((9191 + n))" "$((9194 + n))" "$voters" 3 "$CLUSTER_HEAP" "$cid" \
        "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    done
    # Three JVMs starting at once on a small, busy machine: allow them longer than the single broker.
    for n in 1 2 3; do wait_kafka "$((9191 + n))" "cluster/kafka-$n" 240; done
    log "cluster ready: 127.0.0.1:9192,127.0.0.1:9193,127.0.0.1:9194"
    return 0
  fi
  start_kafka_node kafka 1 9092 9093 "1@127.0.0.1:9093" 1 "$KAFKA_HEAP" "$(cluster_id "$RUN/kafka")"
  start_registry
  wait_kafka 9092 kafka
  log "kafka ready on 127.0.0.1:9092"
  wait_registry
  log "schema registry ready on http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7"
  node "$ROOT/scripts/stack-init.mjs"
}

stop_pidfile() { # pidfile name
  local pid i
  pid_alive "$1" || { rm -f "$1"; return 0; }
  pid="$(cat "$1")"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then log "$2 ignored SIGTERM for 30 s: killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$1"
  log "stopped $2 (pid $pid)"
}

# The cluster's nodes are also its controller quorum: stopped one after another, the last ones
# wait for a controller majority that is already gone (and after kill-broker there is one voter
# less), so each sat out the 30 s SIGTERM grace. All nodes get SIGTERM together and share one
# deadline; with --wipe the data is thrown away anyway, so they are killed outright.
any_alive() {
  local pid
  for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}

stop_cluster() { # [--wipe]
  local n f pid pids=() i
  for n in 1 2 3; do
    f="$RUN/cluster/kafka-$n/pid"
    if pid_alive "$f"; then pids+=("$(cat "$f")"); fi
    rm -f "$f"
  done
  if ((${#pids[@]})); then
    if [[ "$1" == "--wipe" ]]; then
      kill -KILL "${pids[@]}" 2>/dev/null || true
    else
      kill -TERM "${pids[@]}" 2>/dev/null || true
      for ((i = 0; i < 60; i++)); do
        any_alive "${pids[@]}" || break
        sleep 0.5
      done
      if any_alive "${pids[@]}"; then log "cluster ignored SIGTERM for 30 s: killing"; fi
      kill -KILL "${pids[@]}" 2>/dev/null || true
    fi
    for ((i = 0; i < 40; i++)); do
      any_alive "${pids[@]}" || break
      sleep 0.25
    done
    log "stopped cluster (pids ${pids[*]})"
  fi
  if [[ "$1" == "--wipe" ]]; then rm -rf "$RUN/cluster"; log "wiped cluster data"; fi
}

down() {
  case "${1:-}" in
    kafka) stop_pidfile "$RUN/kafka/pid" kafka; return 0 ;;
    registry) stop_pidfile "$RUN/apicurio/pid" apicurio; return 0 ;;
  esac
  if [[ "${1:-}" == "--brokers" && "${2:-}" == "3" ]]; then
    stop_cluster "${3:-}"
    return 0
  fi
  stop_pidfile "$RUN/apicurio/pid" apicurio
  stop_pidfile "$RUN/kafka/pid" kafka
}

status() {
  local f name
  for f in "$RUN"/kafka/pid "$RUN"/apicurio/pid "$RUN"/cluster/kafka-*/pid; do
    [[ -e "$f" ]] || continue
    name="${f#"$RUN"/}"; name="${name%/pid}"
    if pid_alive "$f"; then log "$name: running (pid $(cat "$f"))"; else log "$name: stopped (stale pid file)"; fi
  done
  port_open 9092 && log "kafka 127.0.0.1:9092: answering" || log "kafka 127.0.0.1:9092: not answering"
  port_open "$REGISTRY_PORT" && log "registry http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7: answering" \
    || log "registry 127.0.0.1:$REGISTRY_PORT: not answering"
  if command -v pg_isready >/dev/null; then
    pg_isready -d "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" | sed 's/^/[stack] postgres: /'
  fi
}

case "${1:-}" in
  fetch) fetch ;;
  up) shift; up "$@" ;;
  down) shift; down "$@" ;;
  status) status ;;
  kill-broker)
    f="$RUN/cluster/kafka-${2:?node}/pid"
    pid_alive "$f" || die "cluster/kafka-$2 is not running"
    kill -KILL "$(cat "$f")"; rm -f "$f"; log "killed cluster/kafka-$2" ;;
  *) die "usage: infra/stack.sh fetch | up [--brokers 3] | down [--brokers 3 [--wipe]] | status | kill-broker <1-3>" ;;
esac
