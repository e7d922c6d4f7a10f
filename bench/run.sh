#!/usr/bin/env bash
# Runs the conclave-serve benchmark against a release build: memory per idle authenticated session and
# fan-out throughput. Figures go to stdout; bench/RESULTS.md records them with the machine.
# Usage: bench/run.sh [SESSIONS [SUBSCRIBERS [MESSAGES [BYTES]]]]   (defaults 2000 100 10000 100)
# BENCH_WINDOW=N sets how many posts may wait for their ack (default 256).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product conclave-serve >/dev/null
swift build -c release --product serve-bench >/dev/null
bin=$(swift build -c release --show-bin-path)

ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d /tmp/conclave-bench-XXXXXX)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Long idle timeout: the sessions of part 1 stay silent for the whole run.
"$bin/conclave-serve" --ephemeral --bind 127.0.0.1:0 --idle-timeout 3600 -q 2>"$work/serve.log" &
server_pid=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's/^conclave-serve: listening on ws:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$work/serve.log")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { cat "$work/serve.log" >&2; exit 1; }
echo "conclave-serve (release, ephemeral) pid $server_pid on port $port; RSS at start $(awk '/VmRSS/ {print $2}' /proc/$server_pid/status) KiB"
"$bin/serve-bench" "ws://127.0.0.1:$port/" "$server_pid" "$@"
