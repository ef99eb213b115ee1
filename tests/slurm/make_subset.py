"""Writes the first N training and M test samples of Fashion-MNIST's IDX files as new IDX files,
so that tests train on real data in a fraction of the time. Usage: make_subset.py SRC DST N M"""

import gzip
import struct
import sys
from pathlib import Path


def read_idx(path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        return f.read()


def subset(data, count):
    """IDX: magic (2 zero bytes, type, ndim), then ndim big-endian sizes, then the items."""
    ndim = data[3]
    dims = list(struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim]))
    item = 1
    for d in dims[1:]:
        item *= d
    count = min(count, dims[0])
    header = data[:4] + struct.pack(f">{ndim}I", count, *dims[1:])
    start = 4 + 4 * ndim
    return header + data[start:start + count * item]


def main(src, dst, train, test):
    src, dst = Path(src), Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    for prefix, count in (("train", int(train)), ("t10k", int(test))):
        for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
            name = f"{prefix}-{kind}"
            path = src / f"{name}.gz" if (src / f"{name}.gz").exists() else src / name
            (dst / name).write_bytes(subset(read_idx(path), count))


if __name__ == "__main__":
    main(*sys.argv[1:])
