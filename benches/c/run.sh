#!/usr/bin/env bash
# Builds the release library, then builds and runs benches/c/openssl_compare.c on the sample
# chains in testdata/: certpin's cold and warm verification against OpenSSL doing the same
# job itself, the bare signature cost, and one- vs two-thread throughput. Prints one table.
#
# Usage: bash benches/c/run.sh [cold_iterations warm_iterations]   (default 2000 200000)
# Needs gcc and libssl-dev (OpenSSL 3). Run it on a quiet machine: the figures are medians,
# but a loaded machine still moves them (the load average is printed with them).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"

cargo build --release --lib --quiet
out="$target/bench-c"
mkdir -p "$out"
# The .a by full path, so the .so beside it is not picked.
gcc -O2 -Wall -Wextra -Werror -I include benches/c/openssl_compare.c \
    "$target/release/libcertpin.a" -lssl -lcrypto -lpthread -ldl -lm \
    -o "$out/openssl_compare"

echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src/ has uncommitted changes)'); $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$out/openssl_compare" testdata "$@"
