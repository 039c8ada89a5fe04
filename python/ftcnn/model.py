"""A model file loaded into the engine in this process, for forward passes on numpy batches.

    model = ftcnn.load_model("data/default/small_cifar10.h5")
    logits = model.logits(images)       # uint8 [N, H, W, C] or [N, C, H, W] pixels, or preprocessed float32 NCHW
    predictions = model.predict(images)

The engine reads a float32 C-contiguous batch where it lies and writes the logits straight into the returned
array; other inputs are converted once.
"""

import os

import numpy as np

from .commands import _core


class Model:
    def __init__(self, path, arch=""):
        self._model = _core().Model(os.fspath(path), arch)

    path = property(lambda self: self._model.path)
    arch = property(lambda self: self._model.arch)
    num_classes = property(lambda self: self._model.num_classes)
    input_shape = property(lambda self: tuple(self._model.input_shape), doc="(C, H, W)")
    dataset = property(lambda self: self._model.dataset)
    class_names = property(lambda self: list(self._model.class_names))
    checksum = property(lambda self: self._model.checksum, doc="FNV-1a 64 of the parameters, as in every output")

    def __repr__(self):
        return f"ftcnn.Model({self.path!r}, arch={self.arch!r}, input={self.input_shape}, classes={self.num_classes})"

    def preprocess(self, images):
        """uint8 pixels [N, H, W, C] or [N, C, H, W] ([N, H, W] for one channel) -> float32 NCHW, normalised as the engine's own commands
        do: (pixel x scale - mean[c]) / std[c]."""
        images = np.asarray(images)
        if images.ndim == 3 and self.input_shape[0] == 1:
            images = images[:, np.newaxis]  # [N, H, W] of a one-channel model
        if images.dtype != np.uint8 or images.ndim != 4:
            raise ValueError(f"preprocess takes uint8 images [N, H, W, C] or [N, C, H, W], got {images.dtype} "
                             f"of shape {images.shape}")
        channels = self.input_shape[0]
        if images.shape[1:] != self.input_shape:
            images = images.transpose(0, 3, 1, 2)  # NHWC -> NCHW
        if images.shape[1:] != self.input_shape:
            raise ValueError(f"model '{self.arch}' takes images {self.input_shape} (or HWC), got {images.shape[1:]}")
        mean = np.asarray(self._model.mean, dtype=np.float32).reshape(1, channels, 1, 1)
        std = np.asarray(self._model.std, dtype=np.float32).reshape(1, channels, 1, 1)
        scale = np.float32(self._model.scale)
        return np.ascontiguousarray((images.astype(np.float32) * scale - mean) / std, dtype=np.float32)

    def logits(self, images, device="cpu", batch=128, threads=0):
        """Logits [N, classes] float32. 8-bit pixels (uint8, or any integer type holding 0..255) are
        preprocessed first; float images are taken as preprocessed NCHW."""
        images = np.asarray(images)
        if images.dtype.kind in "iu" and images.dtype != np.uint8:
            # int pixels (from PIL or torch): 8-bit values or a mistake, never preprocessed floats.
            if images.size and (images.min() < 0 or images.max() > 255):
                raise ValueError(f"integer images must be 8-bit pixels 0..255, got {images.dtype} values in "
                                 f"[{images.min()}, {images.max()}]")
            images = images.astype(np.uint8)
        if images.dtype == np.uint8:
            images = self.preprocess(images)
        elif images.dtype.kind != "f":
            raise ValueError(f"images must be 8-bit pixels or preprocessed floats, got {images.dtype}")
        return self._model.forward(images, device, batch, threads)

    def predict(self, images, device="cpu", batch=128, threads=0):
        """Top-1 class per image, -1 where a logit is NaN or Inf (as the engine counts them)."""
        logits = self.logits(images, device, batch, threads)
        predictions = logits.argmax(axis=1).astype(np.int32)
        predictions[~np.isfinite(logits).all(axis=1)] = -1
        return predictions


def load_model(path, arch=""):
    """An ftcnn model file or a PyTorch state_dict HDF5 (with `arch` when the file names none)."""
    return Model(path, arch)
