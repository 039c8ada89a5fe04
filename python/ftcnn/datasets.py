"""The datasets `ftcnn --data` reads, read the same way in Python (docs/datasets.md).

  - a folder of CIFAR binary files (test_batch.bin, data_batch_N.bin; CIFAR-100 test.bin, train.bin)
  - a folder of CIFAR python files, as torchvision downloads them (cifar-10-batches-py, cifar-100-python),
    read with an unpickler that only rebuilds numpy arrays (any other global is refused, no code runs)
  - a folder holding exactly one of those under its usual name (torchvision's `root`)
  - an .npz or .h5/.hdf5 of images and labels: `x_test`/`y_test` (else `images`/`labels`) and
    `x_train`/`y_train`; images uint8 N x H x W x C (or N x H x W) or float32 N x C x H x W (already scaled),
    labels any integer type; optional `class_names` and `num_classes`
  - (Python only) a JPEG CIFAR pack (.npz with `test_jpeg`, ftcnn.cifar.JpegPack)

load() returns a Data whose images are uint8 N x H x W x C ("pixels", scaled by the model's 1/255) or
float32 N x C x H x W ("scaled", only mean and std apply), as the engine's preprocessing takes them.
"""

import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ftcnn import cifar, cifar_binary

KNOWN_FOLDERS = ("cifar-10-batches-bin", "cifar-10-batches-py", "cifar-100-binary", "cifar-100-python")


@dataclass
class Data:
    name: str
    images: np.ndarray  # uint8 [N, H, W, C] when not scaled, float32 [N, C, H, W] when scaled
    labels: np.ndarray  # int64 [N]
    num_classes: int
    class_names: list = field(default_factory=list)
    scaled: bool = False

    @property
    def item(self):
        """[C, H, W] of one image."""
        return list(self.images.shape[1:]) if self.scaled else [self.images.shape[3], *self.images.shape[1:3]]

    def preprocess(self, preprocessing, first=0, count=None):
        """Images [first, first + count) as the engine feeds them: float32 NCHW, `(pixel * scale - mean) / std`
        for pixels, `(value - mean) / std` for scaled values (a torch tensor)."""
        import torch
        end = len(self.images) if count is None else first + count
        mean = torch.tensor(preprocessing["mean"], dtype=torch.float32).view(1, -1, 1, 1)
        std = torch.tensor(preprocessing["std"], dtype=torch.float32).view(1, -1, 1, 1)
        if self.scaled:
            return (torch.from_numpy(np.ascontiguousarray(self.images[first:end])) - mean) / std
        x = torch.from_numpy(np.ascontiguousarray(self.images[first:end])).permute(0, 3, 1, 2).float()
        return (x * preprocessing["scale"] - mean) / std


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Rebuilds dicts, lists, strings, numbers and numpy arrays; refuses every other global."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing the global {module}.{name} (only numpy arrays are read)")
        return super().find_class(module, name)


def read_pickle(path):
    """A CIFAR python batch as a dict with str keys (Python 2 files' byte strings decoded as latin-1)."""
    try:
        with open(path, "rb") as f:
            raw = _NumpyOnlyUnpickler(f, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as e:
        raise ValueError(f"{path}: not a pickle this reader takes: {e}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: not a pickled dict")
    return {k.decode("latin-1") if isinstance(k, bytes) else k: v for k, v in raw.items()}


def _text(value):
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _folder_layout(folder):
    has = lambda name: (folder / name).is_file()  # noqa: E731
    if any(has(n) for n in ("test_batch.bin", "data_batch_1.bin", "test.bin", "train.bin")):
        return "binary"
    if ((has("test_batch") or has("data_batch_1")) and has("batches.meta")) or ((has("test") or has("train"))
                                                                              and has("meta")):
        return "python"
    return None


def _load_cifar_python(folder, split):
    if (folder / "batches.meta").is_file():
        name, classes, key = "cifar10", 10, "labels"
        files = [folder / "test_batch"] if split == "test" else [folder / f"data_batch_{i}" for i in range(1, 6)]
        names = [_text(n) for n in read_pickle(folder / "batches.meta")["label_names"]]
    else:
        name, classes, key = "cifar100", 100, "fine_labels"
        files = [folder / split]
        names = [_text(n) for n in read_pickle(folder / "meta")["fine_label_names"]]
    images, labels = [], []
    for path in files:
        if not path.is_file():
            raise ValueError(f"{path}: no such file")
        batch = read_pickle(path)
        data = np.asarray(batch["data"])
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
            raise ValueError(f"{path}: 'data' is not a uint8 array of N x 3072 pixels")
        images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        labels.append(np.asarray(batch[key], np.int64))
    return Data(name, np.ascontiguousarray(np.concatenate(images)), np.concatenate(labels), classes,
                names if len(names) == classes else [])


def _load_arrays(path, split, arrays):
    """`arrays`: name -> array getter (lazy), for .npz and .h5 alike."""
    x, y = f"x_{split}", f"y_{split}"
    if split == "test" and not (x in arrays and y in arrays):
        x, y = "images", "labels"
    if x not in arrays or y not in arrays:
        wanted = "x_test and y_test, or images and labels" if split == "test" else "x_train and y_train"
        raise ValueError(f"{path}: no arrays for the {split} split: looked for {wanted} "
                         f"(it has: {', '.join(sorted(arrays)) or 'none'})")
    images, labels = np.asarray(arrays[x]()), np.asarray(arrays[y]())
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer) or len(labels) != len(images):
        raise ValueError(f"{path}: '{y}' must be N integer labels for the N images of '{x}'")
    scaled = images.dtype in (np.float32, np.float64)
    if not scaled and images.dtype != np.uint8:
        raise ValueError(f"{path}: '{x}' must be uint8 N x H x W x C or float32 N x C x H x W images")
    if images.ndim == 3:
        images = images[:, None] if scaled else images[..., None]
    if images.ndim != 4:
        raise ValueError(f"{path}: '{x}' of shape {list(images.shape)} is not N images")
    names = [_text(n) for n in arrays["class_names"]()] if "class_names" in arrays else []
    if "num_classes" in arrays:
        classes = int(np.asarray(arrays["num_classes"]()).reshape(-1)[0])
    else:
        classes = len(names) if names else int(labels.max()) + 1 if len(labels) else 0
    if len(labels) and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"{path}: labels outside [0, {classes})")
    return Data(Path(path).stem, images.astype(np.float32) if scaled else images, labels.astype(np.int64), classes,
                names, scaled)


def load(path, split="test"):
    """Reads `split` ("test" or "train") of the dataset at `path` (any layout above) as a Data."""
    if split not in ("test", "train"):
        raise ValueError(f"unknown split '{split}' (expected test or train)")
    path = Path(path)
    if path.is_file():
        suffix = path.suffix.lower()
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as npz:
                if f"{split}_jpeg" in npz.files:
                    pack = cifar.JpegPack(path)
                    return Data(pack.dataset, pack.decode(split), pack.labels(split).astype(np.int64),
                                len(pack.class_names), pack.class_names)
                return _load_arrays(path, split, {n: (lambda n=n: npz[n]) for n in npz.files})
        if suffix in (".h5", ".hdf5"):
            import h5py
            with h5py.File(path, "r") as f:
                arrays = {n: (lambda n=n: f[n][()]) for n in f.keys() if isinstance(f[n], h5py.Dataset)}
                if "num_classes" in f.attrs and "num_classes" not in arrays:
                    arrays["num_classes"] = lambda: f.attrs["num_classes"]
                return _load_arrays(path, split, arrays)
        raise ValueError(f"{path}: not a dataset file (an .npz or .h5/.hdf5 of images and labels)")
    if not path.is_dir():
        raise ValueError(f"{path}: no such file or directory")
    layout = _folder_layout(path)
    if layout is None:
        found = [path / n for n in KNOWN_FOLDERS if _folder_layout(path / n)]
        if len(found) != 1:
            raise ValueError(f"{path}: no dataset here" if not found else
                             f"{path}: holds {len(found)} datasets: give one of them")
        path, layout = found[0], _folder_layout(found[0])
    if layout == "python":
        return _load_cifar_python(path, split)
    images, labels, names, name = cifar_binary.read_split(path, split)
    classes = 10 if name == "cifar10" else 100
    return Data(name, images, labels.astype(np.int64), classes, names if names and len(names) == classes else [])


def write_arrays(path, images, labels, class_names=None, split="test", num_classes=None):
    """Writes images and labels as the engine reads them, `x_<split>` and `y_<split>`: an .h5 by suffix, else
    an .npz (np.savez)."""
    arrays = {f"x_{split}": np.ascontiguousarray(images), f"y_{split}": np.asarray(labels)}
    if class_names is not None:
        arrays["class_names"] = np.array(class_names)
    if num_classes is not None:
        arrays["num_classes"] = np.int64(num_classes)
    if str(path).lower().endswith((".h5", ".hdf5")):
        import h5py
        with h5py.File(path, "w") as f:
            for k, v in arrays.items():
                if k == "class_names":
                    f.create_dataset(k, data=[str(n) for n in class_names], dtype=h5py.string_dtype())
                else:
                    f.create_dataset(k, data=v)
    else:
        np.savez(path, **arrays)
