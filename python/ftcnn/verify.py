"""Checks an exported model file against the model it came from, through the built ftcnn binary.

The original runs as it was given: a PyTorch module in eval mode, or an ONNX graph through onnxruntime
(`Reference`, python/ftcnn/onnx_import.py). Both classify the same images: random uint8 images drawn from a
seeded counter-based generator (Philox) and, when a dataset is given (any --data layout, docs/datasets.md),
its first real test images. The images go to `ftcnn eval` as a CIFAR binary folder (3 x 32 x 32 models) or an
.npz (any other input shape), so that the engine's own reader and preprocessing are part of what is checked;
the original gets them preprocessed as the model file says. The export passes only when every prediction is
identical and the largest logit difference, over the image's largest |logit| (at least 1), is within the
tolerance.
"""

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import h5py
import numpy as np
import torch

from ftcnn import cifar_binary, datasets, model_file

RANDOM_IMAGES = 64
REAL_IMAGES = 256
TOLERANCE = 1e-4
CIFAR_ITEM = [3, 32, 32]


class VerificationError(ValueError):
    """The export and its original disagree, or the check could not run; the message says which."""


@dataclass
class Reference:
    """The original model: `run` maps preprocessed float32 NCHW images to logits (numpy); `record` says what
    ran it, for the provenance; `what` names it in a failure."""
    run: Callable
    record: dict
    what: str = "the module"


def torch_reference(module):
    """A PyTorch module as the Reference, run in eval mode without gradients."""
    module = module.eval()

    def run(x):
        with torch.no_grad():
            return module(torch.from_numpy(x)).numpy()

    return Reference(run, {"reference": "PyTorch (eval mode)", "torch": torch.__version__})


def find_binary(given=None):
    """The ftcnn binary: `given`, else $FTCNN_BINARY, else build/ftcnn of this checkout, else `ftcnn` on PATH."""
    if given is not None:
        if Path(given).is_file() and os.access(given, os.X_OK):
            return given
        raise VerificationError(f"{given}: not an executable ftcnn binary")
    for candidate in (os.environ.get("FTCNN_BINARY"), str(Path(__file__).resolve().parents[2] / "build" / "ftcnn"),
                      shutil.which("ftcnn")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise VerificationError("verifying the export needs the ftcnn binary: build it (scripts/build.sh) or give "
                            "--ftcnn PATH")


def verification_images(seed, data=None, item=CIFAR_ITEM):
    """(uint8 images [N, H, W, C], description): RANDOM_IMAGES random ones of `item` ([C, H, W]), then up to
    REAL_IMAGES of `data`'s test split (8-bit images of that shape)."""
    channels, height, width = item
    generator = np.random.Generator(np.random.Philox(key=seed))
    images = [generator.integers(0, 256, size=(RANDOM_IMAGES, height, width, channels), dtype=np.uint8)]
    described = {"random": RANDOM_IMAGES, "random_seed": seed}
    if data is not None:
        real = datasets.load(data, "test")
        if real.scaled or real.item != list(item):
            raise VerificationError(f"{data}: its images ({'float ' if real.scaled else ''}{real.item}) are not "
                                    f"8-bit images of the model's input {list(item)}")
        images.append(real.images[:REAL_IMAGES])
        described.update(real=int(min(len(real.images), REAL_IMAGES)),
                         real_source=f"{Path(data).name} ({real.name} test)")
    return np.concatenate(images), described


def verify(model_path, reference, preprocessing, binary=None, data=None, seed=0, tolerance=TOLERANCE, threads=None):
    """Runs the check of the file against `reference` (a Reference, or the nn.Module the file came from);
    returns its record for the file's provenance, raises VerificationError on failure."""
    if isinstance(reference, torch.nn.Module):
        reference = torch_reference(reference)
    with h5py.File(model_path, "r") as f:
        arch = json.loads(f.attrs["architecture"])
    binary = find_binary(binary)
    images, described = verification_images(seed, data, list(arch["input"]))
    expected = np.asarray(reference.run(model_file.preprocess(images, preprocessing).contiguous().numpy()))
    with tempfile.TemporaryDirectory(prefix="ftcnn-verify-") as folder:
        classes = arch["num_classes"]
        labels = np.zeros(len(images), np.uint8)
        names = [f"class{i}" for i in range(classes)]
        data_path = folder
        if list(arch["input"]) != CIFAR_ITEM:
            data_path = str(Path(folder) / "images.npz")
            datasets.write_arrays(data_path, images, labels, num_classes=classes)
        elif classes <= 10:
            cifar_binary.write_cifar10(folder, "test", images, labels, names)
        else:
            cifar_binary.write_cifar100(folder, "test", images, labels, labels, names, ["all"])
        logits_path = Path(folder) / "logits.h5"
        command = [binary, "eval", "--model", str(model_path), "--data", data_path, "--device", "cpu", "--json",
                   "--logits", str(logits_path)] + (["--threads", str(threads)] if threads else [])
        run = subprocess.run(command, capture_output=True, text=True)
        if run.returncode != 0:
            raise VerificationError(f"ftcnn eval failed on the export: {run.stderr.strip().splitlines()[-1:]}")
        with h5py.File(logits_path, "r") as f:
            got = f["logits"][...]
    if got.shape != expected.shape:
        raise VerificationError(f"ftcnn gives logits of shape {list(got.shape)}, {reference.what} "
                                f"{list(expected.shape)}")
    difference = np.abs(got.astype(np.float64) - expected)
    scale = np.maximum(np.abs(expected).max(1, keepdims=True), 1.0)
    relative = float((difference / scale).max())
    differing = int((got.argmax(1) != expected.argmax(1)).sum())
    record = {"images": described, "max_abs_logit_difference": float(difference.max()),
              "max_relative_logit_difference": relative, "tolerance": tolerance,
              "differing_predictions": differing, "engine": "ftcnn eval --device cpu", **reference.record}
    if differing or not relative <= tolerance:  # NaN fails too
        raise VerificationError(f"the export does not compute what {reference.what} computes: {differing} of "
                                f"{len(images)} predictions differ, largest logit difference {relative:.3g} of "
                                f"the image's largest logit (tolerance {tolerance:g})")
    return record
