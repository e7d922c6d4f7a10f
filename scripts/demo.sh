#!/usr/bin/env bash
# The README's first steps: a local server, a registration, a channel, a message sent and received.
# Usage: scripts/demo.sh BIN_DIR   (make demo passes `swift build --show-bin-path`)
set -euo pipefail
bin=${1:?usage: demo.sh BIN_DIR}
for tool in conclave-serve serve-demo-client; do
    if [ ! -x "$bin/$tool" ]; then
        echo "demo: $bin/$tool is not built; run make build" >&2
        exit 1
    fi
done

work=$(mktemp -d /tmp/conclave-demo-XXXXXX)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "== conclave-serve --ephemeral --bind 127.0.0.1:0 (a throwaway server on a free port)"
"$bin/conclave-serve" --ephemeral --bind 127.0.0.1:0 2>"$work/serve.log" &
server_pid=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's/^conclave-serve: listening on ws:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$work/serve.log")
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$port" ]; then
    echo "demo: the server did not start:" >&2
    cat "$work/serve.log" >&2
    exit 1
fi
url="ws://127.0.0.1:$port"
echo "server listening on $url"
echo "health: $(curl -fsS "http://127.0.0.1:$port/health" 2>/dev/null || echo unavailable)"

echo
echo "== conclave-keygen --config-dir $work/alice (alice's machine key)"
alice_key=()
if "$bin/conclave-keygen" --config-dir "$work/alice" >"$work/keygen.out" 2>&1 && [ -s "$work/alice/key" ]; then
    echo "alice's public key: $(cat "$work/keygen.out")"
    alice_key=("$work/alice/key")
else
    echo "conclave-keygen made no key file here (not built in full yet); the demo client makes alice a random key"
fi

echo
echo "== a frame-level client (serve-demo-client; conclave-connect/send/recv are not built yet)"
"$bin/serve-demo-client" "$url" "${alice_key[@]}"

echo
echo "== what the server logged"
cat "$work/serve.log"
echo
echo "== GET /metrics (excerpt)"
curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null | grep -E '^conclave_(sessions|deliveries_total|frames_in_total)' || true
