#!/usr/bin/env bash
# Builds the Objective-C wrapper and its test program with GNUstep against the release static
# library, then runs the program on the bundled sample certificates:
#   bash examples-objc/build.sh              # plain build
#   bash examples-objc/build.sh --sanitize   # with AddressSanitizer, LeakSanitizer and UBSan
# The program lands in target/objc/verify_objc. `cargo test --test objc_wrapper` runs the same
# checks (both builds) against the test build's library.
# Needs gobjc, libgnustep-base-dev and gnustep-make (`bash .ci/test` installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=()
case "${1:-}" in
    "") ;;
    --sanitize) sanitize=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all) ;;
    *) echo "usage: $0 [--sanitize]" >&2; exit 2 ;;
esac

command -v gnustep-config >/dev/null || {
    echo "$0: gnustep-config not found: install GNUstep with \`bash .ci/test\` or apt-get install --no-install-recommends gobjc libgnustep-base-dev gnustep-make" >&2
    exit 2
}

cargo build --release --quiet

out=target/objc
mkdir -p "$out"
# -MF /dev/null: the GNUstep flags ask for a dependency file. -Wno-expansion-to-defined:
# GNUstep's own headers trip it (OS_API_VERSION, GS_API_VERSION, GS_EXPOSE); nothing else is
# turned off. The .a by full path, so that the libcertpin.so beside it is not picked.
# shellcheck disable=SC2046 # gnustep-config prints flags meant to be split into words.
gcc $(gnustep-config --objc-flags) -MF /dev/null -Wall -Wextra -Werror -Wno-expansion-to-defined \
    "${sanitize[@]}" -Iinclude -Iexamples-objc \
    examples-objc/CPPinStore.m examples-objc/verify_main.m -o "$out/verify_objc" \
    "$PWD/target/release/libcertpin.a" -lpthread -ldl -lm $(gnustep-config --base-libs)

if ((${#sanitize[@]})); then
    # The ObjC runtime and GNUstep base keep their tables until exit: not our leaks.
    printf 'leak:libobjc.so\nleak:libgnustep-base.so\n' >"$out/lsan.supp"
    export LSAN_OPTIONS="suppressions=$PWD/$out/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS=print_stacktrace=1
fi
"$out/verify_objc" --testdata testdata
