#!/usr/bin/python3
"""Writes the recipe (fuzz/h5_recipe.hpp) of an HDF5 file, to seed a fuzz corpus from the test fixtures.

    fuzz/h5_recipe.py FILE.h5 OUT.recipe [--state-dict ARCH] [--skip-larger N]

--state-dict ARCH keeps only the datasets under `parameters/`, moved to the root, and sets the root
attribute `arch`, as a PyTorch state_dict file has them; --skip-larger leaves out datasets of more than N
elements (a seed stays small, and fuzzing fast). Uses h5py and numpy (scripts/install_deps.sh --python).
"""
import argparse
import struct

import h5py
import numpy as np

TYPES = {np.dtype("float32"): 0, np.dtype("float64"): 1, np.dtype("int64"): 2, np.dtype("int32"): 3,
         np.dtype("uint8"): 4}


def short_text(text):
    data = text.encode()[:255]
    return bytes([len(data)]) + data


def value(v):
    """The type byte and the body of a value: a string, or numbers with their shape."""
    if isinstance(v, bytes):
        v = v.decode(errors="replace")
    if isinstance(v, str):
        data = v.encode()[:65535]
        return bytes([5]) + struct.pack("<H", len(data)) + data
    array = np.asarray(v)
    if array.dtype.kind == "i" and array.dtype not in TYPES:
        array = array.astype("int64")
    if array.dtype.kind == "f" and array.dtype not in TYPES:
        array = array.astype("float64")
    if array.dtype not in TYPES or array.ndim > 4 or any(d > 65535 for d in array.shape):
        return None
    body = bytes([array.ndim]) + b"".join(struct.pack("<H", d) for d in array.shape)
    return bytes([TYPES[array.dtype]]) + body + array.astype(array.dtype.newbyteorder("<")).tobytes()


def recipe(path, state_dict=None, skip_larger=1 << 18):
    """The recipe of the HDF5 file at `path`, as bytes (see the module's docstring for the options)."""
    entries = []

    def attributes(where, obj):
        for name, v in obj.attrs.items():
            body = value(v)
            if body is not None:
                entries.append(bytes([2]) + short_text(where) + short_text(name) + body)

    with h5py.File(path, "r") as f:
        if state_dict:
            entries.append(bytes([2]) + short_text("/") + short_text("arch") + value(state_dict))
        else:
            attributes("/", f)

        def visit(name, obj):
            where = name
            if state_dict:
                if not name.startswith("parameters/"):
                    return
                where = name[len("parameters/"):]
            if isinstance(obj, h5py.Group):
                entries.append(bytes([0]) + short_text(where))
            elif obj.size <= skip_larger:
                body = value(obj[()])
                if body is not None:
                    entries.append(bytes([1]) + short_text(where) + body)
            attributes(where, obj)

        f.visititems(visit)
    return b"".join(entries[:64])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("out")
    parser.add_argument("--state-dict", metavar="ARCH")
    parser.add_argument("--skip-larger", type=int, default=1 << 18)
    args = parser.parse_args()
    with open(args.out, "wb") as out:
        out.write(recipe(args.file, args.state_dict, args.skip_larger))


if __name__ == "__main__":
    main()
