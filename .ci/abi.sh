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
#     build, which has no debug info); it is the build the C tests link, so after `cargo test`
#     this builds nothing. abi/libcertpin.abi is abidw's record of the baseline;
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

target="${CARGO_TARGET_DIR:-target}"
build_dir="$target/c-link" # tests/support/static_lib.rs builds here
step "libcertpin.so with debug info (cargo build --lib --target-dir $build_dir)"
env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_BUILD_TARGET \
    cargo build --locked --lib --quiet --target-dir "$build_dir"

current="$target/abi"
mkdir -p "$current"
abidw --no-corpus-path --no-comp-dir-path --no-show-locs --type-id-style hash \
    --suppressions abi/suppressions.ini --out-file "$current/libcertpin.abi" \
    "$build_dir/debug/libcertpin.so"
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
changed=$(comm -23 abi/constants.txt "$current/constants.txt")
added=$(comm -13 abi/constants.txt "$current/constants.txt")
[[ -n $added ]] && printf 'added (compatible):\n%s\n' "$added"
if [[ -n $changed ]]; then
    printf 'removed or renumbered (baseline value):\n%s\n' "$changed"
    failed+=("PIN_* constants removed or renumbered")
fi

if ((${#failed[@]})); then
    step "ABI BREAK"
    printf '  %s\n' "${failed[@]}"
    echo "  A deliberate break needs a new major version, then: bash .ci/abi.sh --update" >&2
    exit 1
fi
step "ABI compatible with the baseline"
