#!/usr/bin/env bash
# Runs the same workloads against conclave-serve (release build), mosquitto and nats-server (Debian packages),
# one broker at a time, each started here on a free loopback port and killed on exit; prints a table.
# Workloads (bench/RESULTS.md explains them): memory per idle connection, one-to-one round trips and
# throughput, fan-out from one publisher to S subscribers; then the client rows of bench/clients.sh.
# Usage: bench/run.sh [CONNECTIONS [SUBSCRIBERS [MESSAGES [BYTES]]]]   (defaults 2000 100 10000 100)
# BENCH_BROKERS="conclave conclave-disk mqtt0 mqtt1 nats" chooses the brokers; BENCH_WINDOW (256),
# BENCH_ONE_TO_ONE (50000) and BENCH_ROUND_TRIPS (5000) are read by serve-bench. BENCH_PARTS="brokers clients"
# chooses the parts.
set -euo pipefail
cd "$(dirname "$0")/.."
brokers=${BENCH_BROKERS:-conclave conclave-disk mqtt0 mqtt1 nats}
parts=${BENCH_PARTS:-brokers clients}
source bench/clients.sh

missing=
for package in mosquitto nats-server mosquitto-clients hyperfine valgrind; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing="$missing $package"
done
if [ -n "$missing" ]; then
    echo "bench: installing$missing"
    # The packages' own services are not started (policy-rc.d); this script runs its own instances.
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

# The build that is shipped (Makefile "release"), so that the client rows measure the tools' real start-up.
make -s release >/dev/null
bin=$(swift build -c release --show-bin-path)

ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d /tmp/conclave-bench-XXXXXX)
broker_pid=
stop_broker() {
    if [ -n "$broker_pid" ]; then
        kill "$broker_pid" 2>/dev/null || true
        wait "$broker_pid" 2>/dev/null || true
        broker_pid=
    fi
}
cleanup() { stop_broker; stop_client_servers; rm -rf "$work"; }
trap cleanup EXIT INT TERM

# Waits (at most 10 s) until something accepts connections on 127.0.0.1:$1.
await_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "bench: nothing listens on 127.0.0.1:$1" >&2
    return 1
}

# Starts broker $1 on a free loopback port; sets broker_pid and address.
start_broker() {
    local port
    port=$("$bin/serve-bench" free-port)
    case "$1" in
    conclave)
        # Long idle timeout: the idle sessions stay silent for the whole run.
        "$bin/conclave-serve" --ephemeral --bind "127.0.0.1:$port" --idle-timeout 3600 -q 2>"$work/serve.log" &
        broker_pid=$!
        address="ws://127.0.0.1:$port/"
        ;;
    conclave-disk)
        # The store in a file (WAL, synchronous=NORMAL), as a deployed server keeps it.
        rm -rf "$work/conclave-data"
        "$bin/conclave-serve" --data-dir "$work/conclave-data" --bind "127.0.0.1:$port" --idle-timeout 3600 -q \
            2>"$work/serve.log" &
        broker_pid=$!
        address="ws://127.0.0.1:$port/"
        ;;
    mqtt0 | mqtt1)
        printf '%s\n' "listener $port 127.0.0.1" "allow_anonymous true" "persistence false" \
            "log_dest stderr" "log_type error" >"$work/mosquitto.conf"
        mosquitto -c "$work/mosquitto.conf" 2>"$work/mosquitto.log" &
        broker_pid=$!
        address="127.0.0.1:$port"
        ;;
    nats)
        nats-server -a 127.0.0.1 -p "$port" 2>"$work/nats.log" &
        broker_pid=$!
        address="127.0.0.1:$port"
        ;;
    *)
        echo "bench: unknown broker $1 (conclave, conclave-disk, mqtt0, mqtt1, nats)" >&2
        return 1
        ;;
    esac
    await_port "$port"
}

cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)
echo "$(nproc) CPUs ($cpu), $(free -m | awk '/^Mem:/ {print $2}') MiB; conclave $(git describe --always --dirty)," \
    "$(mosquitto -h 2>/dev/null | sed -n 1p), nats-server $(nats-server --version | sed 's/.* //')"
# Other work on the machine takes CPU from the brokers and the client: wall-clock rates then understate,
# while CPU seconds per delivery stay comparable.
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
rows=()
[[ " $parts " == *" brokers "* ]] || brokers=
for broker in $brokers; do
    start_broker "$broker"
    "$bin/serve-bench" "$broker" "$address" "$broker_pid" "$@" | tee "$work/out"
    rows+=("$(grep '^| ' "$work/out")")
    stop_broker
done

if [ -n "$brokers" ]; then
    echo
    echo "| broker | bytes per idle connection | 1:1 round trip p50 / p99 µs | 1:1 messages/s" \
        "| 1:1 broker CPU µs per message | fan-out deliveries/s | fan-out broker CPU s | deliveries per broker CPU s" \
        "| fan-out client CPU s | broker peak RSS MB |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
fi

if [[ " $parts " == *" clients "* ]]; then client_rows; fi
