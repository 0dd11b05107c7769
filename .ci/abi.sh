#!/usr/bin/env bash
# ABI check: the C ABI of this build against the baseline committed in abi/.
#
#   bash .ci/abi.sh            fails on a removed exported function, a changed signature, a
#                              changed layout of a struct that crosses the boundary, or a PIN_*
#                              constant removed or renumbered; additions pass.
#   bash .ci/abi.sh --update   rewrites the baseline from this build: only for a deliberate
#                              break, with a new major version (README: "ABI stability").
#
# The C ABI lives in two places, so there are two checks:
#  1. libabigail's abidiff on libcertpin.so: its exported functions and the types they take,
#     read from DWARF. The debug build has it (the types and exports are those of the release
#     build, which has no debug info); after `cargo test` it is already built.
#     abi/libcertpin.abi is abidw's record of the baseline;
#     abi/suppressions.ini keeps the opaque pin_store's contents out, and additions in.
#  2. The result codes and flags are #defines in include/certpin.h (pin_result is a uint32_t
#     typedef), which DWARF does not describe: abi/constants.txt records every PIN_* value.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
    --update) update=yes ;;
    "") update=no ;;
    *)
        echo "usage: $0 [--update]" >&2
        exit 2
        ;;
esac
step() { printf '\n=== %s\n' "$*"; }

if ! command -v abidw >/dev/null || ! command -v abidiff >/dev/null; then
    step "installing abigail-tools"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends abigail-tools >/dev/null
fi

# The debug build `cargo test` made (it builds the cdylib too): after it, nothing to build.
target="${CARGO_TARGET_DIR:-target}"
step "libcertpin.so with debug info (cargo build --lib)"
cargo build --locked --lib --quiet

current="$target/abi"
mkdir -p "$current"
abidw --no-corpus-path --no-comp-dir-path --no-show-locs --type-id-style hash \
    --suppressions abi/suppressions.ini --out-file "$current/libcertpin.abi" \
    "$target/debug/libcertpin.so"
grep -E '^#define PIN_[A-Z0-9_]+ ' include/certpin.h | awk '{ print $2, $3 }' | sort \
    >"$current/constants.txt"

if [[ $update == yes ]]; then
    cp "$current/libcertpin.abi" "$current/constants.txt" abi/
    step "baseline rewritten: commit abi/libcertpin.abi and abi/constants.txt"
    exit 0
fi

failed=()
step "abidiff: abi/libcertpin.abi (baseline) against this build"
# Exit status bits: 1 error, 2 usage, 4 ABI change, 8 incompatible change. Additions are
# suppressed (abi/suppressions.ini), so any other status is a break or an error.
status=0
abidiff --suppressions abi/suppressions.ini abi/libcertpin.abi "$current/libcertpin.abi" || status=$?
if ((status != 0)); then
    failed+=("abidiff (status $status): the exported functions or their types changed")
fi

step "PIN_* constants: abi/constants.txt (baseline) against include/certpin.h"
# A name missing or with another value breaks; a new name is an addition.
broken=$(awk 'NR == FNR { now[$1] = $2; next }
    !($1 in now) { print "  " $1 " " $2 ": removed" }
    ($1 in now) && now[$1] != $2 { print "  " $1 " " $2 ": now " now[$1] }' \
    "$current/constants.txt" abi/constants.txt)
added=$(awk 'NR == FNR { before[$1]; next } !($1 in before) { print "  " $0 }' \
    abi/constants.txt "$current/constants.txt")
[[ -n $added ]] && printf 'added (compatible):\n%s\n' "$added"
if [[ -n $broken ]]; then
    printf 'removed or renumbered:\n%s\n' "$broken"
    failed+=("PIN_* constants removed or renumbered")
fi

if ((${#failed[@]})); then
    step "ABI BREAK"
    printf '  %s\n' "${failed[@]}"
    echo "  A deliberate break needs a new major version, then: bash .ci/abi.sh --update" >&2
    exit 1
fi
step "ABI compatible with the baseline"
