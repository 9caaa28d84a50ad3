#!/usr/bin/env bash
# Reduced-scale runs of the adaptive-LR baselines (issue 5). Usage: run.sh OUT [fmnist|ptb|all]
# Needs a release build (swift build -c release). Every run uses seed 0 (same initialisation and data order).
set -u
OUT=${1:?output directory}; WHAT=${2:-all}
M="nice -n 10 .build/release/mlrsnet train --progress none --seed 0"

if [[ $WHAT == fmnist || $WHAT == all ]]; then
  # Fashion-MNIST, SmallCNN: 500 train images/class (50/class held out for validation), first 500 test images/class,
  # 3 epochs, batch 128, weight decay 5e-4 (paper image settings otherwise).
  F="$M --dataset fashion-mnist --model smallcnn --train-per-class 500 --validation-per-class 50 --test-per-class 500 --epochs 3"
  G="1e-3,1e-4,1e-5,1e-6,1e-7"   # the paper's hyper-LR grid for images
  D=$OUT/fmnist
  $F --optimizer sgdm --lr 0.1 --schedule multistep --milestones 2 --out $D/sgdm-multistep
  $F --optimizer adam --lr 1e-3 --schedule fixed --out $D/adam
  $F --optimizer sgd --lr 0.1 --schedule hd --hyper-lr-grid $G --out $D/sgd-hd
  $F --optimizer nesterov --lr 0.1 --schedule hd --hyper-lr-grid $G --out $D/sgdn-hd
  $F --optimizer adam --lr 1e-3 --schedule hd --hyper-lr-grid $G --out $D/adam-hd
  $F --optimizer sgdm --schedule l4 --l4-alpha 0.15 --out $D/l4-mom
  $F --optimizer adam --schedule l4 --l4-alpha 0.15 --out $D/l4-adam
  $F --optimizer sgdm --lr 0.1 --schedule rtho --hyper-lr-grid $G --out $D/rtho-sgdm
fi

if [[ $WHAT == ptb || $WHAT == all ]]; then
  # PTB, 2-layer LSTM hidden 200 (untied, no dropout), first 30,000 training tokens, first 20,000 validation and test
  # tokens, batch 20, BPTT 35, clip 0.25, weight decay 5e-6, 1 epoch (paper: 512 hidden, tied, dropout 0.5, 150 epochs).
  P="$M --dataset ptb --model lstm --hidden 200 --layers 2 --train-tokens 30000 --eval-tokens 20000 --batch-size 20 --bptt 35 --clip 0.25 --weight-decay 5e-6 --epochs 1"
  D=$OUT/ptb
  $P --optimizer sgd --lr 20 --schedule plateau --out $D/sgd-plateau
  $P --optimizer adam --beta1 0 --lr 0.01 --schedule plateau --out $D/adam-plateau
  $P --optimizer sgd --lr 20 --schedule hd --hyper-lr-grid 1,0.5,0.1,0.05 --out $D/sgd-hd
  $P --optimizer adam --beta1 0 --schedule l4 --l4-alpha-grid 0.1,0.05,0.01,0.005 --out $D/l4-adam
  $P --optimizer sgd --lr 20 --schedule rtho --hyper-lr-grid 1,0.5,0.1,0.05 --out $D/rtho-sgd
fi

if [[ $WHAT == ptb-extra || $WHAT == all ]]; then
  # Below the paper's RTHO grid (its 1, 0.5, 0.1 blow up at this scale; see README).
  P="$M --dataset ptb --model lstm --hidden 200 --layers 2 --train-tokens 30000 --eval-tokens 20000 --batch-size 20 --bptt 35 --clip 0.25 --weight-decay 5e-6 --epochs 1"
  $P --optimizer sgd --lr 20 --schedule rtho --hyper-lr-grid 0.01,0.001 --out $OUT/ptb/rtho-sgd-below-grid
fi
