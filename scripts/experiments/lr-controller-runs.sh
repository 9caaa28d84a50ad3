#!/usr/bin/env bash
# The LR Controller baseline (issue 10) at CPU scale: train the controller (PPO over short episodes) and MLR-SNet
# (meta-train) on reduced Fashion-MNIST / SmallCNN, compare with SGD-momentum + MultiStep on the same 6-epoch run,
# then transfer both learned schedules to reduced CIFAR-10 / ResNet-20 (the paper's Fig. 17-18 setting, scaled down).
# Usage: scripts/experiments/lr-controller-runs.sh OUT [SEED]     (run from the repository root, after a release build)
set -euo pipefail
OUT=${1:?usage: $0 OUT [SEED]}
SEED=${2:-0}
BIN=${BIN:-.build/release/mlrsnet}
CIFAR=${CIFAR:-../shared/data/cifar-10/cifar-10-jpeg75-binary.tar.gz}
mkdir -p "$OUT"
F="--dataset fashion-mnist --model smallcnn --optimizer sgdm --train-per-class 500 --validation-per-class 20 --test-per-class 200 --batch-size 64 --seed $SEED --progress none"
C="--dataset cifar10 --data $CIFAR --model resnet20 --augment --optimizer sgdm --train-per-class 300 --validation-per-class 20 --test-per-class 200 --batch-size 64 --seed $SEED --progress none"
# PPO: a few dozen Adam steps per episode (the defaults, 4 passes of one 64-sample minibatch at 3e-4, barely move the
# policy in 16 short episodes).
PPO="--ppo-lr 3e-3 --ppo-epochs 10 --ppo-minibatch 8"
run() { echo "+ $*"; /usr/bin/time -f "%e s wall" nice -n 10 "$@"; }

# 1. Controller training: 16 episodes x 3 epochs (each a fresh child, seed+episode), K = 10, LR from 0.1 in [1e-3, 0.5].
run $BIN lr-controller train $F --epochs 3 --episodes 16 --lr 0.1 --lr-range 0.001,0.5 $PPO --out "$OUT/fmnist-ctl-train" | tee "$OUT/fmnist-ctl-train.log"
run $BIN lr-controller train $F --epochs 3 --episodes 16 --lr 0.1 --lr-range 0.001,0.5 $PPO --action-space continuous --out "$OUT/fmnist-ctlc-train" | tee "$OUT/fmnist-ctlc-train.log"
# 2. Fashion-MNIST, the same 6-epoch run for every method.
run $BIN train $F --epochs 6 --lr 0.1 --schedule multistep --milestones 3,5 --out "$OUT/fmnist-multistep" | tee "$OUT/fmnist-multistep.log"
run $BIN meta-train $F --epochs 6 --out "$OUT/fmnist-mlrsnet" | tee "$OUT/fmnist-mlrsnet.log"
run $BIN train $F --epochs 6 --lr 0.1 --schedule lr-controller --scheduler "$OUT/fmnist-ctl-train/lr-controller.safetensors" --out "$OUT/fmnist-ctl" | tee "$OUT/fmnist-ctl.log"
run $BIN train $F --epochs 6 --lr 0.1 --schedule lr-controller --scheduler "$OUT/fmnist-ctlc-train/lr-controller.safetensors" --out "$OUT/fmnist-ctlc" | tee "$OUT/fmnist-ctlc.log"
run $BIN train $F --epochs 6 --lr 0.1 --schedule mlrsnet --scheduler "$OUT/fmnist-mlrsnet/mlrsnet.safetensors" --out "$OUT/fmnist-mlrsnet-frozen" | tee "$OUT/fmnist-mlrsnet-frozen.log"
# 3. Transfer to CIFAR-10 ResNet-20 (8 epochs): MultiStep baseline and both learned schedules, frozen.
run $BIN train $C --epochs 8 --lr 0.1 --schedule multistep --milestones 4,6 --out "$OUT/cifar-multistep" | tee "$OUT/cifar-multistep.log"
run $BIN train $C --epochs 8 --lr 0.1 --schedule mlrsnet --scheduler "$OUT/fmnist-mlrsnet/mlrsnet.safetensors" --out "$OUT/cifar-mlrsnet" | tee "$OUT/cifar-mlrsnet.log"
run $BIN train $C --epochs 8 --lr 0.1 --schedule lr-controller --scheduler "$OUT/fmnist-ctl-train/lr-controller.safetensors" --out "$OUT/cifar-ctl" | tee "$OUT/cifar-ctl.log"
run $BIN train $C --epochs 8 --lr 0.1 --schedule lr-controller --scheduler "$OUT/fmnist-ctlc-train/lr-controller.safetensors" --out "$OUT/cifar-ctlc" | tee "$OUT/cifar-ctlc.log"
# 4. The discrete policy with sampled actions (seeded) instead of its mode (Fashion-MNIST only, to stay in the CPU budget).
run $BIN train $F --epochs 6 --lr 0.1 --schedule lr-controller --controller-sample --scheduler "$OUT/fmnist-ctl-train/lr-controller.safetensors" --out "$OUT/fmnist-ctl-sample" | tee "$OUT/fmnist-ctl-sample.log"
