#!/usr/bin/env bash
# Builds the JMH suite and runs it on the current JDK (JAVA_HOME, else `java` on the PATH), writing
# the raw JSON, the machine description, REPORT.md and the charts into results/ (quick: results/quick/).
# Usage: bash benchmarks/run.sh [full|quick]
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-full}
case "$mode" in full|quick) ;; *) echo "usage: $0 [full|quick]" >&2; exit 2 ;; esac
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
mvn -B -q -pl benchmarks -am package -DskipTests
# JMH takes a lock file in java.io.tmpdir; a private one lets runs on two JDKs overlap safely.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$JAVA" -Djava.io.tmpdir="$tmp" -cp benchmarks/target/benchmarks.jar dev.allocline.benchmarks.Suite "$mode"
