"""Converts a PyTorch state_dict (HDF5 as in ../shared/weights/, or a torch.save'd .pt) into an ftcnn model file.

  python3 -m ftcnn.export --in ../shared/weights/vgg11_cifar10.h5 --out vgg11_cifar10.ftcnn.h5
  python3 -m ftcnn.export --in model.pt --arch small --dataset cifar10 --out small.h5

The architecture comes from --arch or the HDF5 file's `arch` attribute; the number of classes from
--num-classes, the `num_classes` attribute or the dataset; dataset, normalisation and test accuracy from
the file's attributes, else from --dataset and that dataset's standard statistics.
"""

import argparse
import hashlib
import sys
from pathlib import Path

import h5py
import torch

from ftcnn import cifar, model_file, models


def read_pt_state_dict(path):
    """A state_dict saved with torch.save: the dict itself, or one under 'state_dict' / 'model'."""
    try:
        state = torch.load(path, map_location="cpu")
    except Exception as e:  # torch.load raises whatever unpickling a foreign file raises
        raise ValueError(f"{path}: torch.load failed ({type(e).__name__}: {e})") from None
    if isinstance(state, dict):
        for key in ("state_dict", "model"):
            if isinstance(state.get(key), dict):
                state = state[key]
    if not isinstance(state, dict) or not state or not all(torch.is_tensor(v) for v in state.values()):
        raise ValueError(f"{path}: not a state_dict (a dict of tensors)")
    return state


def read_source(path):
    """(state_dict, attributes) of the input; a .pt file has no attributes."""
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    if path.suffix in (".pt", ".pth"):
        return read_pt_state_dict(path), {}
    if not h5py.is_hdf5(path):
        raise ValueError(f"{path}: neither HDF5 nor a .pt/.pth file")
    return model_file.read_state_dict_file(path)


def class_names_from(argument, dataset):
    if argument is None:
        return cifar.CLASS_NAMES[dataset]
    if Path(argument).is_file():
        return [n for n in Path(argument).read_text().splitlines() if n.strip()]
    return argument.split(",")


def export(args):
    source = Path(args.source)
    state, attrs = read_source(source)
    arch_name = args.arch or attrs.get("arch")
    if arch_name is None:
        raise ValueError(f"{source}: no 'arch' attribute, give --arch")
    dataset = args.dataset or attrs.get("dataset")
    if dataset is None:
        raise ValueError(f"{source}: no 'dataset' attribute, give --dataset")
    if dataset not in cifar.NORMALIZATION:
        raise ValueError(f"{source}: unknown dataset '{dataset}', give --dataset")
    num_classes = args.num_classes or attrs.get("num_classes") or len(cifar.CLASS_NAMES[dataset])
    arch = models.architecture(arch_name, num_classes)
    state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    model_file.check_parameters(arch, state)

    # The file's own statistics, unless --dataset names another dataset than the file's.
    normalization = dict(cifar.NORMALIZATION[dataset])
    if dataset == attrs.get("dataset"):
        normalization.update({k: attrs[k] for k in ("mean", "std") if k in attrs})
    class_names = class_names_from(args.class_names, dataset)
    provenance = {"created_by": f"ftcnn python/ftcnn/export.py (torch {torch.__version__})",
                  "source": f"{source.name} (sha256 {hashlib.sha256(source.read_bytes()).hexdigest()[:16]})"}
    if "test_accuracy" in attrs:
        # The shared weights' accuracies are on the full test split.
        provenance.update(test_accuracy=float(attrs["test_accuracy"]), test_images=10_000)
    model_file.save_model(args.out, state, arch, dataset, class_names, normalization["mean"],
                          normalization["std"], provenance)
    return f"{args.out}: {arch_name}, {dataset}, {len(class_names)} classes, " \
           f"{models.count_parameters(arch):,} parameters"


def main():
    parser = argparse.ArgumentParser(prog="python3 -m ftcnn.export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--in", dest="source", required=True, help="state_dict .h5, .pt or .pth")
    parser.add_argument("--out", required=True, help="ftcnn model file to write")
    parser.add_argument("--arch", choices=models.ARCHITECTURES, help="architecture (overrides the file's)")
    parser.add_argument("--num-classes", type=int, help="classes (default: the file's, else the dataset's)")
    parser.add_argument("--dataset", choices=sorted(cifar.NORMALIZATION), help="dataset (default: the file's)")
    parser.add_argument("--class-names", help="a file with one name a line, or comma-separated names "
                                              "(default: the dataset's)")
    args = parser.parse_args()
    try:
        print(export(args))
    except (ValueError, OSError, RuntimeError) as e:
        print(f"ftcnn.export: error: {str(e).splitlines()[0] if str(e) else type(e).__name__}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
