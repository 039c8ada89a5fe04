"""Writes the small dataset fixtures of test/test_datasets.cpp and test/python/test_datasets.py into
test/fixtures/datasets/ (or the folder given):

  py2/cifar-10-batches-py, py2/cifar-100-python  CIFAR python batches as Python 2's cPickle wrote them
                                                 (protocol 2, str as SHORT_BINSTRING/BINSTRING), assembled
                                                 opcode by opcode, since no Python 2 is at hand
  p2/..., p4/...                                 the same dicts written by Python 3's pickle, protocols 2 and 4
  arrays/*.npz, arrays/*.h5                      generic array files: uint8 N x 28 x 28 (x 1), float32 NCHW

Pixel j of image i is (i * 37 + j * 11 + (j // 1024) * 5) % 256; CIFAR-10 labels (3 i) % 10, CIFAR-100 fine
labels (37 i) % 100. The C++ test recomputes them.

  /usr/bin/python3 test/generate_dataset_fixtures.py [FOLDER]
"""

import pickle
import struct
import sys
from pathlib import Path

import h5py
import numpy as np

CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def pixels(first, count, size=3072):
    i = np.arange(first, first + count, dtype=np.int64)[:, None]
    j = np.arange(size, dtype=np.int64)[None, :]
    return ((i * 37 + j * 11 + (j // 1024) * 5) % 256).astype(np.uint8)


class Py2Pickler:
    """Protocol 2 as cPickle wrote it: every container and string memoised with BINPUT, str as
    SHORT_BINSTRING / BINSTRING, ints as BININT1 / BININT2 / BININT, APPENDS and SETITEMS in batches of 1000."""

    def __init__(self):
        self.out = bytearray(b"\x80\x02")
        self.memo = 0

    def put(self):
        self.memo += 1
        self.out += b"q" + bytes([self.memo]) if self.memo < 256 else b"r" + struct.pack("<I", self.memo)

    def string(self, s):
        s = s if isinstance(s, bytes) else s.encode("latin-1")
        self.out += (b"U" + bytes([len(s)]) if len(s) < 256 else b"T" + struct.pack("<i", len(s))) + s
        self.put()

    def integer(self, v):
        if 0 <= v < 256:
            self.out += b"K" + bytes([v])
        elif 0 <= v < 65536:
            self.out += b"M" + struct.pack("<H", v)
        else:
            self.out += b"J" + struct.pack("<i", v)

    def value(self, v):
        if isinstance(v, (bytes, str)):
            self.string(v)
        elif isinstance(v, bool):
            self.out += b"\x88" if v else b"\x89"
        elif isinstance(v, int):
            self.integer(v)
        elif v is None:
            self.out += b"N"
        elif isinstance(v, list):
            self.out += b"]"
            self.put()
            for start in range(0, len(v), 1000):
                chunk = v[start:start + 1000]
                if len(chunk) == 1:
                    self.value(chunk[0])
                    self.out += b"a"
                else:
                    self.out += b"("
                    for item in chunk:
                        self.value(item)
                    self.out += b"e"
        elif isinstance(v, np.ndarray):
            self.array(v)
        else:
            raise TypeError(type(v))

    def array(self, a):
        # numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), 'b'), then BUILD with
        # (1, shape, dtype, False, raw bytes); dtype is numpy.dtype('u1', 0, 1) BUILT with its state tuple.
        self.out += b"cnumpy.core.multiarray\n_reconstruct\n"
        self.put()
        self.out += b"cnumpy\nndarray\n"
        self.put()
        self.out += b"K\x00\x85"
        self.string(b"b")
        self.out += b"\x87R"
        self.put()
        self.out += b"(K\x01"
        for d in a.shape:
            self.integer(d)
        self.out += {1: b"\x85", 2: b"\x86", 3: b"\x87"}[a.ndim]
        self.out += b"cnumpy\ndtype\n"
        self.put()
        self.string(a.dtype.str[1:].encode())
        self.out += b"K\x00K\x01\x87R"
        self.put()
        self.out += b"(K\x03"
        self.string(a.dtype.str[0].encode())
        self.out += b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89"
        self.string(a.tobytes())
        self.out += b"tb"

    def dump(self, entries):
        self.out += b"}"
        self.put()
        self.out += b"("
        for k, v in entries:
            self.string(k)
            self.value(v)
        self.out += b"u."
        return bytes(self.out)


def batch(style, entries):
    if style == "py2":
        return Py2Pickler().dump(entries)
    # A Python 3 user re-saving a batch: str keys and names, the same numpy array.
    value = {k: ([n.decode() for n in v] if isinstance(v, list) and v and isinstance(v[0], bytes) else
                 v.decode() if isinstance(v, bytes) else v) for k, v in entries}
    return pickle.dumps(value, protocol=int(style[1]))


def cifar10_batch(style, label, first, count):
    return batch(style, [("batch_label", label.encode()), ("labels", [(3 * i) % 10 for i in range(first, first + count)]),
                         ("data", pixels(first, count)),
                         ("filenames", [f"image_{i}.png".encode() for i in range(first, first + count)])])


def cifar100_batch(style, label, first, count):
    fine = [(37 * i) % 100 for i in range(first, first + count)]
    return batch(style, [("filenames", [f"image_{i}.png".encode() for i in range(first, first + count)]),
                         ("batch_label", label.encode()), ("fine_labels", fine),
                         ("coarse_labels", [f // 5 for f in fine]), ("data", pixels(first, count))])


def write_cifar_python(root):
    for style in ("py2", "p2", "p4"):
        c10 = root / style / "cifar-10-batches-py"
        c10.mkdir(parents=True, exist_ok=True)
        test_count = 1 if style == "p2" else 2  # protocol 2 doubles the bytes (latin-1 text in UTF-8)
        (c10 / "test_batch").write_bytes(cifar10_batch(style, "testing batch 1 of 1", 0, test_count))
        (c10 / "batches.meta").write_bytes(batch(style, [("num_cases_per_batch", 10000),
                                                         ("label_names", [n.encode() for n in CIFAR10_NAMES]),
                                                         ("num_vis", 3072)]))
        c100 = root / style / "cifar-100-python"
        c100.mkdir(parents=True, exist_ok=True)
        (c100 / "test").write_bytes(cifar100_batch(style, "testing batch 1 of 1", 0, test_count))
        (c100 / "meta").write_bytes(batch(style, [("fine_label_names", [f"fine{i}".encode() for i in range(100)]),
                                                  ("coarse_label_names", [f"coarse{i}".encode() for i in range(20)])]))
        if style == "py2":  # the train split too, once: five CIFAR-10 batches and CIFAR-100's train
            for b in range(5):
                (c10 / f"data_batch_{b + 1}").write_bytes(cifar10_batch(style, f"training batch {b + 1} of 5",
                                                                        100 + b, 1))
            (c100 / "train").write_bytes(cifar100_batch(style, "training batch 1 of 1", 100, 1))


def write_arrays(root):
    """6 images 28 x 28, one channel: uint8 N x H x W (MNIST's own layout) and N x H x W x 1; 6 float32
    images 1 x 12 x 12 (NCHW, values = pixels / 255); .npz plain and compressed, .h5."""
    arrays = root / "arrays"
    arrays.mkdir(parents=True, exist_ok=True)
    gray = pixels(0, 6, 784).reshape(6, 28, 28)
    labels = np.array([3, 1, 4, 1, 5, 9], np.int64)
    names = np.array([f"digit{i}" for i in range(10)])
    np.savez(arrays / "gray-nhw.npz", images=gray, labels=labels.astype(np.uint8))
    np.savez_compressed(arrays / "gray-nhwc-compressed.npz", x_test=gray[..., None], y_test=labels.astype(np.int32),
                        x_train=gray[:2, ..., None], y_train=labels[:2], class_names=names)
    scaled = pixels(0, 6, 144).reshape(6, 1, 12, 12).astype(np.float32) / 255.0
    np.savez(arrays / "gray-nchw-float.npz", x_test=scaled, y_test=labels, num_classes=np.int64(12))
    with h5py.File(arrays / "gray-nhwc.h5", "w") as f:
        f.create_dataset("x_test", data=gray[..., None], compression="gzip")
        f.create_dataset("y_test", data=labels.astype(np.int16))
        f.create_dataset("class_names", data=[str(n) for n in names], dtype=h5py.string_dtype())
    with h5py.File(arrays / "gray-nchw-float.h5", "w") as f:
        f.create_dataset("images", data=scaled)
        f.create_dataset("labels", data=labels)
        f.attrs["num_classes"] = 10


def main():
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "fixtures" / "datasets"
    write_cifar_python(root)
    write_arrays(root)
    print(f"wrote {root}")


if __name__ == "__main__":
    main()
