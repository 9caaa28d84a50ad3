#!/usr/bin/env bash
# Builds a libFuzzer binary over the dependency-free parsers and runs it for SECONDS (default 120) per target.
# Usage: scripts/fuzz/run.sh [SECONDS] [TARGETS...]   (targets: safetensors gzip tar ptb; default all four)
# Crashing inputs are written to /work/runs/fuzz/<target>/crash-*; add them to Tests/ReliabilityTests/RegressionCorpusTests.swift.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-120}; shift || true
targets=${*:-safetensors gzip tar ptb}
out=${FUZZ_OUT:-/tmp/mlrsnet-fuzz}
mkdir -p "$out"
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name FuzzParsers \
    Sources/SafeTensors/SafeTensors.swift Sources/Datasets/Gzip.swift Sources/Datasets/Tar.swift \
    Sources/Datasets/DatasetError.swift Sources/Datasets/FileBytes.swift Sources/Datasets/PennTreebank.swift \
    scripts/fuzz/Harness.swift -o "$out/fuzz-parsers"
# Seeds: a real gzip, tar, text and safetensors file.
mkdir -p "$out"/{safetensors,gzip,tar,ptb}/corpus
cp Sources/LearnedSchedule/Pretrained/cifar10-resnet20-cpu.safetensors "$out/safetensors/corpus/seed"
cp Data/fashion-mnist-sample/t10k-labels-idx1-ubyte.gz "$out/gzip/corpus/seed"
tar cf "$out/tar/corpus/seed" -C Data/fashion-mnist-sample README.md
head -c 4000 Data/fashion-mnist-sample/README.md > "$out/ptb/corpus/seed"
for t in $targets; do
    echo "== $t ($seconds s)"
    MLRSNET_FUZZ_TARGET=$t "$out/fuzz-parsers" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$out/$t/" "$out/$t/corpus" 2>&1 | tail -3
done
