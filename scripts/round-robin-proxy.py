#!/usr/bin/env python3
"""Round-robin TCP proxy for the end-to-end tests' deployment mode (CONCLAVE_TEST_DEPLOYMENT).

    round-robin-proxy.py PORT [PORT ...]

Listens on a free loopback port, says so on stderr ("listening on ws://127.0.0.1:PORT", the line the tests read a
server's port from) and hands each accepted connection to the next of the given loopback ports in turn. Bytes are
copied both ways; an end of file is passed on as a half-close, and a reset or an error on either side closes both.
Exits when its stdin ends, so that it never outlives the test process that started it.
"""
import itertools
import os
import socket
import sys
import threading


def copy(source, target):
    """Copies until source ends, then half-closes target; on an error shuts both down, which ends the other copy."""
    try:
        while data := source.recv(65536):
            target.sendall(data)
        target.shutdown(socket.SHUT_WR)
    except OSError:
        for end in (source, target):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def relay(client, port):
    try:
        upstream = socket.create_connection(("127.0.0.1", port), timeout=5)
        upstream.settimeout(None)
    except OSError:
        client.close()
        return
    for end in (client, upstream):
        end.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    back = threading.Thread(target=copy, args=(upstream, client), daemon=True)
    back.start()
    copy(client, upstream)
    back.join()
    client.close()
    upstream.close()


def exit_at_end_of_stdin():
    while sys.stdin.buffer.read(4096):
        pass
    os._exit(0)


def main():
    ports = itertools.cycle(int(argument) for argument in sys.argv[1:])
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    print(f"round-robin-proxy: listening on ws://127.0.0.1:{listener.getsockname()[1]}", file=sys.stderr, flush=True)
    threading.Thread(target=exit_at_end_of_stdin, daemon=True).start()
    while True:
        client, _ = listener.accept()
        threading.Thread(target=relay, args=(client, next(ports)), daemon=True).start()


if __name__ == "__main__":
    main()
