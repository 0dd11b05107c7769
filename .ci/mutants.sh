#!/usr/bin/env bash
# Mutation testing of what a change touched (README: "Mutation testing"). Runs cargo-mutants
# over the lines of the library's src/ that differ from BASE, with the library's Rust tests
# (the unit tests and the tests/*.rs that need no foreign compiler or program), and fails on
# any missed mutant that .ci/mutants-harmless does not list with its reason.
#
# BASE is $CERTPIN_MUTANTS_BASE, or else the first parent of HEAD: on a clean checkout of
# main that is what the newest commit or merge brought in. A change with more mutants than
# $CERTPIN_MUTANTS_MAX (default 20, about 10 minutes on 2 cores) is not skipped: one shard of
# it, chosen by HEAD's hash, is run, and the result line says which and how to run the rest.
#
# Usage: .ci/mutants.sh            # what HEAD changed
#        CERTPIN_MUTANTS_BASE=main .ci/mutants.sh
#
# The run is made in a copy of the tracked files under target/mutants/ (cargo-mutants'
# --in-place there), sharing this checkout's target directory, so the working tree is never
# mutated and the registry dependencies are not rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
step() { printf '\n=== %s\n' "$*"; }

max="${CERTPIN_MUTANTS_MAX:-20}"
[[ "$max" =~ ^[1-9][0-9]*$ ]] || { echo "mutants: CERTPIN_MUTANTS_MAX must be a positive number" >&2; exit 2; }

# The tests a mutant is run against: everything Rust-only; the foreign programs' tests (C,
# C++, Objective-C, Java, the install) and the slow stress run are left to the full suite.
tests=(concurrency documented_limits hostile_chains limits policy_documents policy_persistence
    policy_reports policy_rules policy_tofu rustls_verifier store_input strict_profile updates
    verdict_cache verify_hosts verify_paths warm_path_allocations)
cargo_args=(-C --all-features -C --lib)
for t in "${tests[@]}"; do
    [[ -f "tests/$t.rs" ]] || { echo "mutants: tests/$t.rs is gone; update the list in $0" >&2; exit 1; }
    cargo_args+=(-C "--test=$t")
done

if [[ -z "${CERTPIN_MUTANTS_BASE:-}" && "$(git rev-parse --is-shallow-repository)" == true ]]; then
    git fetch -q --deepen=1 origin 2>/dev/null || true # a shallow clone: fetch HEAD's parent
fi
if [[ -n "${CERTPIN_MUTANTS_BASE:-}" ]]; then
    base="$CERTPIN_MUTANTS_BASE"
elif git rev-parse -q --verify 'HEAD^' >/dev/null; then
    base='HEAD^'
elif [[ "$(git rev-parse --is-shallow-repository)" == true ]]; then
    echo "mutants: HEAD's parent is not in this shallow clone; fetch it or set CERTPIN_MUTANTS_BASE" >&2
    exit 1
else
    base="$(git hash-object -t tree /dev/null)" # the root commit: everything is new
fi
git rev-parse -q --verify "$base^{tree}" >/dev/null || { echo "mutants: no such base: $base" >&2; exit 1; }

work="$root/target/mutants"
rm -rf "$work"
mkdir -p "$work/tree"
git diff --no-ext-diff "$base" -- src/ >"$work/change.diff"
if [[ ! -s "$work/change.diff" ]]; then
    echo "mutants: src/ is unchanged since $(git rev-parse --short "$base" 2>/dev/null || echo "$base"): nothing to mutate"
    exit 0
fi

if ! cargo mutants --version >/dev/null 2>&1; then
    step "installing cargo-mutants"
    cargo install cargo-mutants --locked --version '^27'
fi

git ls-files -z | xargs -0 cp --parents -t "$work/tree"
cd "$work/tree"
# Test modules are not mutated: a wrong change there is not a wrong change to the library.
select=(--in-diff "$work/change.diff" -e 'src/ffi/*_tests.rs')
mapfile -t listed < <(cargo mutants --list "${select[@]}")
count=${#listed[@]}
shard=()
if ((count == 0)); then
    echo "mutants: the change to src/ has no mutable code (comments, tests or declarations only)"
    exit 0
elif ((count > max)); then
    shards=$(((count + max - 1) / max))
    k=$((16#$(git -C "$root" rev-parse HEAD | cut -c1-8) % shards))
    shard=(--shard "$k/$shards")
    echo "mutants: $count mutants in the change, over the budget of $max: running shard $k/$shards"
    echo "         (all of them: cd target/mutants/tree && cargo mutants --in-place ${select[*]} ...)"
else
    echo "mutants: $count mutants in the change"
fi

step "cargo mutants: ${#tests[@]} test files and the unit tests"
export CARGO_TARGET_DIR="$root/target"
status=0
cargo mutants --in-place "${select[@]}" "${shard[@]}" --timeout 180 -o "$work" \
    "${cargo_args[@]}" || status=$?
# 0: all caught; 2: some missed; 3: some timed out (a hang the tests noticed counts as caught).
case $status in
0 | 2 | 3) ;;
*)
    echo "mutants: cargo-mutants failed (exit $status; 4 is a failing unmutated baseline)" >&2
    exit 1
    ;;
esac

out="$work/mutants.out"
missed=()
if [[ -s "$out/missed.txt" ]]; then
    # .ci/mutants-harmless holds "file: description" lines (no line:column, which move as the
    # code does), each followed by "# reason".
    while IFS= read -r line; do
        key="$(sed -E 's/^([^:]+):[0-9]+:[0-9]+: /\1: /' <<<"$line")"
        if grep -qxF "$key" <(sed -E 's/[[:space:]]*#.*$//' "$root/.ci/mutants-harmless"); then
            echo "mutants: listed as harmless: $line"
        else
            missed+=("$line")
        fi
    done <"$out/missed.txt"
fi
caught=$(wc -l <"$out/caught.txt" 2>/dev/null || echo 0)
timeouts=$(wc -l <"$out/timeout.txt" 2>/dev/null || echo 0)
unviable=$(wc -l <"$out/unviable.txt" 2>/dev/null || echo 0)
echo "mutants: caught $caught, timed out $timeouts, unviable $unviable, missed ${#missed[@]} not listed as harmless"
if ((${#missed[@]} > 0)); then
    echo "mutants: no test fails on these wrong changes; add a test, or list each in .ci/mutants-harmless with its reason:" >&2
    printf '  %s\n' "${missed[@]}" >&2
    exit 1
fi
