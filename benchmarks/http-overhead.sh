#!/usr/bin/env bash
# The Feature's cost over real HTTP, against Jersey alone and the peers a user would pick instead (the access
# log allocline's line replaces, alone and with a request-id filter putting the id into the logging context,
# Micrometer's Jersey timer, the OpenTelemetry Java agent), and the portable filter pair's line on Jersey:
# a hello world on Grizzly at saturation (wrk: 1 thread, 32 connections, closed loop), each server in
# a JVM of its own, rounds alternating between the servers, the throughput ratios paired per round.
# Writes results/http-overhead.md with the command, every round and the spread.
# With the endpoint `example` the servers serve the example service's JSON endpoint instead of the hello world
# (`GET /clusters/c-7/databases`: its H2 query and Jackson, #39 item 5), what a user with real work per request pays.
# Usage: bash benchmarks/http-overhead.sh [rounds] [seconds-per-round] [output, default results/http-overhead.md]
#        [endpoint: hello (default) or example]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=machine.sh
. benchmarks/machine.sh
rounds=${1:-10}
secs=${2:-10}
out=${3:-results/http-overhead.md}
endpoint=${4:-hello}
case "$endpoint" in
  hello) path=/hello ;;
  example) path=/clusters/c-7/databases ;;
  *) echo "endpoint: hello or example, not $endpoint" >&2; exit 2 ;;
esac
command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v curl >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
mvn -B -q -pl benchmarks -am package -DskipTests
# The OpenTelemetry Java agent, the peer a user would pick instead (#39), from Maven Central into the local repository.
OTEL_VERSION=2.22.0
OTEL_JAR=benchmarks/target/agents/opentelemetry-javaagent-$OTEL_VERSION.jar
[ -f "$OTEL_JAR" ] || mvn -B -q -N org.apache.maven.plugins:maven-dependency-plugin:3.9.0:copy \
  -Dartifact=io.opentelemetry.javaagent:opentelemetry-javaagent:$OTEL_VERSION -DoutputDirectory=benchmarks/target/agents
[ -f "$OTEL_JAR" ] || { echo "no OpenTelemetry agent at $OTEL_JAR" >&2; exit 1; }
# The eighth server is the realistic peer (access log + the request id in the logging context); the ninth is Jersey
# alone under the OpenTelemetry agent with its exporters off (its cost is a lower bound: instrumentation and spans,
# nothing exported).
variants=(baseline accounting_only log4j_file peer_access_log_file micrometer_sink peer_jersey_micrometer filter_log4j_file peer_access_log_id_file baseline)
ports=(18081 18082 18083 18084 18085 18086 18087 18088 18089)
agent_args=("" "" "" "" "" "" "" "" "-javaagent:$OTEL_JAR -Dotel.traces.exporter=none -Dotel.metrics.exporter=none -Dotel.logs.exporter=none -Dotel.javaagent.logging=none")
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
settle
load_before=$(load_average)
for i in "${!variants[@]}"; do
  # shellcheck disable=SC2086 # the agent's arguments are words
  "$JAVA" -Xms512m -Xmx512m ${agent_args[$i]} -Djava.io.tmpdir="$tmp" -cp benchmarks/target/benchmarks.jar \
    dev.allocline.benchmarks.HttpServerMain "${variants[$i]}" "${ports[$i]}" "$endpoint" > "$tmp/server-$i.log" 2>&1 &
  pids+=($!)
done
for i in "${!variants[@]}"; do
  for _ in $(seq 1 600); do grep -q ready "$tmp/server-$i.log" && break; sleep 0.1; done
  grep -q ready "$tmp/server-$i.log" || { echo "server ${variants[$i]} did not start" >&2; cat "$tmp/server-$i.log" >&2; exit 1; }
done
rps() { wrk -t1 -c32 -d"$1"s "http://127.0.0.1:$2$path" | awk '/Requests\/sec/ {print $2}'; }
# A measured round of one server: prints its requests per second, and appends to $tmp/details.txt the round, the
# server, its mean, p50 and p99 latency (ms, wrk's --latency) and its bytes per request (HttpServerMain's probe).
to_ms() { awk '{v = $1; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000}; printf "%.3f", v}'; }
measure() { # $1 seconds, $2 server index, $3 round
  local port=${ports[$2]} before after out reqs
  before=$(curl -s "http://127.0.0.1:$((port + 100))/allocated")
  out=$(wrk -t1 -c32 -d"$1"s --latency "http://127.0.0.1:$port$path")
  after=$(curl -s "http://127.0.0.1:$((port + 100))/allocated")
  reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "$3 $2 $(echo "$out" | awk '/^    Latency/ {print $2}' | to_ms) $(echo "$out" | awk '/^ +50%/ {print $2}' | to_ms)" \
    "$(echo "$out" | awk '/^ +99%/ {print $2}' | to_ms) $(awk -v a="$after" -v b="$before" -v n="$reqs" 'BEGIN {printf "%.0f", (n > 0 ? (a - b) / n : 0)}')" \
    >> "$tmp/details.txt"
  echo "$out" | awk '/Requests\/sec/ {print $2}'
}
# warm-up: JIT (a Jersey request needs 10-20 s on 2 cores), pools, the log file; twice round
for _ in 1 2; do for i in "${!variants[@]}"; do rps 15 "${ports[$i]}" > /dev/null; done; done
# CPU time the hypervisor gave to other guests while this one wanted it ("steal", /proc/stat's 8th number), as a
# percentage of all CPU time of the round: a virtual machine is never quiet when its host is busy, whatever runs in
# it (one aborted run on this machine saw 57%), and the report says how much of each round the host took.
declare -A results
for r in $(seq 1 "$rounds"); do
  # alternate the order every round so no variant always runs first
  order=(0 1 2 3 4 5 6 7 8); if (( r % 2 == 0 )); then order=(8 7 6 5 4 3 2 1 0); fi
  read -r steal0 total0 < <(cpu_times)
  for i in "${order[@]}"; do results[$r,$i]=$(measure "$secs" "$i" "$r"); done
  read -r steal1 total1 < <(cpu_times)
  results[$r,steal]=$(steal_percent "$steal0" "$total0" "$steal1" "$total1")
  line=""; for i in "${!variants[@]}"; do line="$line ${results[$r,$i]}"; done
  echo "round $r:$line (steal ${results[$r,steal]}%)"
done
load_after=$(load_average)
for r in $(seq 1 "$rounds"); do
  line=""; for i in "${!variants[@]}"; do line="$line ${results[$r,$i]}"; done; echo "$line ${results[$r,steal]}"
done > "$tmp/rounds.txt"
ALLOCLINE_HTTP_DETAILS="$tmp/details.txt" ALLOCLINE_HTTP_ENDPOINT="$endpoint" python3 benchmarks/http-overhead-report.py "$tmp/rounds.txt" "$rounds" "$secs" "$load_before" "$load_after" \
  "$("$JAVA" -version 2>&1 | head -n1)" "${JAVA_HOME:+JAVA_HOME=$JAVA_HOME }bash benchmarks/http-overhead.sh $rounds $secs${3:+ $3}${4:+ $4}" > "$out"
echo "wrote $out"
