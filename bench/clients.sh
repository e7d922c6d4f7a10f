# Client rows of the benchmark (issue 14, bench/RESULTS.md "Clients"), sourced by bench/run.sh after the broker
# rows: what a tool costs to start and to post once, against mosquitto_pub, and how fast conclave-send and
# conclave-recv stream, against mosquitto_pub -l and mosquitto_sub. One conclave-serve --ephemeral and one
# mosquitto on free loopback ports serve every row. Wall times are medians (hyperfine) and vary with the load;
# instruction counts (callgrind) do not, so they are the regression guard.
# Needs from run.sh: $bin, $work, await_port. BENCH_CLIENT_RUNS (default 50): hyperfine runs per command;
# BENCH_STREAM (default 100000): messages per streaming run.

client_serve_pid=
client_mosquitto_pid=

stop_client_servers() {
    for pid in $client_serve_pid $client_mosquitto_pid; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    client_serve_pid=
    client_mosquitto_pid=
}

# A conclave-serve with alice (this run's key) registered as admin, and a mosquitto; exports what the tools read.
start_client_servers() {
    local port mqtt_port
    port=$("$bin/serve-bench" free-port)
    "$bin/conclave-serve" --ephemeral --bind "127.0.0.1:$port" --admin alice --idle-timeout 3600 -q \
        2>"$work/client-serve.log" &
    client_serve_pid=$!
    mqtt_port=$("$bin/serve-bench" free-port)
    printf '%s\n' "listener $mqtt_port 127.0.0.1" "allow_anonymous true" "persistence false" "log_dest stderr" \
        "log_type error" >"$work/client-mosquitto.conf"
    mosquitto -c "$work/client-mosquitto.conf" 2>"$work/client-mosquitto.log" &
    client_mosquitto_pid=$!
    await_port "$port"
    await_port "$mqtt_port"
    export CONCLAVE_CONFIG_DIR="$work/client-config" CONCLAVE_URL="ws://127.0.0.1:$port"
    mqtt=(-h 127.0.0.1 -p "$mqtt_port")
    "$bin/conclave-keygen" -q >/dev/null
    "$bin/conclave-connect" -q --register alice/bench -E </dev/null >/dev/null
}

# Creates the public channel $1 (every streaming run has a fresh one, so that its history is that run's alone).
create_channel() {
    printf '{"type":"admin","op":"create_channel","name":"%s","visibility":"public"}\n' "$1" |
        "$bin/conclave-send" -q --json >/dev/null
}

# Instructions executed by one run of "$@" (callgrind). The binary is copied without its debug information, which
# valgrind 3.19 cannot read for Swift 6 (DWARF 5).
instructions() {
    local program=$1
    shift
    if [[ $program == "$bin"/* ]]; then
        strip -g -o "$work/callgrind-program" "$program"
        program="$work/callgrind-program"
    fi
    valgrind --tool=callgrind --callgrind-out-file=/dev/null --log-file="$work/callgrind.log" \
        "$program" "$@" >/dev/null 2>&1 </dev/null || true
    sed -n 's/.*Collected : //p' "$work/callgrind.log"
}

# The value of the arithmetic expression $1.
calc() { awk "BEGIN { printf \"%.9f\", $1 }"; }

# Median wall ms, mean CPU ms (user + system) of each command given; one JSON per call in $work/hyperfine.json.
hyperfine_medians() {
    hyperfine -N --style none --warmup 5 --runs "${BENCH_CLIENT_RUNS:-50}" --export-json "$work/hyperfine.json" \
        "$@" >/dev/null 2>&1
    jq -r '.results[] | "\(.median * 1000) \((.user + .system) * 1000)"' "$work/hyperfine.json"
}

client_version_rows() {
    echo
    echo "| --version (fresh process) | median wall ms | CPU ms | instructions |"
    echo "|---|---:|---:|---:|"
    local tool wall cpu
    local commands=()
    for tool in conclave-keygen conclave-connect conclave-send conclave-recv conclave-serve; do
        commands+=("$bin/$tool --version")
    done
    commands+=("/bin/true")  # the floor: a process that does nothing
    local index=0
    while read -r wall cpu; do
        read -r -a command <<<"${commands[$index]}"
        printf '| %s | %.2f | %.2f | %s |\n' "${commands[$index]#"$bin/"}" "$wall" "$cpu" \
            "$(instructions "${command[@]}")"
        index=$((index + 1))
    done < <(hyperfine_medians "${commands[@]}")
}

client_one_shot_rows() {
    echo
    echo "| one-shot post (dial, handshake, join, post, ack, exit) | median wall ms | CPU ms | instructions |"
    echo "|---|---:|---:|---:|"
    create_channel ops
    local conclave mosquitto
    { read -r -a conclave; read -r -a mosquitto; } < <(hyperfine_medians "$bin/conclave-send ops x" \
        "mosquitto_pub -q 1 ${mqtt[*]} -t ops -m x")
    printf '| conclave-send ops x | %.2f | %.2f | %s |\n' "${conclave[@]}" "$(instructions "$bin/conclave-send" ops x)"
    printf '| mosquitto_pub -q 1 -t ops -m x | %.2f | %.2f | %s |\n' "${mosquitto[@]}" \
        "$(instructions /usr/bin/mosquitto_pub -q 1 "${mqtt[@]}" -t ops -m x)"
    printf '| ratio conclave / mosquitto | %.2f | %.2f | |\n' \
        "$(calc "${conclave[0]} / ${mosquitto[0]}")" "$(calc "${conclave[1]} / ${mosquitto[1]}")"
}

# One streaming run: a receiver started first, then the sender with the lines of file $2; $1 is conclave, mqtt0 or
# mqtt1 (the publisher's QoS). Prints: sender wall s, sender CPU s, seconds from the sender's start until the
# receiver had every message (or "incomplete" when some never came within 60 s), receiver CPU s, messages received.
stream_run() {
    local kind=$1 file=$2 count channel start end
    count=$(wc -l <"$file")
    channel="stream$RANDOM"
    local receiver_command
    case $kind in
    conclave)
        create_channel "$channel"
        # --since replays what was posted before the join, so the race with the sender loses nothing.
        receiver_command=("$bin/conclave-recv" -q -C "$count" --since 1h "$channel")
        ;;
    mqtt*) receiver_command=(mosquitto_sub "${mqtt[@]}" -t "$channel" -C "$count") ;;
    esac
    # The receiver's output is counted, not kept: a pipe to wc costs it what /dev/null would.
    { /usr/bin/time -f '%U %S' -o "$work/receiver.time" timeout 60 "${receiver_command[@]}" | wc -l \
        >"$work/received"; } &
    local receiver=$!
    sleep 1
    start=$(date +%s.%N)
    case $kind in
    conclave) /usr/bin/time -f '%e %U %S' -o "$work/sender.time" "$bin/conclave-send" -q "$channel" <"$file" ;;
    mqtt0 | mqtt1) /usr/bin/time -f '%e %U %S' -o "$work/sender.time" mosquitto_pub "${mqtt[@]}" \
        -q "${kind#mqtt}" -t "$channel" -l <"$file" ;;
    esac
    wait "$receiver" || true
    end=$(date +%s.%N)
    local received until=incomplete
    received=$(<"$work/received")
    [ "$received" -lt "$count" ] || until=$(calc "$end - $start")
    local wall user system receiver_user receiver_system
    read -r wall user system <"$work/sender.time"
    read -r receiver_user receiver_system < <(tail -1 "$work/receiver.time")
    local cpu receiver_cpu
    cpu=$(calc "$user + $system")
    receiver_cpu=$(calc "$receiver_user + $receiver_system")
    echo "$wall $cpu $until $receiver_cpu $received"
}

client_stream_rows() {
    local messages=${BENCH_STREAM:-100000}
    seq "$messages" >"$work/seq.txt"
    seq -f '%0100.0f' "$messages" >"$work/100B.txt"
    echo
    echo "| streaming $messages messages | sender | sent/s (sender wall) | sender CPU µs per message" \
        "| delivered/s (until the receiver had all) | receiver | receiver CPU µs per delivery |"
    echo "|---|---|---:|---:|---:|---|---:|"
    local payload kind sender receiver wall cpu until receiver_cpu received
    for payload in seq 100B; do
        for kind in conclave mqtt0 mqtt1; do
            case $kind in
            conclave) sender="conclave-send (acknowledged)" receiver="conclave-recv" ;;
            mqtt0) sender="mosquitto_pub -l -q 0" receiver="mosquitto_sub" ;;
            mqtt1) sender="mosquitto_pub -l -q 1" receiver="mosquitto_sub" ;;
            esac
            read -r wall cpu until receiver_cpu received < <(stream_run "$kind" "$work/$payload.txt")
            local delivered="incomplete: $received"
            [ "$until" = incomplete ] || delivered=$(printf '%.0f' "$(calc "$messages / $until")")
            printf '| %s | %s | %.0f | %.2f | %s | %s | %.2f |\n' "$payload" "$sender" \
                "$(calc "$messages / $wall")" "$(calc "$cpu * 1000000 / $messages")" "$delivered" "$receiver" \
                "$(calc "$receiver_cpu * 1000000 / $messages")"
        done
    done
}

client_rows() {
    start_client_servers
    echo
    echo "clients: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    client_version_rows
    client_one_shot_rows
    client_stream_rows
    echo
    echo "clients: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
    stop_client_servers
}
