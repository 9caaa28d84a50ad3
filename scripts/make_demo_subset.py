"""Builds the embedded demo data set Data/fashion-mnist-sample/ from the official Fashion-MNIST files.

Selection: the first 500 training images of each class (5,000) and the first 100 test images of each
class (1,000), in their original order, written as gzipped IDX files with the official names.
Source: Debian's `dataset-fashion-mnist` package (/usr/share/datasets/fashion-mnist/), MIT licence.
Run: python3 scripts/make_demo_subset.py [SOURCE_DIR]
"""
import gzip
import os
import struct
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
DST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Data", "fashion-mnist-sample")


def read_idx(path):
    data = gzip.open(path).read()
    rank = data[3]
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return dims, data[4 + 4 * rank:]


def subset(split, per_class):
    (n, rows, cols), pixels = read_idx(os.path.join(SRC, f"{split}-images-idx3-ubyte.gz"))
    (nl,), labels = read_idx(os.path.join(SRC, f"{split}-labels-idx1-ubyte.gz"))
    assert n == nl
    taken, keep = [0] * 10, []
    for i, lab in enumerate(labels):
        if taken[lab] < per_class:
            taken[lab] += 1
            keep.append(i)
    size = rows * cols
    img = b"".join(pixels[i * size:(i + 1) * size] for i in keep)
    lab = bytes(labels[i] for i in keep)
    os.makedirs(DST, exist_ok=True)
    # mtime=0 keeps the gzip bytes reproducible.
    with gzip.GzipFile(os.path.join(DST, f"{split}-images-idx3-ubyte.gz"), "wb", mtime=0) as f:
        f.write(struct.pack(">IIII", 0x803, len(keep), rows, cols) + img)
    with gzip.GzipFile(os.path.join(DST, f"{split}-labels-idx1-ubyte.gz"), "wb", mtime=0) as f:
        f.write(struct.pack(">II", 0x801, len(keep)) + lab)
    print(split, len(keep), "images")


subset("train", 500)
subset("t10k", 100)
