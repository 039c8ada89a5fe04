"""Trains a CNN on CIFAR and writes it as an ftcnn model file.

  python3 -m ftcnn.train --arch small --data cifar-10-batches-py --epochs 7 --out small.h5
  python3 -m ftcnn.train --arch vgg11 --data cifar-10-batches-bin --epochs 30 --device cuda --out vgg11.h5
  python3 -m ftcnn.train --arch small --pack cifar10-jpeg.npz --out small.h5  # a JPEG CIFAR pack
  python3 -m ftcnn.train --finetune pruned.h5 --data D                # 10 epochs at lr 0.001, written back
  python3 -m ftcnn.train --finetune r20.h5 --pack P --schedule one-cycle --lr 0.1 --epochs 20 --out r20b.h5

--data takes what `ftcnn --data` takes (docs/datasets.md: CIFAR binary or python folders, .npz/.h5 arrays)
with its train and test splits; --pack a JPEG CIFAR pack (ftcnn.cifar.JpegPack). The built-in architectures
take 3 x 32 x 32 images; a dataset of another size trains a module of your own, exported with ftcnn.export.

Training: SGD with Nesterov momentum 0.9, weight decay 5e-4, a one-cycle learning-rate schedule (constant
--lr when fine-tuning; `--schedule one-cycle` runs a fine-tune as a second cycle, a warm restart), random crop with 4 pixels of zero padding and horizontal flips, optional label
smoothing. The data is decoded once into uint8 tensors (optionally cached with --cache) that live on the
training device with the augmentation, so a GPU never waits for a data loader. On CUDA the forward pass
runs under bf16 autocast; on the CPU everything is float32. Every random choice comes from --seed (CUDA
kernels themselves may still be non-deterministic).

--finetune builds the PyTorch module from the file's architecture JSON, so a pruned architecture (edited
channel counts) trains as it is stored, and keeps the file's own normalisation and class names.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ftcnn import cifar, datasets, model_file, models

CROP_PADDING = 4
EVAL_BATCH = 1000


def load_dataset(path):
    """(name, class names, {split: (images, int64 labels)}, scaled) from any --data layout: uint8 [N, H, W, C]
    images, or float32 [N, C, H, W] already scaled."""
    splits = {s: datasets.load(path, s) for s in ("train", "test")}
    test = splits["test"]
    if splits["train"].item != test.item or splits["train"].scaled != test.scaled:
        raise ValueError(f"{path}: the train and test images differ in shape or type")
    names = test.class_names or [str(i) for i in range(test.num_classes)]
    return test.name, names, {s: (d.images, d.labels) for s, d in splits.items()}, test.scaled


def load_data(pack_path, cache_path):
    """(dataset, class names, {split: (uint8 images [N, 32, 32, 3], int64 labels [N])}), decoded once."""
    stamp = f"{Path(pack_path).resolve()}:{os.path.getsize(pack_path)}:{os.path.getmtime(pack_path)}"
    if cache_path and Path(cache_path).is_file():
        with np.load(cache_path) as cache:
            if str(cache["stamp"]) == stamp:
                print(f"data: cached decode {cache_path}")
                splits = {s: (cache[f"{s}_x"], cache[f"{s}_y"]) for s in ("train", "test")}
                return str(cache["dataset"]), [str(n) for n in cache["class_names"]], splits
    pack = cifar.JpegPack(pack_path)
    start = time.perf_counter()
    splits = {s: (pack.decode(s), pack.labels(s).astype(np.int64)) for s in ("train", "test")}
    print(f"data: decoded {pack_path} in {time.perf_counter() - start:.1f} s")
    if cache_path:
        np.savez(cache_path, stamp=stamp, dataset=pack.dataset, class_names=pack.class_names,
                 **{f"{s}_{k}": v for s, (x, y) in splits.items() for k, v in (("x", x), ("y", y))})
    return pack.dataset, pack.class_names, splits


class Normalize:
    """uint8 NCHW on the device -> normalised float32, `(pixel * scale - mean) / std` as the engine does;
    already scaled float images: `(value - mean) / std`."""

    def __init__(self, preprocessing, device, scaled=False):
        self.scale = 1.0 if scaled else preprocessing["scale"]
        self.mean = torch.tensor(preprocessing["mean"], device=device).view(1, -1, 1, 1)
        self.std = torch.tensor(preprocessing["std"], device=device).view(1, -1, 1, 1)

    def __call__(self, x):
        return (x.float() * self.scale - self.mean) / self.std


def augment(padded, generator):
    """Random H x W crops of zero-padded images [B, C, H + 8, W + 8], half of them flipped left-right."""
    b, channels, device = padded.shape[0], padded.shape[1], padded.device
    height, width = padded.shape[2] - 2 * CROP_PADDING, padded.shape[3] - 2 * CROP_PADDING
    offsets = torch.randint(0, 2 * CROP_PADDING + 1, (2, b), generator=generator, device=device)
    rows = (offsets[0, :, None] + torch.arange(height, device=device))[:, None, :, None]
    cols = (offsets[1, :, None] + torch.arange(width, device=device))[:, None, None, :]
    crops = padded[torch.arange(b, device=device)[:, None, None, None],
                   torch.arange(channels, device=device)[None, :, None, None], rows, cols]
    flip = torch.rand(b, generator=generator, device=device) < 0.5
    return torch.where(flip[:, None, None, None], crops.flip(3), crops)


def evaluate(module, images, labels, normalize):
    """Float32 test accuracy (no autocast, no TF32), as the model file will be run."""
    module.eval()
    tf32 = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    correct = 0
    with torch.no_grad():
        for start in range(0, len(images), EVAL_BATCH):
            logits = module(normalize(images[start:start + EVAL_BATCH]))
            correct += (logits.argmax(1) == labels[start:start + EVAL_BATCH]).sum().item()
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = tf32
    return correct / len(images)


def one_cycle(total_steps, warmup_fraction=0.25, start_factor=0.04):
    """Learning-rate factor of a triangular one-cycle schedule: a linear rise from `start_factor` to 1 over
    the first quarter of the steps, then a linear fall to 0 at the end (well defined for any step count)."""
    peak = max(1, round(total_steps * warmup_fraction))

    def factor(step):
        if step < peak:
            return start_factor + (1 - start_factor) * step / peak
        return max(0.0, (total_steps - step) / max(1, total_steps - peak))
    return factor


def train(module, train_x, train_y, normalize, args, device):
    generator = torch.Generator(device=device)
    generator.manual_seed(args.seed)
    padded = F.pad(train_x, [CROP_PADDING] * 4)  # once, not per batch
    steps_per_epoch = (len(train_x) + args.batch - 1) // args.batch
    optimizer = torch.optim.SGD(module.parameters(), lr=args.lr, momentum=0.9, nesterov=True,
                                weight_decay=args.weight_decay)
    # Fine-tuning keeps the small constant rate unless asked for a cycle; training from scratch warms up and
    # anneals.
    schedule = None if args.schedule == "constant" else torch.optim.lr_scheduler.LambdaLR(
        optimizer, one_cycle(args.epochs * steps_per_epoch))
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
    start = time.perf_counter()
    for epoch in range(args.epochs):
        module.train()
        order = torch.randperm(len(train_x), generator=generator, device=device)
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.int64)
        for step in range(steps_per_epoch):
            batch = order[step * args.batch:(step + 1) * args.batch]
            x = normalize(augment(padded[batch], generator))
            y = train_y[batch]
            with autocast:
                logits = module(x)
                loss = F.cross_entropy(logits, y, label_smoothing=args.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if schedule:
                schedule.step()
            loss_sum += loss.detach() * len(batch)
            correct += (logits.argmax(1) == y).sum()
        print(f"epoch {epoch + 1}/{args.epochs}: loss {loss_sum.item() / len(train_x):.4f}, "
              f"train accuracy {correct.item() / len(train_x):.4f}, {time.perf_counter() - start:.0f} s",
              flush=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(prog="python3 -m ftcnn.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=models.ARCHITECTURES, help="architecture to train from scratch")
    parser.add_argument("--finetune", metavar="MODEL.h5", help="fine-tune this ftcnn model file instead")
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument("--data", help="dataset with train and test splits, as ftcnn --data takes (docs/datasets.md)")
    data.add_argument("--pack", help="JPEG CIFAR pack (.npz)")
    parser.add_argument("--cache", help="decoded-pack cache (.npz) to reuse or create")
    parser.add_argument("--epochs", type=int, help="epochs (default 30; 10 when fine-tuning)")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--lr", type=float, help="peak learning rate (default 0.1; 0.001 when fine-tuning)")
    parser.add_argument("--schedule", choices=("one-cycle", "constant"),
                        help="learning-rate schedule (default one-cycle; constant when fine-tuning)")
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--label-smoothing", type=float, default=0.0)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="ftcnn model file to write (default with --finetune: the input file)")
    args = parser.parse_args()
    if (args.arch is None) == (args.finetune is None):
        parser.error("give exactly one of --arch and --finetune")
    if args.out is None and not args.finetune:
        parser.error("--out is required when training from scratch")
    args.epochs = args.epochs or (10 if args.finetune else 30)
    args.lr = args.lr or (0.001 if args.finetune else 0.1)
    args.schedule = args.schedule or ("constant" if args.finetune else "one-cycle")
    args.out = args.out or args.finetune
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda, but PyTorch sees no CUDA device")
    # This PyTorch build starts with one thread whatever the machine has.
    torch.set_num_threads(args.threads or os.cpu_count())
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True

    try:
        scaled = False
        if args.pack:
            dataset, class_names, splits = load_data(args.pack, args.cache)
        else:
            dataset, class_names, splits, scaled = load_dataset(args.data)
        source_name = Path(args.pack or args.data).name
        if args.finetune:
            module, metadata = model_file.load_model(args.finetune)
            if metadata["format"] != model_file.FORMAT:
                raise ValueError(f"{args.finetune}: not an ftcnn model file (convert it with python3 -m ftcnn.export)")
            if metadata["architecture"]["num_classes"] != len(class_names):
                raise ValueError(f"{args.finetune} has {metadata['architecture']['num_classes']} classes, "
                                 f"the pack {len(class_names)}")
            preprocessing, class_names = metadata["preprocessing"], metadata["class_names"]
            dataset = metadata["dataset"]
            source = {"source": f"fine-tuned from {Path(args.finetune).name} on {source_name}",
                      "parent": metadata["provenance"]}
        else:
            arch = models.architecture(args.arch, len(class_names))
            module = models.build_module(arch)
            if dataset not in cifar.NORMALIZATION:
                raise ValueError(f"{source_name}: the built-in architectures are CIFAR's (3 x 32 x 32, with "
                                 f"CIFAR's normalisation); train a module of your own for {dataset}")
            preprocessing = {"scale": model_file.PIXEL_SCALE, **cifar.NORMALIZATION[dataset]}
            source = {"source": f"trained from scratch on {source_name}"}
    except (ValueError, OSError) as e:
        print(f"ftcnn.train: error: {e}", file=sys.stderr)
        return 1

    module.to(device)
    normalize = Normalize(preprocessing, device, scaled)
    train_x, test_x = (torch.from_numpy(splits[s][0]).to(device) if scaled else
                       torch.from_numpy(splits[s][0]).permute(0, 3, 1, 2).contiguous().to(device)
                       for s in ("train", "test"))
    if list(train_x.shape[1:]) != list(module.arch["input"]):
        print(f"ftcnn.train: error: the model takes {module.arch['input']} inputs, the data holds "
              f"{list(train_x.shape[1:])}", file=sys.stderr)
        return 1
    train_y, test_y = (torch.from_numpy(splits[s][1]).to(device) for s in ("train", "test"))
    print(f"{module.arch['arch']}: {models.count_parameters(module.arch):,} parameters, "
          f"{len(train_x)} training images, {args.epochs} epochs on {device}"
          f"{'' if device.type == 'cuda' else f' ({torch.get_num_threads()} threads)'}")

    seconds = train(module, train_x, train_y, normalize, args, device)
    accuracy = evaluate(module, test_x, test_y, normalize)
    print(f"test accuracy {accuracy:.4f} on {len(test_x)} images (float32), training took {seconds:.0f} s")

    device_name = torch.cuda.get_device_name() if device.type == "cuda" else f"cpu x{torch.get_num_threads()}"
    provenance = {"created_by": f"ftcnn python/ftcnn/train.py (torch {torch.__version__})", **source,
                  "script": "python/ftcnn/train.py", "args": vars(args), "seed": args.seed, "epochs": args.epochs,
                  "device": device_name, "train_seconds": round(seconds, 1), "test_accuracy": accuracy,
                  "test_images": len(test_x)}
    model_file.save_model(args.out, module.cpu(), module.arch, dataset, class_names, preprocessing["mean"],
                          preprocessing["std"], provenance)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
