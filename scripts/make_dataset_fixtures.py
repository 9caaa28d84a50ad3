#!/usr/bin/env python3
"""Writes the small CIFAR / tar / Penn Treebank fixtures of Tests/DatasetsTests/Fixtures (run from the repo root).

Pixel bytes follow a formula the Swift tests recompute independently:
    pixel(record, channel, y, x) = (53 * record + 101 * channel + 7 * y + 3 * x + seed) % 256
where `record` counts across a split's files and `seed` is 0 for CIFAR-10 train, 1 for CIFAR-10 test,
2 for CIFAR-100 train and 3 for CIFAR-100 test. Distinct channel/row/column steps make a plane-order or
transposition bug visible. Everything is deterministic (fixed gzip mtime, fixed tar metadata).
"""
import gzip
import io
import json
import os
import tarfile

OUT = "Tests/DatasetsTests/Fixtures"

CIFAR10_TRAIN_LABELS = [[3, 0, 9, 5, 1], [7], [2], [4], [6]]   # data_batch_1 .. 5
CIFAR10_TEST_LABELS = [8, 0]
CIFAR100_TRAIN = [(4, 30), (19, 99), (0, 0), (11, 57)]        # (coarse, fine)
CIFAR100_TEST = [(7, 12), (15, 88)]


def pixels(record, seed):
    return bytes((53 * record + 101 * c + 7 * y + 3 * x + seed) % 256
                 for c in range(3) for y in range(32) for x in range(32))


def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as f:
        f.write(data)
    return buf.getvalue()


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def tar_gz(path, members, fmt=tarfile.GNU_FORMAT):
    """members: list of (name, bytes or None for a directory)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            info.uname = info.gname = "root"
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                t.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o644
                t.addfile(info, io.BytesIO(data))
    write(path, gz(buf.getvalue()))


def cifar():
    # CIFAR-10: record r of a split = label byte + pixels(r, seed).
    files = {}
    r = 0
    for k, labels in enumerate(CIFAR10_TRAIN_LABELS, start=1):
        data = b""
        for label in labels:
            data += bytes([label]) + pixels(r, 0)
            r += 1
        files[f"data_batch_{k}.bin"] = data
    files["test_batch.bin"] = b"".join(bytes([l]) + pixels(i, 1) for i, l in enumerate(CIFAR10_TEST_LABELS))
    meta = "\n".join(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]) + "\n"
    d = f"{OUT}/cifar10/cifar-10-batches-bin"
    # Directory form: batch 1 raw, the rest gzipped (the loader reads both) to keep the fixtures small.
    write(f"{d}/data_batch_1.bin", files["data_batch_1.bin"])
    for name, data in files.items():
        if name != "data_batch_1.bin":
            write(f"{d}/{name}.gz", gz(data))
    members = [("cifar-10-batches-bin", None), ("cifar-10-batches-bin/batches.meta.txt", meta.encode())]
    members += [(f"cifar-10-batches-bin/{n}", files[n]) for n in
                ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin",
                 "test_batch.bin"]]
    tar_gz(f"{OUT}/cifar10-tiny.tar.gz", members)

    # CIFAR-100: coarse byte, fine byte, pixels.
    train = b"".join(bytes([c, f]) + pixels(i, 2) for i, (c, f) in enumerate(CIFAR100_TRAIN))
    test = b"".join(bytes([c, f]) + pixels(i, 3) for i, (c, f) in enumerate(CIFAR100_TEST))
    d = f"{OUT}/cifar100/cifar-100-binary"
    write(f"{d}/train.bin.gz", gz(train))
    write(f"{d}/test.bin.gz", gz(test))
    tar_gz(f"{OUT}/cifar100-tiny.tar.gz",
           [("cifar-100-binary", None), ("cifar-100-binary/train.bin", train), ("cifar-100-binary/test.bin", test)],
           fmt=tarfile.PAX_FORMAT)


def tar_formats():
    """The same three members in ustar, GNU and pax archives; the long name needs each format's extension."""
    long_dir = "a-directory-with-a-rather-long-name-" + "x" * 40
    long_name = long_dir + "/and-a-file-whose-full-path-is-longer-than-one-hundred-bytes.txt"
    members = [("top", None), ("top/hello.txt", b"hello tar\n"), (long_name, bytes(range(256)) * 3)]
    for fmt, tag in [(tarfile.USTAR_FORMAT, "ustar"), (tarfile.GNU_FORMAT, "gnu"), (tarfile.PAX_FORMAT, "pax")]:
        tar_gz(f"{OUT}/tar-{tag}.tar.gz", members, fmt)


PTB_TRAIN = """ the cat sat on the mat
 the dog ate the cat
 a <unk> sat
"""
PTB_VALID = """ the dog sat
 a cat ate the <unk>
"""
PTB_TEST = """ the mat ate a dog
"""
# Python str.split()/universal-newline corner cases: tabs, \\r\\n, lone \\r, blank and whitespace-only lines,
# Unicode spaces (NBSP, ideographic space, U+2028), \\x1c, non-ASCII words, no final newline.
TRICKY = "  alpha\tbeta  \r\ngamma\rdelta\u00a0epsilon\n\n   \nζῆτα\u3000eta\u2028theta\x1ciota\x0bkappa\x0clambda\u200bmu café"


def ptb():
    d = f"{OUT}/ptb-tiny"
    write(f"{d}/ptb.train.txt", PTB_TRAIN.encode())
    write(f"{d}/ptb.valid.txt", PTB_VALID.encode())
    write(f"{d}/ptb.test.txt.gz", gz(PTB_TEST.encode()))
    write(f"{OUT}/tokens-tricky.txt", TRICKY.encode("utf8"))
    tokens = []
    with open(f"{OUT}/tokens-tricky.txt", "r", encoding="utf8") as f:   # exactly data.py's reading loop
        for line in f:
            tokens += line.split() + ["<eos>"]
    with open(f"{OUT}/tokens-tricky.expected.json", "w") as f:
        json.dump(tokens, f, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    cifar()
    tar_formats()
    ptb()
