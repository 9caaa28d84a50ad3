#!/usr/bin/env bash
# The MLR-SNet real runs at this machine's scale (2 CPU cores): meta-training on Fashion-MNIST and on a
# CIFAR-10 (JPEG q75) subset against Fixed and MultiStep with the same budget and seed, then plug-and-play
# transfer of the CIFAR-10 artifact to Fashion-MNIST and to another epoch count.
# Usage: scripts/experiments/mlrsnet-cpu-runs.sh OUT_DIR [SEED]   (about 35 minutes)
set -euo pipefail
OUT=${1:?usage: $0 OUT_DIR [SEED]}
SEED=${2:-0}
BIN=.build/release/mlrsnet
swift build -c release --product mlrsnet
mkdir -p "$OUT"
FM=(--dataset fashion-mnist --data /usr/share/datasets/fashion-mnist --model smallcnn --optimizer sgdm --batch-size 128
    --epochs 6 --validation-per-class 100 --seed "$SEED" --progress none)
CIFAR=(--dataset cifar10 --data ../shared/data/cifar-10/cifar-10-jpeg75-binary.tar.gz --model resnet20 --augment
    --train-per-class 2000 --optimizer sgdm --batch-size 128 --validation-per-class 100 --seed "$SEED" --progress none)
CF=("${CIFAR[@]}" --epochs 10)
CF5=("${CIFAR[@]}" --epochs 5)   # ½× the meta-training epochs

run() { local name=$1; shift; echo "== $name"; /usr/bin/time -f "$name wall %e s" "$BIN" "$@" --out "$OUT/$name" 2>&1 | grep -v '^epoch [0-9]*/' | tail -14; }

run fmnist-fixed       train "${FM[@]}" --schedule fixed --lr 0.1
run fmnist-multistep   train "${FM[@]}" --schedule multistep --lr 0.1 --milestones 3,5
run fmnist-mlrsnet     meta-train "${FM[@]}" --first-lr 0.1 --meta-interval 20
run cifar-fixed        train "${CF[@]}" --schedule fixed --lr 0.1
run cifar-multistep    train "${CF[@]}" --schedule multistep --lr 0.1 --milestones 5,8
run cifar-mlrsnet      meta-train "${CF[@]}" --first-lr 0.1 --meta-interval 8
# Transfer the CIFAR-10 artifact (θ frozen, zero state).
run transfer-cifar-to-fmnist  train "${FM[@]}" --schedule mlrsnet --scheduler "$OUT/cifar-mlrsnet/mlrsnet.safetensors"
run transfer-cifar-half-epochs train "${CF5[@]}" --schedule mlrsnet --scheduler "$OUT/cifar-mlrsnet/mlrsnet.safetensors"
run cifar-multistep-half-epochs train "${CF5[@]}" --schedule multistep --lr 0.1 --milestones 3,4
