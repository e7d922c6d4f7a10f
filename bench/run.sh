#!/usr/bin/env bash
# Runs the same workloads against conclave-serve (release build), mosquitto and nats-server (Debian packages),
# one broker at a time, each started here on a free loopback port and killed on exit; prints a table.
# Workloads (bench/RESULTS.md explains them): memory per idle connection, one-to-one round trips and
# throughput, fan-out from one publisher to S subscribers; then the client rows of bench/clients.sh.
# Usage: bench/run.sh [CONNECTIONS [SUBSCRIBERS [MESSAGES [BYTES]]]]   (defaults 2000 100 10000 100)
# BENCH_BROKERS="conclave conclave-disk conclave-pg conclave-pg3 mqtt0 mqtt1 nats" chooses the brokers (conclave-pg
# and conclave-pg3: one and three instances with --store on one throwaway PostgreSQL); BENCH_WINDOW (256),
# BENCH_ONE_TO_ONE (50000) and BENCH_ROUND_TRIPS (5000) are read by serve-bench. BENCH_PARTS="brokers clients"
# chooses the parts.
set -euo pipefail
cd "$(dirname "$0")/.."
brokers=${BENCH_BROKERS:-conclave conclave-disk conclave-pg conclave-pg3 mqtt0 mqtt1 nats}
parts=${BENCH_PARTS:-brokers clients}
source bench/clients.sh

missing=
packages="mosquitto nats-server mosquitto-clients hyperfine valgrind"
[[ " $brokers " != *" conclave-pg"* ]] || packages="$packages postgresql"
for package in $packages; do
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
# The broker's processes: one, or one per instance of a deployment on PostgreSQL.
broker_pids=()
stop_broker() {
    local pid
    for pid in "${broker_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${broker_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    broker_pids=()
}
cleanup() { stop_broker; stop_client_servers; stop_postgres; rm -rf "$work"; }
trap cleanup EXIT INT TERM

# One throwaway PostgreSQL for the conclave-pg brokers, started on first use and stopped on exit; each broker run
# gets a fresh database in it. PostgreSQL's durability defaults are kept (fsync, synchronous_commit), since a
# deployed cluster commits like that; it listens on 127.0.0.1 only and keeps its socket in $work.
pg_bin=
pg_port=
pg_databases=0
# initdb and pg_ctl refuse to run as root: as root, they run as the postgres user.
as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
start_postgres() {
    [ -z "$pg_port" ] || return 0
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        # Through the link (/usr/local/bin/pg_ctl → /usr/lib/postgresql/15/bin/pg_ctl) to createdb and postgres.
        pg_bin=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
    else
        pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    fi
    mkdir -p "$work/pg/socket"
    if [ "$(id -u)" -eq 0 ]; then
        # mktemp made $work 0700: the postgres user must be able to pass through it to its own folder.
        chmod 711 "$work"
        chown -R postgres: "$work/pg"
    fi
    # Trust authentication: the server is reachable from this machine only and lives as long as the run. --no-sync
    # skips only initdb's final flush of the new folder, not the server's.
    as_postgres "$pg_bin/initdb" -D "$work/pg/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
        >"$work/pg/initdb.log" 2>&1
    pg_port=$("$bin/serve-bench" free-port)
    as_postgres "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w -t 30 \
        -o "-p $pg_port -k $work/pg/socket -c listen_addresses=127.0.0.1" start >/dev/null
    echo "bench: $("$pg_bin/postgres" --version) on 127.0.0.1:$pg_port"
}
stop_postgres() {
    if [ -n "$pg_port" ]; then
        as_postgres "$pg_bin/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null 2>&1 || true
        pg_port=
    fi
}

# The PIDs of the PostgreSQL server's processes now (the postmaster and its children: one backend per connection
# of the instances, the WAL writer, …), comma-separated, for serve-bench's BENCH_STORE_PIDS.
postgres_pids() {
    local postmaster
    postmaster=$(head -1 "$work/pg/data/postmaster.pid")
    { echo "$postmaster"; pgrep -P "$postmaster"; } | paste -sd,
}

# The end of every server's log, for a failed run: they go with $work on exit, and what a broker said is the first
# clue.
show_logs() {
    tail -n 20 "$work"/*.log "$work"/pg/server.log >&2 2>/dev/null || true
}

# Waits (at most 10 s) until something accepts connections on 127.0.0.1:$1.
await_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "bench: nothing listens on 127.0.0.1:$1" >&2
    show_logs
    return 1
}

# Starts broker $1 on a free loopback port (conclave-pg3: three instances, on three); sets broker_pids, address and
# mode (serve-bench's name for the broker).
start_broker() {
    local port instance urls=()
    port=$("$bin/serve-bench" free-port)
    mode=$1
    case "$1" in
    conclave)
        # Long idle timeout: the idle sessions stay silent for the whole run.
        "$bin/conclave-serve" --ephemeral --bind "127.0.0.1:$port" --idle-timeout 3600 -q 2>"$work/serve.log" &
        broker_pids=($!)
        address="ws://127.0.0.1:$port/"
        ;;
    conclave-disk)
        # The store in a file (WAL, synchronous=NORMAL), as a deployed server keeps it.
        rm -rf "$work/conclave-data"
        "$bin/conclave-serve" --data-dir "$work/conclave-data" --bind "127.0.0.1:$port" --idle-timeout 3600 -q \
            2>"$work/serve.log" &
        broker_pids=($!)
        address="ws://127.0.0.1:$port/"
        ;;
    conclave-pg | conclave-pg3)
        start_postgres
        pg_databases=$((pg_databases + 1))
        "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "bench$pg_databases"
        # One after another, each up before the next starts, so the first creates the schema alone.
        for instance in $(seq "$([ "$1" = conclave-pg3 ] && echo 3 || echo 1)"); do
            [ "$instance" -eq 1 ] || port=$("$bin/serve-bench" free-port)
            "$bin/conclave-serve" --store "postgres://postgres@127.0.0.1:$pg_port/bench$pg_databases" \
                --bind "127.0.0.1:$port" --idle-timeout 3600 -q 2>"$work/serve-$instance.log" &
            broker_pids+=($!)
            await_port "$port"
            urls+=("ws://127.0.0.1:$port/")
        done
        address=$(IFS=,; echo "${urls[*]}")
        mode=conclave-cluster
        ;;
    mqtt0 | mqtt1)
        printf '%s\n' "listener $port 127.0.0.1" "allow_anonymous true" "persistence false" \
            "log_dest stderr" "log_type error" >"$work/mosquitto.conf"
        mosquitto -c "$work/mosquitto.conf" 2>"$work/mosquitto.log" &
        broker_pids=($!)
        address="127.0.0.1:$port"
        ;;
    nats)
        nats-server -a 127.0.0.1 -p "$port" 2>"$work/nats.log" &
        broker_pids=($!)
        address="127.0.0.1:$port"
        ;;
    *)
        echo "bench: unknown broker $1 (conclave, conclave-disk, conclave-pg, conclave-pg3, mqtt0, mqtt1, nats)" >&2
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
    # PostgreSQL's CPU time is the store's share of a deployment's work: serve-bench reports it beside the
    # instances' (not in the table, whose broker CPU is conclave-serve's alone).
    store_pids=
    [ "$mode" != conclave-cluster ] || store_pids=$(postgres_pids)
    if ! BENCH_STORE_PIDS=$store_pids "$bin/serve-bench" "$mode" "$address" "$(IFS=,; echo "${broker_pids[*]}")" \
        "$@" | tee "$work/out"; then
        show_logs
        exit 1
    fi
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
