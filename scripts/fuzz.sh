#!/usr/bin/env bash
# libFuzzer targets for the readers of untrusted bytes (issue 15 item 8). Everything goes to .build-fuzz/.
#
#   scripts/fuzz.sh build                   compile every target into .build-fuzz/bin/fuzz-NAME
#   scripts/fuzz.sh seeds                   regenerate the seed corpora in .build-fuzz/seeds/NAME/
#   scripts/fuzz.sh run SECONDS [NAME...]   build, seed, then fuzz each target (default: all) for SECONDS
#   scripts/fuzz.sh list                    the target names
#
# A run keeps what it learns in .build-fuzz/corpus/NAME/ (read back by the next run) and writes a crashing input
# to .build-fuzz/crashes/; replay one with `.build-fuzz/bin/fuzz-NAME FILE`, then make it a regression test.
#
# Why swiftc by hand rather than SwiftPM: the API under test is `package`, visible only to modules compiled with
# the same -package-name, and libFuzzer brings its own main(), so a target is neither an ordinary SwiftPM
# executable (its main would clash) nor a separate package (it could not see `package` API). So the library
# modules a target needs are compiled here, straight from Sources/, as static libraries with
# -sanitize=fuzzer,address (coverage and ASan) and -package-name conclave, and each entry point
# (fuzz/targets/NAME.swift, an @_cdecl("LLVMFuzzerTestOneInput") function) is linked against them. Module
# dependencies are listed below by hand and must follow Package.swift.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
out=$root/.build-fuzz
SWIFTC=${SWIFTC:-swiftc}
TARGETS=(frame websocket http-request http-response frame-json input-line toml key-file)

# -O as shipped (preconditions and overflow checks stay); line tables so a crash's stack names source lines.
common_flags=(
    -swift-version 6 -O -gline-tables-only -parse-as-library -package-name conclave -use-ld=lld
    -I "$out/modules" -I "$root/Sources/CSodium" -I "$root/Sources/CJansson"
)
instrument=(-sanitize=fuzzer,address)
# Whole-module for the entry points, so the generic code compiled with them (LineSplitter) is specialized.
target_flags=(-wmo)

log() { echo "fuzz: $*" >&2; }

# Rewritten only when the compiler or the flags change, so that editing this script does not rebuild everything.
flags_stamp=$out/modules/flags
target_flags_stamp=$out/bin/flags
record_flags() {
    mkdir -p "$out/modules" "$out/bin"
    local flags
    flags=$("$SWIFTC" --version 2>&1; echo "${common_flags[*]} ${instrument[*]}")
    [[ -e $flags_stamp && $(<"$flags_stamp") == "$flags" ]] || echo "$flags" >"$flags_stamp"
    flags="${target_flags[*]}"
    [[ -e $target_flags_stamp && $(<"$target_flags_stamp") == "$flags" ]] || echo "$flags" >"$target_flags_stamp"
}

# True when $1 is missing or older than anything under the other arguments.
stale() {
    local target=$1
    shift
    [[ ! -e $target ]] || [[ -n $(find "$@" -newer "$target" -print -quit) ]]
}

swift_files() { find "$@" -name '*.swift' | sort; }

# library NAME SOURCE_DIR [DEPENDENCY...]: .build-fuzz/modules/libNAME.a and its module, instrumented.
library() {
    local name=$1 sources=$2
    shift 2
    local archive=$out/modules/lib$name.a inputs=("$sources" "$flags_stamp") dependency
    for dependency in "$@"; do inputs+=("$out/modules/lib$dependency.a"); done
    stale "$archive" "${inputs[@]}" || return 0
    log "compiling $name"
    local files
    mapfile -t files < <(swift_files "$sources")
    "$SWIFTC" "${common_flags[@]}" "${instrument[@]}" -module-name "$name" -emit-library -static \
        -emit-module -emit-module-path "$out/modules/$name.swiftmodule" -o "$archive" "${files[@]}"
}

# The libraries (dependencies last, for the linker) and the module a target's entry point is compiled into.
target_libraries() {
    case $1 in
        frame | websocket | http-request | http-response | frame-json) echo ConclaveWire ;;
        key-file) echo ConclaveIdentity ConclavePOSIX ConclaveWire ;;
        # The entry joins ConclaveIdentity itself, to reach the internal ConfigDocument editor.
        toml) echo ConclavePOSIX ConclaveWire ;;
        input-line)
            echo ConclaveCLI ConclaveIdentity ConclavePOSIX ConclaveWire ;;
        *) log "unknown target $1 (scripts/fuzz.sh list)"; return 1 ;;
    esac
}

target_sources() {
    case $1 in
        toml) swift_files "$root/Sources/Common/Identity" ;;
        # Only the files under test: the rest of ConclaveClient would bring the whole transport and link.
        input-line) echo "$root"/Sources/Common/Client/{InputLine,LineSplitter}.swift ;;
    esac
    echo "$root/fuzz/FuzzSupport.swift" "$root/fuzz/targets/$1.swift"
}

target_module() {
    case $1 in
        toml) echo ConclaveIdentity ;;
        *) echo "Fuzz$(echo "$1" | sed -E 's/(^|-)([a-z])/\U\2/g')" ;;
    esac
}

build_target() {
    local name=$1 binary=$out/bin/fuzz-$1 libraries sources inputs=() library
    read -r -a libraries <<<"$(target_libraries "$name")"
    read -r -a sources <<<"$(target_sources "$name" | tr '\n' ' ')"
    inputs=("${sources[@]}" "$flags_stamp" "$target_flags_stamp")
    for library in "${libraries[@]}"; do inputs+=("$out/modules/lib$library.a"); done
    stale "$binary" "${inputs[@]}" || return 0
    log "linking fuzz-$name"
    "$SWIFTC" "${common_flags[@]}" "${instrument[@]}" "${target_flags[@]}" \
        -module-name "$(target_module "$name")" "${sources[@]}" \
        -L "$out/modules" "${libraries[@]/#/-l}" -lsodium -ljansson -o "$binary"
}

build() {
    record_flags
    library ConclavePOSIX "$root/Sources/Common/POSIX"
    library ConclaveWire "$root/Sources/Common/Wire"
    library ConclaveIdentity "$root/Sources/Common/Identity" ConclavePOSIX ConclaveWire
    library ConclaveCLI "$root/Sources/Common/CLI" ConclaveIdentity ConclavePOSIX ConclaveWire
    local name
    for name in "${TARGETS[@]}"; do build_target "$name"; done
}

# write_seeds MODE DIR PREFIX: one seed file per line of stdin; blank lines and lines starting with # skipped.
# MODE hex: the line is hex digits (spaces allowed); esc: \r \n \t \\ \xHH are expanded; text: taken as is.
write_seeds() {
    mkdir -p "$2"
    perl -e '
        my ($mode, $dir, $prefix) = @ARGV;
        my $count = 0;
        binmode STDOUT;
        while (my $line = <STDIN>) {
            chomp $line;
            next if $line =~ /^\s*(#|$)/;
            if ($mode eq "hex") { $line =~ s/\s+//g; $line = pack "H*", $line; }
            elsif ($mode eq "esc") {
                my %plain = (r => "\r", n => "\n", t => "\t", "\\" => "\\");
                $line =~ s/\\(x([0-9a-fA-F]{2})|[rnt\\])/defined $2 ? chr(hex $2) : $plain{$1}/ge;
            }
            open my $file, ">", sprintf("%s/%s-%03d", $dir, $prefix, ++$count) or die "$dir: $!";
            binmode $file;
            print $file $line;
            close $file;
        }
    ' "$@"
}

# WebSocket streams around each frame vector: masked as a client sends (for the server role) and plain as a
# server sends, followed by a ping and a close, so the seeds reach the data, control and close paths.
websocket_streams() {
    perl -ne '
        sub frame {
            my ($opcode, $payload, $mask) = @_;
            my $length = length $payload;
            my $maskBit = defined $mask ? 0x80 : 0;
            my $head = chr(0x80 | $opcode);
            if ($length < 126) { $head .= chr($maskBit | $length) }
            elsif ($length < 65536) { $head .= chr($maskBit | 126) . pack("n", $length) }
            else { $head .= chr($maskBit | 127) . pack("Q>", $length) }
            return $head . $payload unless defined $mask;
            return $head . $mask . ($payload ^ substr($mask x ($length / 4 + 1), 0, $length));
        }
        chomp;
        my $payload = pack "H*", $_;
        my $close = pack("n", 1000) . "bye";
        for my $mask ("\x37\xfa\x21\x3d", undef) {
            print unpack("H*", frame(2, $payload, $mask) . frame(9, "ping", $mask) . frame(8, $close, $mask)), "\n";
        }
    '
}

seeds() {
    local seeds=$out/seeds vectors=$root/Tests/Vectors/frames.json
    rm -rf "$seeds"
    mkdir -p "$seeds"
    jq -r '.[].hex' "$vectors" | write_seeds hex "$seeds/frame" vector
    write_seeds hex "$seeds/frame" sample <"$root/fuzz/seeds/frame.hex"
    jq -r '.[].hex' "$vectors" | websocket_streams | write_seeds hex "$seeds/websocket" vector
    write_seeds hex "$seeds/websocket" sample <"$root/fuzz/seeds/websocket.hex"
    write_seeds esc "$seeds/http-request" sample <"$root/fuzz/seeds/http-request.esc"
    write_seeds esc "$seeds/http-response" sample <"$root/fuzz/seeds/http-response.esc"
    jq -c '.[].frame' "$vectors" | write_seeds text "$seeds/frame-json" vector
    write_seeds text "$seeds/frame-json" sample <"$root/fuzz/seeds/frame-json.jsonl"
    # Input lines: each vector alone, then all of them (and the samples) as one stream.
    jq -c '.[].frame' "$vectors" | write_seeds text "$seeds/input-line" vector
    write_seeds text "$seeds/input-line" sample <"$root/fuzz/seeds/input-line.jsonl"
    { jq -c '.[].frame' "$vectors"; grep -v '^#' "$root/fuzz/seeds/input-line.jsonl"; } >"$seeds/input-line/stream"
    mkdir -p "$seeds/toml"
    cp "$root"/fuzz/seeds/toml/*.toml "$seeds/toml/"
    write_seeds esc "$seeds/key-file" sample <"$root/fuzz/seeds/key-file.esc"
    log "seeds: $(find "$seeds" -type f | wc -l) files in $seeds"
}

# run_target NAME SECONDS: fuzz, keeping new coverage in the corpus; fails on a crash, leak or timeout.
run_target() {
    local name=$1 seconds=$2
    mkdir -p "$out/corpus/$name" "$out/crashes" "$out/logs"
    local log_file=$out/logs/$name.log start=$SECONDS
    # The outer timeout bounds a fuzzer that hangs outside its own clock (loading a corpus, a stuck input).
    if timeout --kill-after=10 $((seconds + 120)) "$out/bin/fuzz-$name" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="$out/crashes/$name-" "$out/corpus/$name" "$out/seeds/$name" >"$log_file" 2>&1; then
        local runs
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log_file")
        log "$name: ${runs:-?} runs in $((SECONDS - start)) s, corpus $(find "$out/corpus/$name" -type f | wc -l)"
    else
        log "$name: FAILED after $((SECONDS - start)) s; log $log_file"
        grep -E 'ERROR|fuzz property|Fatal error|Test unit written|artifact' "$log_file" | head -20 >&2 || true
        return 1
    fi
}

command=${1:-}
case $command in
    build) build ;;
    seeds) seeds ;;
    list) printf '%s\n' "${TARGETS[@]}" ;;
    run)
        seconds=${2:?usage: scripts/fuzz.sh run SECONDS [NAME...]}
        shift 2
        names=("$@")
        [[ ${#names[@]} -gt 0 ]] || names=("${TARGETS[@]}")
        build
        seeds
        failed=()
        for name in "${names[@]}"; do run_target "$name" "$seconds" || failed+=("$name"); done
        if [[ ${#failed[@]} -gt 0 ]]; then
            log "crashes in: ${failed[*]} (inputs in $out/crashes/)"
            exit 1
        fi
        ;;
    *)
        echo "usage: scripts/fuzz.sh build | seeds | list | run SECONDS [NAME...]" >&2
        exit 64
        ;;
esac
