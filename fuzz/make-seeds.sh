#!/usr/bin/env bash
# Regenerates the committed seed corpora, fuzz/corpus/<target>/, from testdata/ (the sample
# certificates and their pins), the README's policy document and updates signed with
# fuzz/update-key.pk8. The seeds are written by examples/make_seeds.rs in each target's input
# format (fuzz/src/cases.rs), so change the two together. The output is deterministic.
#
# Usage: fuzz/make-seeds.sh
# It replaces fuzz/corpus/ whole: keep what a fuzzing run found in another directory (see
# fuzz/README.md), and add an input worth keeping to make_seeds.rs or fuzz/regressions/.
set -euo pipefail
cd "$(dirname "$0")"

rm -rf corpus
cargo run --locked --quiet --release --example make_seeds -- corpus
du -sh corpus
