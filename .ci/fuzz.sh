#!/usr/bin/env bash
# Fuzzing smoke run (see fuzz/README.md). Builds every fuzz target in fuzz/, replays the
# reproducers kept in fuzz/regressions/<target>/, then runs each target for
# SECONDS_PER_TARGET seconds (default 20) on a scratch copy of its committed seed corpus, so
# that the run never grows the repository's corpus. Fails if any target crashes, and unless
# the targets it ran are exactly the targets that exist: every fuzz/fuzz_targets/*.rs, each
# with its [[bin]] entry in fuzz/Cargo.toml (none run, or one missed, is a failure).
#
# With AddressSanitizer it needs the nightly toolchain ($CERTPIN_NIGHTLY, default `nightly`).
# Without it: under CI=true (as .ci/run sets) the run fails; elsewhere the targets run with
# no sanitizer and the result line says so.
#
# Usage: .ci/fuzz.sh [SECONDS_PER_TARGET]
#
# Crash inputs are left in fuzz/artifacts/<target>/ (ignored by git); reproduce one with
#   cargo +nightly fuzz run <target> fuzz/artifacts/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2; }
step() { printf '\n=== %s\n' "$*"; }

if ! cargo fuzz --version >/dev/null 2>&1; then
    step "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

# The targets that exist: the files in fuzz/fuzz_targets/, each with its [[bin]] entry (a file
# without one is never built; an entry without a file does not build).
mapfile -t target_files < <(find fuzz/fuzz_targets -maxdepth 1 -name '*.rs' -printf '%f\n' |
    sed 's/\.rs$//' | LC_ALL=C sort)
mapfile -t target_bins < <(cargo metadata --manifest-path fuzz/Cargo.toml --no-deps \
    --format-version 1 | python3 -c '
import json, os, sys
for package in json.load(sys.stdin)["packages"]:
    for target in package["targets"]:
        if "bin" in target["kind"]:
            print(target["name"])
            if os.path.basename(target["src_path"]) != target["name"] + ".rs":
                print(target["src_path"], "(a [[bin]] whose file has another name)")
' | LC_ALL=C sort)
if ((${#target_files[@]} == 0)); then
    echo "fuzz: no targets in fuzz/fuzz_targets/" >&2
    exit 1
fi
if [[ "${target_files[*]}" != "${target_bins[*]}" ]]; then
    echo "fuzz: fuzz/fuzz_targets/*.rs and the [[bin]] entries of fuzz/Cargo.toml differ:" >&2
    diff <(printf '%s\n' "${target_files[@]}") <(printf '%s\n' "${target_bins[@]}") |
        sed -n 's/^< /  file without [[bin]]: /p; s/^> /  [[bin]] without file: /p' >&2
    exit 1
fi

# With nightly, cargo-fuzz builds with AddressSanitizer, linking rustc's own sanitizer
# runtime, and libfuzzer-sys compiles libFuzzer with the system C++ compiler: no clang
# needed. Without nightly: no sanitizer, on stable, which CI does not accept.
nightly="${CERTPIN_NIGHTLY:-nightly}"
if rustup run "$nightly" rustc --version >/dev/null 2>&1; then
    fuzz=(cargo "+$nightly" fuzz)
    sanitizer=()
    with="with AddressSanitizer"
elif [[ "${CI:-}" == true ]]; then
    echo "fuzz: FAILED: no $nightly toolchain, so no AddressSanitizer; CI does not fuzz" \
        "without it. Install it: rustup toolchain install $nightly" >&2
    exit 1
else
    fuzz=(cargo fuzz)
    sanitizer=(--sanitizer=none)
    with="WITHOUT AddressSanitizer (no $nightly toolchain: rustup toolchain install $nightly)"
    echo "fuzz: no $nightly toolchain: fuzzing WITHOUT AddressSanitizer" >&2
fi
# Overflow checks and debug assertions in the library as well.
build_flags=("${sanitizer[@]}" --debug-assertions)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

build() { "${fuzz[@]}" build "${build_flags[@]}" >"$work/build.log" 2>&1; }
step "building the fuzz targets (${fuzz[*]} build ${build_flags[*]})"
if ! build; then
    # Only if this machine's toolchain turns out to need them: clang's sanitizer and
    # libFuzzer runtimes (see shared/TOOLCHAIN.md).
    missing=()
    for pkg in clang libclang-rt-14-dev; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        tail -n 30 "$work/build.log"
        step "the build failed; installing ${missing[*]} and trying again"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    build || { cat "$work/build.log"; exit 1; }
fi
tail -n 1 "$work/build.log"

dict_for() {
    case "$1" in
        policy_document | signed_update) echo fuzz/dicts/policy.dict ;;
        verify_chain | explain | store_add) echo fuzz/dicts/hosts.dict ;;
    esac
}

# What cargo-fuzz will build and run must be the targets that exist.
mapfile -t listed < <("${fuzz[@]}" list | LC_ALL=C sort)
if [[ "${listed[*]}" != "${target_files[*]}" ]]; then
    echo "fuzz: \`${fuzz[*]} list\` prints (${listed[*]}), the targets are (${target_files[*]})" >&2
    exit 1
fi

failed=()
ran=()
for target in "${listed[@]}"; do
    args=(-rss_limit_mb=2048 -timeout=60)
    dict="$(dict_for "$target")"
    [[ -n "$dict" ]] && args+=("-dict=$dict")

    regressions=(fuzz/regressions/"$target"/*)
    if [[ -e "${regressions[0]}" ]]; then
        step "$target: replaying ${#regressions[@]} reproducers"
        if ! "${fuzz[@]}" run "${build_flags[@]}" "$target" "${regressions[@]}" -- "${args[@]}" \
            >"$work/$target-regressions.log" 2>&1; then
            grep -v '^INFO:\|^Running:\|^Executed' "$work/$target-regressions.log" | tail -n 40
            failed+=("$target (a reproducer in fuzz/regressions/$target crashes again)")
        fi
    fi

    step "$target: fuzzing for ${seconds}s"
    mkdir -p "$work/corpus/$target"
    cp fuzz/corpus/"$target"/* "$work/corpus/$target/"
    if "${fuzz[@]}" run "${build_flags[@]}" "$target" "$work/corpus/$target" -- "${args[@]}" \
        -max_total_time="$seconds" -print_final_stats=1 >"$work/$target.log" 2>&1; then
        grep -E '^#[0-9]+[[:space:]]+DONE' "$work/$target.log" | tail -n 1 || true
        grep -E '^stat::number_of_executed_units' "$work/$target.log" || true
    else
        # The panic message, the backtrace and libFuzzer's summary; cut the start-up noise.
        grep -v '^INFO:\|^#[0-9]' "$work/$target.log" | tail -n 80
        failed+=("$target (input in fuzz/artifacts/$target/)")
    fi
    ran+=("$target")
done

# The targets run are the targets that exist: none skipped, none run twice.
mapfile -t ran < <(printf '%s\n' "${ran[@]}" | LC_ALL=C sort)
if [[ "${ran[*]}" != "${target_files[*]}" ]]; then
    failed+=("the run covered (${ran[*]}), the targets are (${target_files[*]})")
fi

if ((${#failed[@]})); then
    step "FAILED"
    printf '  %s\n' "${failed[@]}"
    exit 1
fi
step "all ${#ran[@]} targets (${ran[*]}) ran ${seconds}s each without a crash, $with"
