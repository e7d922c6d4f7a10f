#!/usr/bin/env bash
# The README's first steps with the real tools: a local server, two registrations, a channel, a message
# sent by one user and received by the other.
# Usage: scripts/demo.sh BIN_DIR   (make demo passes `swift build --show-bin-path`)
set -euo pipefail
bin=${1:?usage: demo.sh BIN_DIR}
for tool in conclave-serve conclave-keygen conclave-connect conclave-send conclave-recv; do
    if [ ! -x "$bin/$tool" ]; then
        echo "demo: $bin/$tool is not built; run make build" >&2
        exit 1
    fi
done
export PATH="$bin:$PATH"

work=$(mktemp -d /tmp/conclave-demo-XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Waits up to 10 s for a line matching $2 in file $1.
await() {
    for _ in $(seq 100); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "demo: gave up waiting for $2 in $1:" >&2
    cat "$1" >&2
    return 1
}

echo "== conclave-serve --ephemeral --bind 127.0.0.1:0 (a throwaway server on a free port)"
conclave-serve --ephemeral --bind 127.0.0.1:0 2>"$work/serve.log" &
pids+=($!)
await "$work/serve.log" "listening on"
url=$(sed -n 's/^conclave-serve: listening on \(ws:\/\/[^ ]*\) .*/\1/p' "$work/serve.log")
echo "server listening on $url; health: $(curl -fsS "${url/ws:/http:}/health")"

for who in alice bob; do
    echo
    echo "== $who: conclave-keygen, then conclave-connect --register $who/laptop -E"
    export CONCLAVE_CONFIG_DIR="$work/$who"
    echo "public key: $(conclave-keygen -q)"
    conclave-connect -q -u "$url" --register "$who/laptop" --as demo -E </dev/null >/dev/null
    echo "registered; $CONCLAVE_CONFIG_DIR/config.toml:"
    sed 's/^/    /' "$CONCLAVE_CONFIG_DIR/config.toml"
done

echo
echo "== alice creates the public channel ops"
export CONCLAVE_CONFIG_DIR="$work/alice"
echo '{"type":"admin","op":"create_channel","name":"ops","visibility":"public","_id":"create"}' \
    | conclave-send -q --json | grep '"_id":"create"'

echo
echo "== bob follows ops (conclave-recv --since 1m --events ops, in the background)"
CONCLAVE_CONFIG_DIR="$work/bob" conclave-recv -q --as demo --since 1m --events ops >"$work/bob.out" &
pids+=($!)
await "$work/bob.out" '"type":"history_end"'

echo
echo "== alice posts a line to ops (conclave-send ops deploy finished)"
conclave-send ops deploy finished

echo
echo "== what bob received"
await "$work/bob.out" '"type":"channel_msg"'
grep '"type":"channel_msg"' "$work/bob.out"

echo
echo "demo: registration, channel creation, a post and its receipt all worked"
echo
echo "== GET /metrics (excerpt)"
curl -fsS "${url/ws:/http:}/metrics" | grep -E '^conclave_(sessions|deliveries_total)' || true
