#!/usr/bin/env bash
# The main job on the bundled sample data: build certpin, compile examples-c/verify_chain.c
# against the static library, and check three chains for api.example.com:
#   (a) the genuine chain, pinned on its intermediate (plus a backup pin)  -> PIN_OK
#   (b) a MITM chain from a proxy root the device trusts                   -> PIN_ERR_PIN_MISMATCH
#   (c) the same MITM chain with the genuine intermediate appended         -> PIN_ERR_PIN_MISMATCH
# (b) and (c) are the attacks pinning exists to stop: their failure is the expected result.
# Exits non-zero if any verdict differs from the expected one.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet

# Native libraries the static library needs. `cargo rustc --release --lib --crate-type staticlib
# -- --print native-static-libs` prints "-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc": gcc adds
# libgcc_s and libc itself, and glibc 2.34+ keeps librt and libutil inside libc.
native_libs=(-lpthread -ldl -lm)

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
bin="$workdir/verify_chain"
# The .a by full path, so that the libcertpin.so beside it is not picked instead.
gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude examples-c/verify_chain.c \
    "$PWD/target/release/libcertpin.a" "${native_libs[@]}" -o "$bin"

samples=testdata
pin_of() { awk -v name="$1" '$1 == name { print $2 }' "$samples/pins.txt"; }
host=api.example.com
# The key the app pins: the intermediate CA's. The backup pin stands for a spare key kept
# offline (here the sample EC root's), so that the app survives a rotation of the first.
pins=(--pin "$host=$(pin_of intermediate-ca)" --pin "$host=$(pin_of ec-root-ca)")
at=(--at 1798761600) # 2027-01-01T00:00:00Z, inside the samples' validity

failures=0
# scenario TITLE EXPECTED_VERDICT ARGS...: runs verify_chain and checks its verdict and exit code.
scenario() {
    local title=$1 expected=$2
    shift 2
    local expected_status=1 status=0 output
    [[ $expected == PIN_OK ]] && expected_status=0
    printf '\n=== %s\n' "$title"
    printf '$ verify_chain %s\n' "$*"
    output=$("$bin" "$@") || status=$?
    printf '%s\n' "$output"
    if [[ ${output%%$'\n'*} == "verdict: $expected" && $status == "$expected_status" ]]; then
        printf -- '--> as expected: %s (exit %s)\n' "$expected" "$status"
    else
        printf -- '--> UNEXPECTED: wanted %s (exit %s), got "%s" (exit %s)\n' \
            "$expected" "$expected_status" "${output%%$'\n'*}" "$status"
        failures=$((failures + 1))
    fi
}

scenario "(a) genuine chain, sample root as anchor, intermediate + backup pin" PIN_OK \
    --anchor "$samples/root-ca.der" "${pins[@]}" "${at[@]}" \
    "$host" "$samples/leaf.der" "$samples/intermediate-ca.der"

scenario "(b) MITM chain, device also trusts the proxy's root (expected to fail)" \
    PIN_ERR_PIN_MISMATCH \
    --anchor "$samples/root-ca.der" --anchor "$samples/rogue-ca.der" "${pins[@]}" "${at[@]}" \
    "$host" "$samples/mitm-leaf.der"

scenario "(c) MITM chain with the genuine intermediate appended (expected to fail)" \
    PIN_ERR_PIN_MISMATCH \
    --anchor "$samples/root-ca.der" --anchor "$samples/rogue-ca.der" "${pins[@]}" "${at[@]}" \
    "$host" "$samples/mitm-leaf.der" "$samples/intermediate-ca.der"

echo
if ((failures)); then
    echo "run.sh: $failures scenario(s) gave an unexpected verdict" >&2
    exit 1
fi
echo "run.sh: all 3 scenarios gave the expected verdict"
