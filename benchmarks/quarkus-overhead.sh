#!/usr/bin/env bash
# #37: what allocline-quarkus costs a reactive Quarkus service over real HTTP. One hello-world application whose
# endpoint returns a Uni on the event loop (integrations/quarkus/hello-benchmark), packaged twice: without the extension
# and with it. Three servers, each a JVM of its own: without the extension; with it, its line to a file; with it, its
# line off (the logger dev.allocline at OFF: the accounting, the request id and the dispatch hooks without the write).
# wrk -t1 -c32 (closed loop) for each server in turn, rounds alternating the order, throughput ratios paired per round.
# Writes results/quarkus-overhead.md (or the given file) with the command, every round and the spread.
# Usage: bash benchmarks/quarkus-overhead.sh [rounds, default 10] [seconds-per-round, default 10] [output]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=machine.sh
. benchmarks/machine.sh
rounds=${1:-10}
secs=${2:-10}
out=${3:-results/quarkus-overhead.md}
command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
app=integrations/quarkus/hello-benchmark
# without the extension first (no allocline module is built for it), then with it (the reactor builds the extension)
mvn -B -q -pl $app package -Dbare -DskipTests -DskipITs
rm -rf $app/target/bench-bare && cp -r $app/target/quarkus-app $app/target/bench-bare
mvn -B -q -pl $app -am package -DskipTests -DskipITs
rm -rf $app/target/bench-allocline && cp -r $app/target/quarkus-app $app/target/bench-allocline
ls $app/target/bench-allocline/lib/main | grep -q allocline || { echo "the allocline build has no allocline jar" >&2; exit 1; }
if ls $app/target/bench-bare/lib/main | grep -q allocline; then echo "the bare build has an allocline jar" >&2; exit 1; fi
names=("without the extension" "allocline, line to a file" "allocline, line off")
dirs=(bench-bare bench-allocline bench-allocline)
ports=(18091 18092 18093)
tmp=$(mktemp -d)
extra=("" "-Dallocline.lines.file=$tmp/lines-1.log" "-Dallocline.lines.file=$tmp/lines-2.log -Dquarkus.log.category.\"dev.allocline\".level=OFF")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
settle
load_before=$(load_average)
for i in "${!dirs[@]}"; do
  # shellcheck disable=SC2086 # the extra options are words
  "$JAVA" -Xms512m -Xmx512m -Djava.io.tmpdir="$tmp" -Dquarkus.http.port="${ports[$i]}" -Dquarkus.http.host=127.0.0.1 \
    ${extra[$i]} -jar "$app/target/${dirs[$i]}/quarkus-run.jar" > "$tmp/server-$i.log" 2>&1 &
  pids+=($!)
done
for i in "${!dirs[@]}"; do
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:${ports[$i]}/hello" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:${ports[$i]}/hello" >/dev/null || { echo "server ${names[$i]} did not start" >&2; cat "$tmp/server-$i.log" >&2; exit 1; }
done
# the allocline server writes a line per request, the others none: checked, so a misconfigured run cannot pass as one
curl -s "http://127.0.0.1:${ports[1]}/hello" >/dev/null; sleep 1
grep -q "alloc_bytes=" "$tmp/lines-1.log" || { echo "allocline wrote no line to $tmp/lines-1.log" >&2; exit 1; }
rps() { wrk -t1 -c32 -d"$1"s "http://127.0.0.1:$2/hello" | awk '/Requests\/sec/ {print $2}'; }
for _ in 1 2; do for i in "${!dirs[@]}"; do rps 15 "${ports[$i]}" > /dev/null; done; done
[ ! -s "$tmp/lines-2.log" ] || ! grep -q "alloc_bytes=" "$tmp/lines-2.log" || { echo "the line-off server wrote lines" >&2; exit 1; }
: > "$tmp/rounds.txt"
for r in $(seq 1 "$rounds"); do
  order=(0 1 2); if (( r % 2 == 0 )); then order=(2 1 0); fi
  read -r steal0 total0 < <(cpu_times)
  declare -A res=()
  for i in "${order[@]}"; do res[$i]=$(rps "$secs" "${ports[$i]}"); done
  read -r steal1 total1 < <(cpu_times)
  steal=$(steal_percent "$steal0" "$total0" "$steal1" "$total1")
  echo "${res[0]} ${res[1]} ${res[2]} $steal" | tee -a "$tmp/rounds.txt"
done
load_after=$(load_average)
python3 benchmarks/quarkus-overhead-report.py "$tmp/rounds.txt" "$secs" "$load_before" "$load_after" \
  "$("$JAVA" -version 2>&1 | head -n1)" "${JAVA_HOME:+JAVA_HOME=$JAVA_HOME }bash benchmarks/quarkus-overhead.sh $rounds $secs${3:+ $3}" > "$out"
echo "wrote $out"
