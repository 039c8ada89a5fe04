"""Writes and reads ftcnn model files (docs/model_format.md), and reads plain state_dict HDF5 files.

A state_dict file (as in ../shared/weights/) is one float32 dataset per key at the root with `arch`,
`dataset`, `mean`, `std`, `num_classes` and `test_accuracy` attributes; `load_model` reads both kinds and
returns the same metadata for them.
"""

import datetime
import json
import os
from collections import OrderedDict

import h5py
import numpy as np
import torch

from ftcnn import cifar, models

FORMAT = "ftcnn-model"
FORMAT_VERSION = 2  # what save_model writes: every layer has explicit `inputs` (a DAG)
READABLE_VERSIONS = (1, 2)  # 1: a chain, inputs implied (load_model fills them in)
PIXEL_SCALE = 1.0 / 255.0
COMPRESS_FROM_BYTES = 16 * 1024
_STR = h5py.string_dtype()  # variable-length UTF-8, what h5py writes for a Python str


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def _float32_state(module_or_state):
    """{key: float32 numpy array} without BatchNorm's integer num_batches_tracked."""
    state = module_or_state.state_dict() if isinstance(module_or_state, torch.nn.Module) else module_or_state
    return OrderedDict((k, np.asarray(v.detach().cpu().float().numpy() if torch.is_tensor(v) else v, np.float32))
                       for k, v in state.items() if not k.endswith("num_batches_tracked"))


def check_parameters(arch, state):
    """Raises ValueError unless `state` holds exactly the tensors the architecture declares, shapes included."""
    expected = models.parameter_shapes(arch)
    problems = [f"{what} {', '.join(keys[:4])}{' ...' if len(keys) > 4 else ''}"
                for what, keys in (("missing", [k for k in expected if k not in state]),
                                   ("unexpected", [k for k in state if k not in expected])) if keys]
    if problems:
        raise ValueError(f"parameters do not match architecture '{arch['arch']}': {'; '.join(problems)}")
    for key, shape in expected.items():
        if tuple(state[key].shape) != tuple(shape):
            raise ValueError(f"parameter {key} has shape {list(state[key].shape)}, the architecture says "
                             f"{list(shape)}")


def save_model(path, module, arch_json, dataset, class_names, mean, std, provenance, extra_datasets=None):
    """Writes an ftcnn model file.

    `module` is an nn.Module or a state_dict; `provenance` must say `source`, and gets `created_by` and
    `created` when it lacks them. `extra_datasets` ({name: array}) go to the root as float32, for test
    fixtures (`fixture_input`, `fixture_output`). The architecture is written as format version 2: layers
    without `inputs` get the implied ones (the previous layer, "input" for the first)."""
    arch_json = models.with_inputs(arch_json)
    models.infer_shapes(arch_json)
    state = _float32_state(module)
    check_parameters(arch_json, state)
    if arch_json["num_classes"] and len(class_names) != arch_json["num_classes"]:
        raise ValueError(f"{len(class_names)} class names for {arch_json['num_classes']} classes")
    if "source" not in provenance:
        raise ValueError("provenance must say where the model came from ('source')")
    provenance = {"created_by": f"ftcnn python/ftcnn/model_file.py (torch {torch.__version__})",
                  "created": utc_now(), **provenance}
    preprocessing = {"scale": PIXEL_SCALE, "mean": [float(m) for m in mean], "std": [float(s) for s in std]}
    # Written beside the target and renamed into place, so a failure never leaves a half-written model
    # (fine-tuning writes back over its input).
    partial = f"{path}.partial"
    try:
        _write(partial, arch_json, dataset, class_names, preprocessing, provenance, state, extra_datasets)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _write(path, arch_json, dataset, class_names, preprocessing, provenance, state, extra_datasets):
    with h5py.File(path, "w") as f:
        for name, value in [("format", FORMAT), ("architecture", json.dumps(arch_json)), ("dataset", dataset),
                            ("class_names", json.dumps(list(class_names))),
                            ("preprocessing", json.dumps(preprocessing)), ("provenance", json.dumps(provenance))]:
            f.attrs.create(name, value, dtype=_STR)
        f.attrs["format_version"] = np.int64(FORMAT_VERSION)
        group = f.create_group("parameters")
        for key, value in state.items():
            _create_dataset(group, key, value)
        for name, value in (extra_datasets or {}).items():
            _create_dataset(f, name, np.asarray(value, np.float32))


def _create_dataset(group, name, value):
    # Shuffle + gzip pays for large tensors (trained weights shrink a little, float16-exact ones by half);
    # a small one would grow by the chunk index that compression needs, so it is stored contiguous.
    if value.nbytes >= COMPRESS_FROM_BYTES:
        group.create_dataset(name, data=value, compression="gzip", compression_opts=4, shuffle=True)
    else:
        group.create_dataset(name, data=value)


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def read_state_dict_file(path):
    """(state_dict, attributes) of a state_dict HDF5 file; string attributes as str, `mean` / `std` as lists."""
    with h5py.File(path, "r") as f:
        if FORMAT == _text(f.attrs.get("format", "")):
            raise ValueError(f"{path}: an ftcnn model file, not a state_dict file")
        attrs = {k: _text(v) if isinstance(v, (bytes, str)) else v.item() for k, v in f.attrs.items()}
        state = {k: torch.from_numpy(np.asarray(v[()])) for k, v in f.items() if isinstance(v, h5py.Dataset)}
    for key in ("mean", "std"):
        if key in attrs:
            attrs[key] = [float(v) for v in attrs[key].split(",")]
    return state, attrs


def load_model(path, arch=None):
    """Reads an ftcnn model file or a state_dict HDF5 file.

    Returns (module, metadata) with the module in eval mode when the architecture is known (always for
    ftcnn files; from the `arch` argument or the `arch` attribute for state_dict files), else
    (state_dict, metadata). metadata: format ("ftcnn-model" or "state_dict"), architecture (dict or None;
    `inputs` on every layer, also for format version 1 files, whose implied inputs are filled in),
    dataset, class_names, preprocessing ({scale, mean, std}), provenance (dict), test_accuracy (or None),
    extra (the float32 root datasets of an ftcnn file, e.g. the fixtures' fixture_input)."""
    with h5py.File(path, "r") as f:
        is_ftcnn = _text(f.attrs.get("format", "")) == FORMAT
        if is_ftcnn:
            metadata = _ftcnn_metadata(path, {k: f.attrs[k] for k in f.attrs})
            state = {k: torch.from_numpy(np.asarray(v[()])) for k, v in f["parameters"].items()}
            metadata["extra"] = {k: v[()] for k, v in f.items() if isinstance(v, h5py.Dataset)}
    if not is_ftcnn:
        state, attrs = read_state_dict_file(path)
        metadata = _state_dict_metadata(attrs, arch)
    arch_json = metadata["architecture"]
    if arch_json is None:
        return state, metadata
    check_parameters(arch_json, {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")})
    module = models.build_module(arch_json)
    # num_batches_tracked is not stored; BatchNorm fills it in for a state_dict without version metadata.
    module.load_state_dict(state, strict=True)
    return module.eval(), metadata


def _ftcnn_metadata(path, attrs):
    version = int(attrs.get("format_version", -1))
    if version not in READABLE_VERSIONS:
        raise ValueError(f"{path}: ftcnn model format version {version}, this reader knows "
                         f"{', '.join(map(str, READABLE_VERSIONS))}")
    try:
        provenance = json.loads(_text(attrs["provenance"]))
        architecture = _architecture(path, version, json.loads(_text(attrs["architecture"])))
        return {"format": FORMAT,
                "architecture": architecture,
                "dataset": _text(attrs["dataset"]),
                "class_names": json.loads(_text(attrs["class_names"])),
                "preprocessing": json.loads(_text(attrs["preprocessing"])),
                "provenance": provenance,
                "test_accuracy": provenance.get("test_accuracy")}
    except KeyError as e:
        raise ValueError(f"{path}: ftcnn model file lacks the {e} attribute") from None


def _architecture(path, version, arch):
    """The architecture with `inputs` on every layer: version 1 implies them (a chain; explicit ones or graph
    layers are an error there), version 2 must state them for every layer."""
    for layer in arch.get("layers", []):
        name = layer.get("name", "?")
        if version == 1 and ("inputs" in layer or layer.get("type") in models.MULTI_INPUT):
            raise ValueError(f"{path}: layer '{name}' has {'inputs' if 'inputs' in layer else layer['type']}, "
                             f"which format version 1 does not know (write version 2)")
        if version == 2 and "inputs" not in layer:
            raise ValueError(f"{path}: layer '{name}' lacks 'inputs', which format version 2 requires")
    try:
        return models.with_inputs(arch)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None


def _state_dict_metadata(attrs, arch):
    dataset = attrs.get("dataset", "cifar10")
    arch = arch or attrs.get("arch")
    normalization = cifar.NORMALIZATION.get(dataset, cifar.NORMALIZATION["cifar10"])
    return {"format": "state_dict",
            "architecture": models.architecture(arch, attrs.get("num_classes")) if arch else None,
            "dataset": dataset,
            "class_names": cifar.CLASS_NAMES.get(dataset),
            "preprocessing": {"scale": PIXEL_SCALE, "mean": attrs.get("mean", normalization["mean"]),
                              "std": attrs.get("std", normalization["std"])},
            "provenance": {},
            "test_accuracy": attrs.get("test_accuracy"),
            "extra": {}}


def preprocess(images, preprocessing):
    """uint8 [N, 32, 32, 3] RGB -> float32 NCHW tensor, `(pixel * scale - mean) / std` per channel."""
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float()
    mean = torch.tensor(preprocessing["mean"], dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(preprocessing["std"], dtype=torch.float32).view(1, -1, 1, 1)
    return (x * preprocessing["scale"] - mean) / std
