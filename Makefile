# conclave — build, test and demo. Every target installs what it needs first (Debian packages).
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := libsodium-dev libjansson-dev libssl-dev libsqlite3-dev sqlite3 libpq-dev postgresql pkg-config \
    mandoc jq curl
MAN_PAGES := $(wildcard man/*.[1-8])

.PHONY: all deps build release test unit test-deployment lint-man lint-man-style demo clean autobahn install uninstall fuzz \
    fuzz-smoke sanitize sanitize-address sanitize-thread

all: build

# Installs only what is missing, so a prepared machine does not touch the network.
deps:
	@missing=$$(for p in $(APT_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "make: installing$$(echo $$missing | sed 's/^/ /')"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

# The release build, which make bench measures and an install should copy. Package.swift sets how each executable
# links in release: the client tools fully static (the Swift runtime and libsodium, jansson, OpenSSL and glibc linked
# in), so a tool starts without loading and relocating some 20 shared libraries (bench/RESULTS.md "Clients" has the
# measurements); conclave-serve with the Swift runtime linked in but its C libraries shared, since it loads libpq
# with dlopen for --store (CPostgresLoader), which a static executable cannot.
RELEASE_FLAGS := -c release
release: deps
	$(SWIFT) build $(RELEASE_FLAGS)

lint-man: deps
	@if [ -n "$(MAN_PAGES)" ]; then mandoc -T lint -W warning $(MAN_PAGES) && echo "man pages: lint clean"; fi

# Style too: the pages go into a temporary manual tree put first on the search path, so that each .Xr to a sibling page
# resolves as if installed; pages of other packages (jq, ssh, sqlite3) are found only where those are installed.
lint-man-style: deps
	@tree=$$(mktemp -d) && trap 'rm -rf "$$tree"' EXIT && \
	for page in $(MAN_PAGES); do mkdir -p "$$tree/man$${page##*.}" && cp "$$page" "$$tree/man$${page##*.}/"; done && \
	makewhatis "$$tree" && MANPATH="$$tree:$$(manpath 2>/dev/null || echo /usr/share/man)" \
	    mandoc -T lint -W style $(MAN_PAGES) && echo "man pages: style lint clean"

# Unit tests and end-to-end tests that run the built binaries.
unit: build
	CONCLAVE_BIN_DIR="$$($(SWIFT) build --show-bin-path)" $(SWIFT) test

# The end-to-end tests against a deployment: three conclave-serve instances on one new PostgreSQL database each, every
# connection handed to the next instance by scripts/round-robin-proxy.py (issue 16: clients spread over instances see
# one server). Tests of what is one process's own (its log, files, restarts, /metrics) run only in `make unit`.
test-deployment: build
	$(SWIFT) build --build-tests
	CONCLAVE_TEST_DEPLOYMENT=3 CONCLAVE_BIN_DIR="$$($(SWIFT) build --show-bin-path)" \
	    $(SWIFT) test --skip-build --filter EndToEndTests

# The Autobahn gate, the fuzz smoke and the end-to-end tests against three instances (issue 16) run first so that
# the unit-test summary closes the output.
test: lint-man autobahn fuzz-smoke test-deployment unit

demo: build
	@./scripts/demo.sh "$$($(SWIFT) build --show-bin-path)"

# The Autobahn|Testsuite WebSocket gate: wstest (Python 2.7 via pyenv) in .venv-wstest/, reports in
# .build-autobahn/reports/{client,server}/; fails on any FAILED case or a crashed testee.
autobahn: build
	./scripts/autobahn.sh

# libFuzzer targets for every reader of untrusted bytes (fuzz/, scripts/fuzz.sh): each runs FUZZ_SECONDS; new
# coverage accumulates in .build-fuzz/corpus/, a crashing input lands in .build-fuzz/crashes/ (then: a regression
# test in Tests/). The targets are built by swiftc, not SwiftPM; scripts/fuzz.sh says why.
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 4
fuzz: deps
	./scripts/fuzz.sh run $(FUZZ_SECONDS)

# What `make test` runs: a few seconds of each target, enough to catch a regression on the seeds and near them
# (about 45 s for the eight here, after a first build of the instrumented modules of 2–5 min).
fuzz-smoke: deps
	./scripts/fuzz.sh run $(FUZZ_SMOKE_SECONDS)

# The test suite once under AddressSanitizer and once under ThreadSanitizer, each in its own scratch folder (a
# sanitizer build cannot share .build); the end-to-end tests run the tools built with the same sanitizer.
# LeakSanitizer is on, in the tests and in every tool they run (a leak turns an exit status 0 into 1); what it must
# ignore, outside our code, is in scripts/lsan.supp. ThreadSanitizer needs no exclusions: the tests that start
# processes pass under it too.
sanitize: sanitize-address sanitize-thread

sanitize-address: deps
	CONCLAVE_BIN_DIR="$$($(SWIFT) build --scratch-path .build-asan --sanitize=address --show-bin-path)" \
	    LSAN_OPTIONS="suppressions=$(CURDIR)/scripts/lsan.supp" \
	    $(SWIFT) test --scratch-path .build-asan --sanitize=address

sanitize-thread: deps
	CONCLAVE_BIN_DIR="$$($(SWIFT) build --scratch-path .build-tsan --sanitize=thread --show-bin-path)" \
	    $(SWIFT) test --scratch-path .build-tsan --sanitize=thread

clean:
	rm -rf .build

# Installation: `make install PREFIX=/usr/local` (and DESTDIR for staging). The binaries come from a release build,
# or from BIN_DIR when given (the install test uses the debug build it already has).
PREFIX ?= /usr/local
TOOLS := conclave-keygen conclave-connect conclave-send conclave-recv conclave-serve
BINDIR := $(DESTDIR)$(PREFIX)/bin
MANDIR := $(DESTDIR)$(PREFIX)/share/man
DATADIR := $(DESTDIR)$(PREFIX)/share
CLAUDE_CODE := share/conclave/claude-code
CLAUDE_CODE_FILES := $(CLAUDE_CODE)/settings.json $(CLAUDE_CODE)/SKILL.md $(CLAUDE_CODE)/conclave-hook

install:
	@set -euo pipefail; \
	bin="$(BIN_DIR)"; \
	if [ -z "$$bin" ]; then $(SWIFT) build $(RELEASE_FLAGS); bin=$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path); fi; \
	install -d "$(BINDIR)" "$(DATADIR)/conclave/claude-code" "$(DATADIR)/bash-completion/completions" \
	    "$(DATADIR)/zsh/site-functions" "$(DATADIR)/fish/vendor_completions.d"; \
	for tool in $(TOOLS); do \
	    install -m 755 "$$bin/$$tool" "$(BINDIR)/$$tool"; \
	    "$$bin/$$tool" --generate-completion-script bash >"$(DATADIR)/bash-completion/completions/$$tool"; \
	    "$$bin/$$tool" --generate-completion-script zsh >"$(DATADIR)/zsh/site-functions/_$$tool"; \
	    "$$bin/$$tool" --generate-completion-script fish >"$(DATADIR)/fish/vendor_completions.d/$$tool.fish"; \
	done; \
	for page in $(MAN_PAGES); do \
	    install -d "$(MANDIR)/man$${page##*.}" && install -m 644 "$$page" "$(MANDIR)/man$${page##*.}/"; \
	done; \
	install -m 644 $(CLAUDE_CODE)/settings.json $(CLAUDE_CODE)/SKILL.md "$(DATADIR)/conclave/claude-code/"; \
	install -m 755 $(CLAUDE_CODE)/conclave-hook "$(DATADIR)/conclave/claude-code/"; \
	install -m 755 $(CLAUDE_CODE)/conclave-hook "$(BINDIR)/conclave-hook"; \
	echo "installed into $(DESTDIR)$(PREFIX)"

uninstall:
	@for tool in $(TOOLS); do \
	    rm -f "$(BINDIR)/$$tool" "$(DATADIR)/bash-completion/completions/$$tool" \
	        "$(DATADIR)/zsh/site-functions/_$$tool" "$(DATADIR)/fish/vendor_completions.d/$$tool.fish"; \
	done; \
	for page in $(MAN_PAGES); do rm -f "$(MANDIR)/man$${page##*.}/$${page##*/}"; done; \
	rm -f "$(BINDIR)/conclave-hook"; \
	rm -rf "$(DATADIR)/conclave"; \
	echo "removed from $(DESTDIR)$(PREFIX)"

# Side-by-side broker benchmark (conclave-serve, mosquitto, nats-server on loopback): bench/RESULTS.md.
.PHONY: bench
bench: deps
	./bench/run.sh
