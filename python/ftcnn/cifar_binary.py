"""The official CIFAR binary formats, which the C++ engine reads.

CIFAR-10: `data_batch_1.bin` .. `data_batch_5.bin` (10,000 records each) and `test_batch.bin`; a record is
1 label byte + 3072 pixel bytes (the R plane, then G, then B, each 32x32 row-major); `batches.meta.txt`
holds the class names, one a line. CIFAR-100: `train.bin` / `test.bin` with records of a coarse label byte,
a fine label byte and the 3072 pixel bytes; `fine_label_names.txt` and `coarse_label_names.txt`.
"""

from pathlib import Path

import numpy as np

PIXELS = 3 * 32 * 32
CIFAR10_BATCH = 10_000  # records per data_batch_N.bin


def _records(images, *label_columns):
    """uint8 records: the label bytes, then the image's planes (HWC -> CHW)."""
    images = np.asarray(images, np.uint8)
    records = np.empty((len(images), len(label_columns) + PIXELS), np.uint8)
    for column, labels in enumerate(label_columns):
        records[:, column] = labels
    records[:, len(label_columns):] = images.transpose(0, 3, 1, 2).reshape(len(images), PIXELS)
    return records


def _write_names(path, names):
    Path(path).write_text("".join(f"{n}\n" for n in names))


def write_cifar10(directory, split, images, labels, class_names):
    """Writes a split; returns the files written. Train is cut into batches of 10,000 in the given order."""
    directory = Path(directory)
    records = _records(images, labels)
    if split == "test":
        files = {"test_batch.bin": records}
    else:
        files = {f"data_batch_{n + 1}.bin": records[start:start + CIFAR10_BATCH]
                 for n, start in enumerate(range(0, len(records), CIFAR10_BATCH))}
    for name, chunk in files.items():
        chunk.tofile(directory / name)
    _write_names(directory / "batches.meta.txt", class_names)
    return [*files, "batches.meta.txt"]


def write_cifar100(directory, split, images, fine_labels, coarse_labels, fine_names, coarse_names):
    """Writes `<split>.bin` and the two name files; returns the files written."""
    directory = Path(directory)
    _records(images, coarse_labels, fine_labels).tofile(directory / f"{split}.bin")
    _write_names(directory / "fine_label_names.txt", fine_names)
    _write_names(directory / "coarse_label_names.txt", coarse_names)
    return [f"{split}.bin", "fine_label_names.txt", "coarse_label_names.txt"]


def read_split(directory, split="test"):
    """Reads a split back: (images uint8 [N, 32, 32, 3], fine labels uint8 [N], class names, dataset)."""
    directory = Path(directory)
    if split == "test":
        cifar10_files = [directory / "test_batch.bin"]
    else:
        cifar10_files = sorted(directory.glob("data_batch_*.bin"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
    cifar100_file = directory / f"{split}.bin"
    if cifar10_files and all(f.is_file() for f in cifar10_files):
        dataset, label_bytes, files, names_file = "cifar10", 1, cifar10_files, "batches.meta.txt"
    elif cifar100_file.is_file():
        dataset, label_bytes, files, names_file = "cifar100", 2, [cifar100_file], "fine_label_names.txt"
    else:
        raise ValueError(f"{directory}: no CIFAR-10 or CIFAR-100 {split} files (test_batch.bin, {split}.bin, ...)")
    record = label_bytes + PIXELS
    raw = np.concatenate([np.fromfile(f, np.uint8) for f in files])
    if raw.size % record:
        raise ValueError(f"{directory}: {split} files are not a whole number of {record}-byte records")
    records = raw.reshape(-1, record)
    images = records[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    names_path = directory / names_file
    names = [n for n in names_path.read_text().splitlines() if n.strip()] if names_path.is_file() else None
    return np.ascontiguousarray(images), records[:, label_bytes - 1].copy(), names, dataset
