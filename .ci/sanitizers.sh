#!/usr/bin/env bash
# Sanitizer runs, on a fresh Debian 12 machine (see ../shared/TOOLCHAIN.md):
#   1. AddressSanitizer (with LeakSanitizer) over the Rust test suite;
#   2. Miri over the C API's pointer tests (src/ffi/pointer_tests.rs);
#   3. ThreadSanitizer (std rebuilt with it) over the concurrency tests.
# Exits non-zero on any sanitizer report or failing test. Each step's log is kept under
# target/sanitizers/; the wall time of each step is printed at the end.
#
# Usage: .ci/sanitizers.sh [asan] [miri] [tsan]   (default: all three)
#
# A report from any process fails the run, not only from the test harness: a test that runs
# the `certpin` binary (cli/tests/cli.rs) captures its stderr and checks its exit code, and ASan's
# default exit code 1 is also the tool's "no" answer. So every sanitized process writes its
# reports to files (log_path) and exits with a code of its own (ASan 86, TSan 87), and any
# report file fails the step. Needs the nightly toolchain ($CERTPIN_NIGHTLY, default
# `nightly`) with miri and rust-src (added when missing); without nightly the run fails.
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
nightly="${CERTPIN_NIGHTLY:-nightly}"
steps=("$@")
((${#steps[@]})) || steps=(asan miri tsan)
for name in "${steps[@]}"; do
    [[ "$name" =~ ^(asan|miri|tsan)$ ]] || { echo "usage: $0 [asan] [miri] [tsan]" >&2; exit 2; }
done
wanted() { [[ " ${steps[*]} " == *" $1 "* ]]; }

step() { printf '\n=== %s\n' "$*"; }

# Runs a step with its output teed into $logs/$1.log, and records it as failed on a non-zero
# exit, on any sanitizer report in the log, or on any report file in $logs/$1-reports/ (where
# the step's log_path sends every process's reports: a report from a process whose exit
# status or stderr a test does not check must not pass). Every step runs; the script fails at
# the end if any failed.
failed=()
run_step() {
    local name=$1
    shift
    local started=$SECONDS status=0
    step "$name"
    rm -rf "$logs/$name-reports"
    mkdir -p "$logs/$name-reports"
    "$@" 2>&1 | tee "$logs/$name.log" || status=$?
    timings+=("$(printf '%-6s %4d s' "$name" $((SECONDS - started)))")
    if grep -E -q "$reports" "$logs/$name.log"; then
        echo "$name: sanitizer report in $logs/$name.log" >&2
        status=1
    fi
    local files=("$logs/$name-reports"/*)
    if [[ -e "${files[0]}" ]]; then
        for file in "${files[@]}"; do
            printf '\n--- %s\n' "$file"
            head -n 60 "$file"
        done
        echo "$name: ${#files[@]} sanitizer report file(s) in $logs/$name-reports/" >&2
        status=1
    fi
    ((status == 0)) || failed+=("$name")
}
reports='ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer'
reports+='|Undefined Behavior|memory leaked' # Miri's

# The sanitizers and Miri exist only on nightly: without it there is nothing to run, and a
# run that checks nothing must not pass.
if ! rustup run "$nightly" rustc --version >/dev/null 2>&1; then
    echo "sanitizers: FAILED: no $nightly toolchain. Install it:" \
        "rustup toolchain install $nightly --component miri rust-src" >&2
    exit 1
fi
# The nightly toolchain needs miri and rust-src (-Zbuild-std, Miri's sysroot). TOOLCHAIN.md
# says some fresh machines lack them; add them then.
missing=()
installed=$(rustup component list --toolchain "$nightly" --installed)
for component in miri rust-src; do
    grep -q "^$component" <<<"$installed" || missing+=("$component")
done
if ((${#missing[@]})); then
    step "installing $nightly components ${missing[*]}"
    rustup component add --toolchain "$nightly" "${missing[@]}" || {
        echo "sanitizers: FAILED: cannot add ${missing[*]} to $nightly; run:" \
            "rustup component add --toolchain $nightly ${missing[*]}" >&2
        exit 1
    }
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
foreign_programs=(c_clients c_examples c_tls_stacks jni_client okhttp_client objc_wrapper cpp install)
test_targets=()
for file in tests/*.rs cli/tests/*.rs; do
    name=$(basename "$file" .rs)
    if [[ " ${foreign_programs[*]} " != *" $name "* ]]; then
        test_targets+=(--test "$name")
    fi
done
#    Reports go to files, and a process with one exits 86: no exit code of the tool or the tests.
asan() {
    local options="log_path=$PWD/$logs/asan-reports/asan:exitcode=86"
    RUSTFLAGS="-Zsanitizer=address" RUSTDOCFLAGS="-Zsanitizer=address" \
        ASAN_OPTIONS="$options" LSAN_OPTIONS="$options" \
        CERTPIN_TEST_TIME_SCALE=10 \
        cargo "+$nightly" test --locked --all-features --target "$target" --target-dir target/asan \
        --lib --bins "${test_targets[@]}" --no-fail-fast -- \
        --skip in_bounded_time \
        --skip a_killed_writer_never_leaves_a_torn_file \
        --skip a_warm_verification_is_much_faster_than_a_cold_one
}
if wanted asan; then run_step asan asan; fi

# 2. Miri: undefined behaviour, out-of-bounds access and leaks in the pointer handling of the
#    C API. Tests that reach ring's C code are ignored under Miri (cfg_attr(miri, ignore)).
miri() {
    cargo "+$nightly" miri setup && cargo "+$nightly" miri test --locked --lib ffi::pointer_tests
}
if wanted miri; then run_step miri miri; fi

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
    local options="halt_on_error=1 second_deadlock_stack=1 exitcode=87"
    RUSTFLAGS="-Zsanitizer=thread" RUSTDOCFLAGS="-Zsanitizer=thread" \
        TSAN_OPTIONS="$options log_path=$PWD/$logs/tsan-reports/tsan" \
        cargo "+$nightly" test --locked -Zbuild-std --target "$target" --target-dir target/tsan \
        "${tsan_targets[@]}"
}
if wanted tsan; then run_step tsan tsan; fi

step "wall time per step"
printf '%s\n' "${timings[@]}"
if ((${#failed[@]})); then
    echo "sanitizers: failed: ${failed[*]} (logs in $logs/)" >&2
    exit 1
fi
echo "sanitizers: all clean"
