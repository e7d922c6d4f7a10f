#!/usr/bin/env bash
# The README's first command: a local server, a registration, a channel, a message sent and received.
set -euo pipefail
bin=${1:?usage: demo.sh BIN_DIR}
if [ ! -x "$bin/conclave-serve" ]; then
    echo "demo: needs conclave-serve, which is not built yet (see the open issues); nothing to show." >&2
    exit 0
fi
