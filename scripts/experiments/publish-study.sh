#!/bin/bash
# Copy a finished study run into the repository's results/: the report, curves, plots and configuration (top-level
# files of RUN_DIR) and each MLR-SNet cell's meta-update log as meta-GROUP-METHOD-seedS.csv. Cells' checkpoints and
# step logs stay in RUN_DIR (curves-steps.csv already holds the step curves, thinned to ≤ 1000 rows per cell).
# Usage: scripts/experiments/publish-study.sh RUN_DIR results/STUDY/SCALE
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 RUN_DIR DEST" >&2; exit 64; }
run=$1; dest=$2
[ -f "$run/report.md" ] || { echo "$run has no report.md: run the study (or --report-only) first" >&2; exit 1; }
mkdir -p "$dest"
find "$run" -maxdepth 1 -type f \( -name '*.md' -o -name '*.csv' -o -name '*.svg' -o -name '*.json' \) -exec cp {} "$dest"/ \;
if [ -d "$run/cells" ]; then
  find "$run/cells" -name meta.csv | while read -r f; do
    rel=${f#"$run/cells/"}; rel=${rel%/meta.csv}            # GROUP/METHOD/seed-S
    IFS=/ read -r g m s <<< "$rel"
    cp "$f" "$dest/meta-$g-$m-${s/seed-/seed}.csv"
  done
fi
echo "published $(ls "$dest" | wc -l) files to $dest"
