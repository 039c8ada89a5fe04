"""Writes an ftcnn model file from a PyTorch model, and verifies it against that model through ftcnn.

  # any nn.Module of supported ops, traced with torch.fx (python/ftcnn/trace.py):
  python3 -m ftcnn.export --module mynets:make_net --in weights.pt --dataset cifar10 --out net.h5
  python3 -m ftcnn.export --in whole_module.pt --dataset cifar10 --out net.h5   # torch.save(module)
  # a state_dict of a built-in architecture (small, alexnet, vgg11, vgg16, resnet20, resnet18):
  python3 -m ftcnn.export --in vgg11_cifar10.h5 --out vgg11.h5                  # HDF5 with an `arch` attribute
  python3 -m ftcnn.export --in model.pt --arch resnet20 --dataset cifar10 --out resnet20.h5
  # an ONNX file of supported ops (python/ftcnn/onnx_import.py), checked against onnxruntime:
  python3 -m ftcnn.export --in net.onnx --dataset cifar10 --out net.h5

`--module MODULE:FACTORY` imports MODULE (from the current directory or PYTHONPATH) and calls FACTORY() for
the network; `--in` then loads a state_dict into it (a dict of tensors, or one under 'state_dict' or
'model'). Normalisation and class names come from --mean/--std/--class-names, else from --dataset's standard
values (or the file's attributes for an HDF5 state_dict).

Every export is verified: the original (the PyTorch module, or the ONNX graph run by onnxruntime) and
`ftcnn eval` (the binary of --ftcnn, $FTCNN_BINARY, build/ftcnn or `ftcnn` on PATH) classify 64 random
images and, with --data, up to 256 real test images of a dataset; the file is written only when every
prediction agrees and the largest logit difference is within --tolerance of the image's largest logit. The
measured difference is recorded in the file's provenance (`verification`).
"""

import argparse
import hashlib
import importlib
import sys
from pathlib import Path

import h5py
import torch
from torch import nn

from ftcnn import cifar, model_file, models, onnx_import, trace, verify

DEFAULT_INPUT_SHAPE = "3,32,32"

def load_torch_file(path):
    """A module (torch.save(module)) or a state_dict (a dict of tensors, or one under 'state_dict'/'model')."""
    try:
        state = torch.load(path, map_location="cpu")
    except Exception as e:  # torch.load raises whatever unpickling a foreign file raises
        raise ValueError(f"{path}: torch.load failed ({type(e).__name__}: {e})") from None
    if isinstance(state, nn.Module):
        return state
    if isinstance(state, dict):
        for key in ("state_dict", "model"):
            if isinstance(state.get(key), (dict, nn.Module)):
                state = state[key]
    if isinstance(state, nn.Module):
        return state
    if not isinstance(state, dict) or not state or not all(torch.is_tensor(v) for v in state.values()):
        raise ValueError(f"{path}: neither a module nor a state_dict (a dict of tensors)")
    return state


def is_onnx(path):
    """An .onnx file, or a protobuf whose first field is ir_version (tag byte 0x08) and not a torch.save."""
    with open(path, "rb") as f:
        head = f.read(9)
    return path.suffix == ".onnx" or (head.startswith(b"\x08") and not h5py.is_hdf5(path))


def read_source(path):
    """(module or state_dict, HDF5 attributes) of --in; a .pt file has no attributes."""
    if h5py.is_hdf5(path):
        return model_file.read_state_dict_file(path)
    with open(path, "rb") as f:
        head = f.read(9)
    if not head.startswith((b"PK", b"\x80")):  # torch.save's zip, or a legacy pickle
        if path.suffix == ".safetensors" or head[8:9] == b"{":
            raise ValueError(f"{path}: a SafeTensors file; load it into your module and give --module")
    return load_torch_file(path), {}


def class_names_from(argument, dataset):
    if argument is None:
        return cifar.CLASS_NAMES[dataset]
    if Path(argument).is_file():
        return [n for n in Path(argument).read_text().splitlines() if n.strip()]
    return argument.split(",")


def module_from_factory(spec):
    """FACTORY() of 'MODULE:FACTORY'."""
    if ":" not in spec:
        raise ValueError(f"--module {spec}: give MODULE:FACTORY (for example mynets:make_net)")
    module_name, factory_name = spec.split(":", 1)
    sys.path.insert(0, ".")  # the user's own file in the current directory, as `python -m` would find it
    try:
        factory = getattr(importlib.import_module(module_name), factory_name)
    except (ImportError, AttributeError) as e:
        raise ValueError(f"--module {spec}: {e}") from None
    finally:
        sys.path.pop(0)
    net = factory()
    if not isinstance(net, nn.Module):
        raise ValueError(f"--module {spec}: {factory_name}() returned a {type(net).__name__}, not an nn.Module")
    return net


def float_list(text, what):
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise ValueError(f"{what} '{text}': give comma-separated numbers") from None
    return values


def from_torch(args, source):
    """(arch, state, reference, route, HDF5 attributes, dataset) of a PyTorch module or state_dict."""
    loaded, attrs = read_source(source) if source else (None, {})
    dataset = args.dataset or attrs.get("dataset")
    if args.module or isinstance(loaded, nn.Module):
        if args.arch:
            raise ValueError("--arch names a built-in architecture; a traced module has its own")
        net = module_from_factory(args.module) if args.module else loaded
        if args.module and loaded is not None:
            if isinstance(loaded, nn.Module):
                loaded = loaded.state_dict()
            try:
                net.load_state_dict(loaded)
            except RuntimeError as e:
                raise ValueError(f"{source}: does not fit {type(net).__name__}: {str(e).splitlines()[0]}") from None
        input_shape = [int(v) for v in (args.input_shape or DEFAULT_INPUT_SHAPE).split(",")]
        arch, state = trace.trace(net, input_shape)
        arch["arch"] = args.name or type(net).__name__.lower()
        route = f"traced {type(net).__name__} with torch.fx"
    else:
        if loaded is None:
            raise ValueError("give --in (a state_dict, module or ONNX file) or --module MODULE:FACTORY")
        arch_name = args.arch or attrs.get("arch")
        if arch_name is None:
            raise ValueError(f"{source}: a state_dict: give --arch (built-in) or --module (your own module)")
        if dataset is None:
            raise ValueError(f"{source}: no 'dataset' attribute, give --dataset")
        num_classes = args.num_classes or attrs.get("num_classes") or len(cifar.CLASS_NAMES[dataset])
        arch = models.with_inputs(models.architecture(arch_name, num_classes))
        state = {k: v for k, v in loaded.items() if not k.endswith("num_batches_tracked")}
        model_file.check_parameters(arch, state)
        net = models.build_module(arch)
        net.load_state_dict(state, strict=False)
        route = f"state_dict of the built-in {arch_name}"
    return arch, state, verify.torch_reference(net), route, attrs, dataset, f"torch {torch.__version__}"


def from_onnx(args, source):
    """The same of an ONNX file: converted node by node, verified against onnxruntime."""
    if args.module or args.arch:
        raise ValueError(f"{source}: an ONNX file brings its own graph; --module and --arch do not apply")
    model = onnx_import.read(source)
    input_shape = [int(v) for v in args.input_shape.split(",")] if args.input_shape else None
    converted = onnx_import.convert(model, input_shape)
    arch = converted.arch
    arch["arch"] = args.name or source.stem.lower()
    run, record = onnx_import.reference(source, converted)
    reference = verify.Reference(run, record, what="the ONNX model")
    return (arch, converted.state, reference, f"converted from {converted.description}", {}, args.dataset,
            f"onnx {onnx_import.onnx_version()}")


def export(args):
    source = Path(args.source) if args.source else None
    if source is not None and not source.is_file():
        raise ValueError(f"{source}: no such file")
    route_of = from_onnx if source is not None and is_onnx(source) else from_torch
    arch, state, reference, route, attrs, dataset, made_with = route_of(args, source)
    if dataset is not None and dataset not in cifar.NORMALIZATION:
        raise ValueError(f"unknown dataset '{dataset}' (known: {', '.join(sorted(cifar.NORMALIZATION))})")
    if dataset is None and (args.mean is None or args.std is None or args.class_names is None):
        raise ValueError("give --dataset, or --mean, --std and --class-names")

    # The file's own statistics, unless --dataset names another dataset than the file's.
    normalization = dict(cifar.NORMALIZATION[dataset]) if dataset else {}
    if dataset and dataset == attrs.get("dataset"):
        normalization.update({k: attrs[k] for k in ("mean", "std") if k in attrs})
    if args.mean:
        normalization["mean"] = float_list(args.mean, "--mean")
    if args.std:
        normalization["std"] = float_list(args.std, "--std")
    class_names = class_names_from(args.class_names, dataset)
    if len(class_names) != arch["num_classes"]:
        raise ValueError(f"{len(class_names)} class names for a model of {arch['num_classes']} outputs "
                         f"(give --class-names)")
    provenance = {"created_by": f"ftcnn python/ftcnn/export.py ({made_with})", "export": route}
    provenance["source"] = (f"{source.name} (sha256 {hashlib.sha256(source.read_bytes()).hexdigest()[:16]})"
                            if source else f"{args.module}()")
    if "test_accuracy" in attrs:
        # The shared weights' accuracies are on the full test split.
        provenance.update(test_accuracy=float(attrs["test_accuracy"]), test_images=10_000)

    # Written and verified under a temporary name; the verified file is written to --out with the check's
    # record, so a failed check leaves nothing (and never a previous file overwritten).
    out = Path(args.out)
    unverified = out.with_name(out.name + ".unverified")
    preprocessing = {"scale": model_file.PIXEL_SCALE, **normalization}
    try:
        model_file.save_model(unverified, state, arch, dataset or "custom", class_names, normalization["mean"],
                              normalization["std"], provenance)
        provenance["verification"] = verify.verify(unverified, reference, preprocessing, args.ftcnn, args.data,
                                                   args.seed, args.tolerance, args.threads)
    finally:
        unverified.unlink(missing_ok=True)
    model_file.save_model(out, state, arch, dataset or "custom", class_names, normalization["mean"],
                          normalization["std"], provenance)
    check = provenance["verification"]
    images = check["images"]["random"] + check["images"].get("real", 0)
    return (f"{out}: {arch['arch']} ({route}), {len(arch['layers'])} layers, {len(class_names)} classes, "
            f"{models.count_parameters(arch):,} parameters; verified on {images} images: predictions "
            f"identical, largest logit difference {check['max_relative_logit_difference']:.2g} (relative)")


def main():
    parser = argparse.ArgumentParser(prog="python3 -m ftcnn.export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--in", dest="source", help="state_dict (.h5, .pt, .pth), a torch.save'd module or an "
                                                    "ONNX file (.onnx)")
    parser.add_argument("--module", metavar="MODULE:FACTORY", help="build the network with MODULE.FACTORY()")
    parser.add_argument("--out", required=True, help="ftcnn model file to write")
    parser.add_argument("--arch", choices=models.ARCHITECTURES, help="built-in architecture of a state_dict")
    parser.add_argument("--name", help="architecture name of a traced module (default: its class, lower case)")
    parser.add_argument("--input-shape", help="C,H,W of one input (default: an ONNX graph's own, else 3,32,32)")
    parser.add_argument("--num-classes", type=int, help="classes (default: the file's, else the dataset's)")
    parser.add_argument("--dataset", help="cifar10 or cifar100: normalisation and class names (default: the file's)")
    parser.add_argument("--mean", help="per-channel mean of the normalisation, comma-separated")
    parser.add_argument("--std", help="per-channel standard deviation, comma-separated")
    parser.add_argument("--class-names", help="a file with one name a line, or comma-separated names "
                                              "(default: the dataset's)")
    parser.add_argument("--ftcnn", help="the ftcnn binary that verifies the export")
    parser.add_argument("--data", help="dataset (any --data of ftcnn, docs/datasets.md) whose first test images "
                                        "join the verification")
    parser.add_argument("--tolerance", type=float, default=verify.TOLERANCE,
                        help=f"largest logit difference over the image's largest logit (default {verify.TOLERANCE:g})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random verification images (default 0)")
    parser.add_argument("--threads", type=int, help="threads of ftcnn eval (default: all)")
    args = parser.parse_args()
    try:
        print(export(args))
    except (ValueError, OSError, RuntimeError) as e:
        print(f"ftcnn.export: error: {str(e).splitlines()[0] if str(e) else type(e).__name__}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
