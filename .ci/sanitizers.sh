#!/usr/bin/env bash
# Sanitizer runs, on a fresh Debian 12 machine (see ../shared/TOOLCHAIN.md):
#   1. AddressSanitizer (with LeakSanitizer) over the Rust test suite;
#   2. Miri over the C API's pointer tests (src/ffi/pointer_tests.rs);
#   3. ThreadSanitizer (std rebuilt with it) over the concurrency tests.
# Exits non-zero on any sanitizer report or failing test. Each step's log is kept under
# target/sanitizers/; the wall time of each step is printed at the end.
#
# Measured on a 2-core machine, from a cold target directory: ASan about 6 min (3 of them
# building), Miri about 4 min (setup 45 s, build 2 min, run 70 s), TSan about 2.5 min (nearly
# all of it rebuilding std). Warm runs take a fraction of that.
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-unknown-linux-gnu
logs=target/sanitizers
mkdir -p "$logs"
timings=()

step() { printf '\n=== %s\n' "$*"; }

# Runs a step with its output teed into $logs/$1.log, and records it as failed on a non-zero
# exit or on any sanitizer report in the log (a report from a process whose exit status was
# not checked must not pass). Every step runs; the script fails at the end if any failed.
failed=()
run_step() {
    local name=$1
    shift
    local started=$SECONDS status=0
    step "$name"
    "$@" 2>&1 | tee "$logs/$name.log" || status=$?
    timings+=("$(printf '%-6s %4d s' "$name" $((SECONDS - started)))")
    if grep -E -q "$reports" "$logs/$name.log"; then
        echo "$name: sanitizer report in $logs/$name.log" >&2
        status=1
    fi
    ((status == 0)) || failed+=("$name")
}
reports='ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer'
reports+='|Undefined Behavior|memory leaked' # Miri's

# The nightly toolchain needs miri and rust-src (-Zbuild-std, Miri's sysroot). TOOLCHAIN.md
# lists them as present; install them if this machine lacks them.
missing=()
installed=$(rustup component list --toolchain nightly --installed)
for component in miri rust-src; do
    grep -q "^$component" <<<"$installed" || missing+=("$component")
done
if ((${#missing[@]})); then
    step "installing nightly components ${missing[*]}"
    rustup component add --toolchain nightly "${missing[@]}"
fi

# 1. AddressSanitizer. Every test target except those that compile and run C, Objective-C or
#    Java programs: the library those link is built without sanitizer flags on purpose
#    (tests/support/static_lib.rs), the programs are built with gcc's own ASan and UBSan, and
#    `cargo test` already runs them; here they would only add a second build of the library
#    (for install.rs, a second release build behind `make install`).
#    Skipped by name, tests that assert wall time and mean nothing when instrumented:
#    - limits.rs `*_in_bounded_time`: the largest inputs, timed (the other limits tests run
#      the same code on smaller inputs, with their bounds scaled by CERTPIN_TEST_TIME_SCALE);
#    - policy_persistence.rs: a kill must land mid-write, which depends on the write's speed;
#    - verdict_cache.rs: a speed ratio between cold and warm verifications.
foreign_programs=(c_clients c_examples jni_client objc_wrapper cpp install)
test_targets=()
for file in tests/*.rs; do
    name=$(basename "$file" .rs)
    if [[ " ${foreign_programs[*]} " != *" $name "* ]]; then
        test_targets+=(--test "$name")
    fi
done
asan() {
    RUSTFLAGS="-Zsanitizer=address" RUSTDOCFLAGS="-Zsanitizer=address" \
        CERTPIN_TEST_TIME_SCALE=10 \
        cargo +nightly test --locked --target "$target" --target-dir target/asan \
        --lib --bins "${test_targets[@]}" --no-fail-fast -- \
        --skip in_bounded_time \
        --skip a_killed_writer_never_leaves_a_torn_file \
        --skip a_warm_verification_is_much_faster_than_a_cold_one
}
run_step asan asan

# 2. Miri: undefined behaviour, out-of-bounds access and leaks in the pointer handling of the
#    C API. Tests that reach ring's C code are ignored under Miri (cfg_attr(miri, ignore)).
miri() {
    cargo +nightly miri setup && cargo +nightly miri test --locked --lib ffi::pointer_tests
}
run_step miri miri

# 3. ThreadSanitizer: std must be built with it (-Zbuild-std). ring's C code is not
#    instrumented; it keeps no shared state (its CPU feature detection is done in Rust, with
#    atomics), so no report can be missed or invented there.
tsan_targets=()
for name in stress concurrency; do
    if [[ -f tests/$name.rs ]]; then
        tsan_targets+=(--test "$name")
    fi
done
tsan() {
    RUSTFLAGS="-Zsanitizer=thread" RUSTDOCFLAGS="-Zsanitizer=thread" \
        TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
        cargo +nightly test --locked -Zbuild-std --target "$target" --target-dir target/tsan \
        "${tsan_targets[@]}"
}
run_step tsan tsan

step "wall time per step"
printf '%s\n' "${timings[@]}"
if ((${#failed[@]})); then
    echo "sanitizers: failed: ${failed[*]} (logs in $logs/)" >&2
    exit 1
fi
echo "sanitizers: all clean"
