# Sourced by the HTTP runs (http-overhead.sh, quarkus-overhead.sh): how quiet the machine is, the same way for both.

# Waits (at most 5 minutes) for the build and whatever ran before to stop counting as load.
settle() {
  for _ in $(seq 1 30); do
    awk '{exit !($1 > 0.5)}' /proc/loadavg || break
    echo "waiting for the machine to settle: load average $(cut -d' ' -f1-3 /proc/loadavg)"; sleep 10
  done
}

# The 1, 5 and 15 minute load averages.
load_average() { cut -d' ' -f1-3 /proc/loadavg; }

# CPU time the hypervisor gave to other guests while this one wanted it ("steal", /proc/stat's 8th number), and all
# CPU time: two snapshots give a round's steal as a percentage (steal_percent).
cpu_times() { awk '/^cpu / {t = 0; for (i = 2; i <= 9; i++) t += $i; print $9, t}' /proc/stat; }

# steal_percent STEAL0 TOTAL0 STEAL1 TOTAL1: the share of the CPU time between two cpu_times snapshots that was stolen.
steal_percent() { awk -v s=$(($3 - $1)) -v t=$(($4 - $2)) 'BEGIN {printf "%.1f", (t > 0 ? 100 * s / t : 0)}'; }
