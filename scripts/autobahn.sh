#!/usr/bin/env bash
# The Autobahn|Testsuite gate for the WebSocket layer on the conclave transport: the fuzzingserver
# against autobahn-echo-client and the fuzzingclient against autobahn-echo-server, over ws:// and then
# over wss:// (a smaller set). Reports go to .build-autobahn/reports/{client,server,client-tls,server-tls}/
# (index.json per side). Exits non-zero on any FAILED case or a testee crash. Everything runs on
# loopback; every background process is killed on exit.
#
# Cases: 1-7, 9 (its smaller cases plus the 16 MiB ones, the message cap; wstest's pure-Python UTF-8
# check makes the rest slow) and 10. AUTOBAHN_CASES='["1.*"]' narrows it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/.build-autobahn
reports=$work/reports
default_cases='["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*",
  "9.1.1", "9.1.2", "9.1.3", "9.1.4", "9.1.6", "9.2.1", "9.2.2", "9.2.3", "9.2.4", "9.2.6",
  "9.3.1", "9.3.2", "9.3.3", "9.4.1", "9.4.2", "9.4.3", "9.5.1", "9.5.2", "9.5.3",
  "9.6.1", "9.6.2", "9.6.3", "9.7.1", "9.7.2", "9.7.3", "9.8.1", "9.8.2", "9.8.3", "10.*"]'
cases=${AUTOBAHN_CASES:-$default_cases}
# The same over TLS (wss://, our OpenSSL code on both sides), on a smaller set.
default_tls_cases='["1.*", "2.*", "5.*", "6.1.*", "7.1.*", "9.1.1", "9.1.2", "9.2.1", "9.2.2", "9.2.3", "9.2.4",
  "9.4.1", "9.5.1"]'
tls_cases=${AUTOBAHN_TLS_CASES:-$default_tls_cases}

pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

./scripts/install-wstest.sh
wstest=$root/.venv-wstest/bin/wstest

echo "autobahn: building the testees (release)"
swift build -c release --product autobahn-echo-client >/dev/null
swift build -c release --product autobahn-echo-server >/dev/null
bin=$(swift build -c release --show-bin-path)

rm -rf "$reports"
mkdir -p "$reports"

# A free loopback port: 9001 unless taken (the fuzzingserver binds 0.0.0.0, so check all addresses).
free_port() {
    python3 - "$1" <<'PY'
import socket, sys
def free(port):
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", port)); return True
    except OSError:
        return False
    finally:
        s.close()
wanted = int(sys.argv[1])
if free(wanted):
    print(wanted)
else:
    s = socket.socket(); s.bind(("0.0.0.0", 0)); print(s.getsockname()[1]); s.close()
PY
}

wait_for_port() {
    local port=$1 pid=$2 tries=0
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || { echo "autobahn: process $pid exited before listening on $port" >&2; return 1; }
        tries=$((tries + 1))
        [ "$tries" -lt 100 ] || { echo "autobahn: nothing listens on 127.0.0.1:$port after 20 s" >&2; return 1; }
        sleep 0.2
    done
}

crashes=()

# The fuzzingserver (wstest) against autobahn-echo-client. $1: report name; $2: ws or wss; $3: cases.
run_client_side() {
    local name=$1 scheme=$2 side_cases=$3 port status=0 tls_spec=""
    port=$(free_port "${AUTOBAHN_PORT:-9001}")
    if [ "$scheme" = wss ]; then tls_spec="\"key\": \"$work/key.pem\", \"cert\": \"$work/cert.pem\","; fi
    mkdir -p "$reports/$name"
    cat >"$work/fuzzingserver-$name.json" <<JSON
{"url": "$scheme://127.0.0.1:$port", $tls_spec "outdir": "$reports/$name", "cases": $side_cases,
 "exclude-cases": [], "exclude-agent-cases": {}}
JSON
    echo "autobahn: $name (fuzzingserver on $scheme://127.0.0.1:$port)"
    (cd "$work" && exec "$wstest" -m fuzzingserver -u 0 -s "$work/fuzzingserver-$name.json" \
        >"$work/fuzzingserver-$name.log" 2>&1) &
    local wstest_pid=$!
    pids+=("$wstest_pid")
    wait_for_port "$port" "$wstest_pid"
    CONCLAVE_CA_FILE=$work/cert.pem timeout 240 "$bin/autobahn-echo-client" --url "$scheme://127.0.0.1:$port" \
        --agent conclave >"$work/client-$name.log" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        crashes+=("autobahn-echo-client ($name) exited with status $status (see $work/client-$name.log)")
    fi
    kill "$wstest_pid" 2>/dev/null || true
    wait "$wstest_pid" 2>/dev/null || true
}

# The fuzzingclient (wstest) against autobahn-echo-server. $1: report name; $2: ws or wss; $3: cases.
run_server_side() {
    local name=$1 scheme=$2 side_cases=$3 status=0 server_pid address tls_flags=()
    if [ "$scheme" = wss ]; then tls_flags=(--tls-cert "$work/cert.pem" --tls-key "$work/key.pem"); fi
    mkdir -p "$reports/$name"
    "$bin/autobahn-echo-server" --bind 127.0.0.1:0 "${tls_flags[@]}" \
        >"$work/server-$name.out" 2>"$work/server-$name.log" &
    server_pid=$!
    pids+=("$server_pid")
    for _ in $(seq 100); do
        grep -q '^listening on ' "$work/server-$name.out" 2>/dev/null && break
        sleep 0.1
    done
    address=$(sed -n 's/^listening on //p' "$work/server-$name.out")
    [ -n "$address" ] || { echo "autobahn: autobahn-echo-server ($name) did not start" >&2; exit 1; }
    cat >"$work/fuzzingclient-$name.json" <<JSON
{"outdir": "$reports/$name", "servers": [{"agent": "conclave", "url": "$scheme://$address"}],
 "cases": $side_cases, "exclude-cases": [], "exclude-agent-cases": {}}
JSON
    echo "autobahn: $name (autobahn-echo-server on $scheme://$address)"
    (cd "$work" && timeout 240 "$wstest" -m fuzzingclient -s "$work/fuzzingclient-$name.json" \
        >"$work/fuzzingclient-$name.log" 2>&1) || status=$?
    if [ "$status" -ne 0 ]; then
        crashes+=("wstest fuzzingclient ($name) exited with status $status (see $work/fuzzingclient-$name.log)")
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        crashes+=("autobahn-echo-server ($name) died during the run (see $work/server-$name.log)")
    fi
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
}

# A throwaway self-signed certificate for the TLS passes; the client trusts it through CONCLAVE_CA_FILE.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj '/CN=conclave autobahn' \
    -addext 'subjectAltName=IP:127.0.0.1' -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1

run_client_side client ws "$cases"
run_server_side server ws "$cases"
run_client_side client-tls wss "$tls_cases"
run_server_side server-tls wss "$tls_cases"

# --- summary ---------------------------------------------------------------------------------------
summary_status=0
python3 - "$reports" <<'PY' || summary_status=$?
import json, os, sys
reports = sys.argv[1]
kinds = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"]
failed = False
print("%-10s %5s %6s %11s %14s %14s %7s" % ("side", "cases", "OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"))
for side in ("client", "server", "client-tls", "server-tls"):
    path = os.path.join(reports, side, "index.json")
    if not os.path.exists(path):
        print("%-10s no report (%s missing)" % (side, path))
        failed = True
        continue
    with open(path) as f:
        index = json.load(f)
    results = index.get("conclave", {})
    counts = dict.fromkeys(kinds, 0)
    bad = []
    for case, result in sorted(results.items()):
        behavior = result.get("behavior", "FAILED")
        counts[behavior] = counts.get(behavior, 0) + 1
        if behavior == "FAILED":
            bad.append(case)
    print("%-10s %5d %6d %11d %14d %14d %7d" % (side, len(results), counts["OK"], counts["NON-STRICT"],
          counts["INFORMATIONAL"], counts["UNIMPLEMENTED"], counts["FAILED"]))
    if not results:
        failed = True
    if bad:
        failed = True
        print("           FAILED: " + " ".join(bad))
sys.exit(1 if failed else 0)
PY
for crash in "${crashes[@]}"; do
    echo "autobahn: $crash" >&2
done
if [ "$summary_status" -ne 0 ] || [ "${#crashes[@]}" -ne 0 ]; then
    echo "autobahn: FAILED (reports in $reports)" >&2
    exit 1
fi
echo "autobahn: passed (reports in $reports)"
