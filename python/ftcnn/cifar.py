"""CIFAR-10 / CIFAR-100 as this project reads them: JPEG packs (JpegPack says their arrays) and dataset constants."""

import io

import numpy as np
from PIL import Image

# Per-channel RGB statistics of the training sets, as the pretrained weights were normalised with.
NORMALIZATION = {
    "cifar10": {"mean": [0.4914, 0.4822, 0.4465], "std": [0.2470, 0.2435, 0.2616]},
    "cifar100": {"mean": [0.5071, 0.4865, 0.4409], "std": [0.2673, 0.2564, 0.2762]},
}

CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

# CIFAR-100's fine labels in label order, for files made where no CIFAR-100 pack is at hand.
CIFAR100_CLASSES = [
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
    "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
    "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
    "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
    "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
    "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
    "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
    "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
    "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger",
    "tractor", "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
]

CLASS_NAMES = {"cifar10": CIFAR10_CLASSES, "cifar100": CIFAR100_CLASSES}


class JpegPack:
    """A JPEG CIFAR pack: an .npz with, per split S (train, test), `S_jpeg` (uint8, every image's JPEG bytes
    concatenated), `S_offsets` (N + 1 byte offsets into it), `S_labels` (uint8 fine labels) and, for CIFAR-100,
    `S_coarse`; plus `class_names` (and `coarse_names`). Images are 32x32 RGB. `dataset` is "cifar100" when
    the pack has coarse labels, else "cifar10"."""

    def __init__(self, path):
        self.path = str(path)
        try:
            self._npz = np.load(self.path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise ValueError(f"{self.path}: not a readable .npz pack ({e})") from None
        self.dataset = "cifar100" if "train_coarse" in self._npz.files or "coarse_names" in self._npz.files \
            else "cifar10"
        self.class_names = [str(n) for n in self._array("class_names")]
        self.coarse_names = [str(n) for n in self._array("coarse_names")] if self.dataset == "cifar100" else None

    def _array(self, name):
        if name not in self._npz.files:
            raise ValueError(f"{self.path}: the pack has no array '{name}' (it has: {', '.join(self._npz.files)})")
        return self._npz[name]

    def labels(self, split):
        """Fine labels of a split, uint8, in pack order."""
        return self._array(f"{split}_labels")

    def coarse_labels(self, split):
        """CIFAR-100 coarse labels of a split (None for CIFAR-10)."""
        return self._array(f"{split}_coarse") if self.dataset == "cifar100" else None

    def decode(self, split, indices=None):
        """The images of a split as uint8 [N, 32, 32, 3] (RGB, HWC), in pack order or in `indices` order."""
        data, offsets = self._array(f"{split}_jpeg"), self._array(f"{split}_offsets")
        if indices is None:
            indices = np.arange(len(offsets) - 1)
        images = np.empty((len(indices), 32, 32, 3), np.uint8)
        blob = data.tobytes()  # slicing bytes is much cheaper than wrapping numpy slices for PIL
        for out, i in enumerate(indices):
            with Image.open(io.BytesIO(blob[offsets[i]:offsets[i + 1]])) as image:
                rgb = image.convert("RGB")
                if rgb.size != (32, 32):
                    raise ValueError(f"{self.path}: {split} image {i} is {rgb.size[0]}x{rgb.size[1]}, not 32x32")
                images[out] = np.asarray(rgb)
        return images


def balanced_order(labels):
    """Indices that visit the classes round-robin (first image of each class, then the second, ...).

    The packs group images by class, so the first N images of a split are one or two classes; the first N
    of this order hold N / classes images of each class. Within a class the pack order is kept."""
    labels = np.asarray(labels)
    rank = np.empty(len(labels), np.int64)  # position of each image inside its class
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        rank[members] = np.arange(len(members))
    return np.lexsort((labels, rank))
