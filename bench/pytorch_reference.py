#!/usr/bin/python3
"""The PyTorch anchor for `ftcnn bench`: what a PyTorch user would run on the same model and images.

  PYTHONPATH=python bench/pytorch_reference.py --model data/default/small_cifar10.h5 \\
      --data data/default/cifar10-test-slice --device cpu --threads 2 --repeats 3 --campaign-reps 5 --ber 1e-5 [--json]

Same model file (ftcnn model file or state_dict HDF5, read by ftcnn.model_file into the generic module
of ftcnn.models, python/ftcnn/), same images (official CIFAR binary test file, the first --images),
preprocessed once and resident on the device. Eager float32: TF32 off for matmul and cuDNN,
cudnn.benchmark on. For each --batch: --warmup untimed passes over all images, then --repeats timed passes
(CUDA events on the GPU, time.perf_counter on the CPU); median, min and max milliseconds for the whole set.

--campaign-reps R > 0 adds the fault-injection loop a PyTorch researcher would write, at --ber with the
paper's count (floor(BER x 32 x elements) per layer, every state_dict tensor of the layer: weights, biases,
BatchNorm gamma, beta and running statistics, as ftcnn's default targets). Per repetition:
  inject   per layer, draw the sites as flat bit indices with torch.randint on the device; bits drawn an
           even number of times cancel (torch.unique with counts: a bit flipped twice is restored, as in
           ftcnn); the surviving bits of one element are distinct powers of two, so their sum is their XOR
           mask; each tensor, viewed as int32, gets `t[e] ^= mask` on unique elements
  evaluate batches of the first --batch over all images; argmax and finiteness compared with the golden
           predictions on the device (masked / SDC / DUE as ftcnn counts them); one .item() per repetition
  restore  the same XOR again (exact)
Timed: R repetitions (per-rep ms, reps/s), each followed by an evaluation alone, after one warm-up of each;
then R inject + restore alone (synchronised). At the end the parameters are checked bit for bit against a copy taken at the start.
The fault sites are not ftcnn's (another generator): counts per layer match, sites do not.

Output: a summary, or with --json one JSON object on stdout (torch and cuDNN versions, device, config,
timings) that bench/compare.py reads beside `ftcnn bench --json`.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

from ftcnn import cifar_binary, model_file
from machine import cpu_isa, cpu_model  # bench/machine.py (this script's folder is on sys.path)


def summarize_ms(runs):
    return {"median": statistics.median(runs), "min": min(runs), "max": max(runs), "runs": runs}


class Timer:
    """Milliseconds of a region: CUDA events on the current stream, or perf_counter on the CPU."""

    def __init__(self, device):
        self.cuda = device.type == "cuda"

    def __call__(self, body):
        if self.cuda:
            start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            result = body()
            stop.record()
            stop.synchronize()
            return start.elapsed_time(stop), result
        start = time.perf_counter()
        result = body()
        return 1000.0 * (time.perf_counter() - start), result


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_inference(model, x, labels, batch, warmup, repeats, timer):
    n = x.shape[0]

    def one_pass():
        return [model(x[i:i + batch]) for i in range(0, n, batch)]

    for _ in range(warmup):
        one_pass()
    synchronize(x.device)
    runs, logits = [], None
    for _ in range(repeats):
        ms, logits = timer(one_pass)
        runs.append(ms)
    logits = torch.cat(logits)
    finite = torch.isfinite(logits).all(1)
    correct = int((finite & (logits.argmax(1) == labels)).sum().item())
    ms = summarize_ms(runs)
    return {"batch": batch, "ms": ms, "images_per_second": n / (ms["median"] / 1000.0),
            "accuracy": correct / n, "non_finite": int((~finite).sum().item())}


class FaultInjector:
    """Per layer: its state tensors viewed as flat int32, their offsets within the layer, the paper count."""

    def __init__(self, model, ber, seed, device):
        groups = {}
        for name, tensor in model.state_dict(keep_vars=True).items():
            if name.endswith("num_batches_tracked"):
                continue
            layer = name.rsplit(".", 1)[0]
            groups.setdefault(layer, []).append(tensor.data.view(-1).view(torch.int32))
        self.layers = []
        for layer, tensors in groups.items():
            offsets, total = [], 0
            for t in tensors:
                offsets.append(total)
                total += t.numel()
            count = int(ber * 32 * total)  # floor, as the paper (and SentinelNN's int()) count
            self.layers.append((layer, tensors, offsets, total, count))
        self.faults = sum(layer[4] for layer in self.layers)
        self.device = device
        self.generator = torch.Generator(device=device)
        self.generator.manual_seed(seed)

    def draw(self):
        """[(int32 tensor, unique element indices, int32 XOR masks)] of one repetition."""
        flips = []
        for _, tensors, offsets, total, count in self.layers:
            if count == 0:
                continue
            sites = torch.randint(0, total * 32, (count,), device=self.device, generator=self.generator)
            sites, times = torch.unique(sites, return_counts=True)
            sites = sites[times % 2 == 1]  # a bit drawn twice is flipped back
            element, bit = sites // 32, sites % 32
            for t, first in zip(tensors, offsets):
                inside = (element >= first) & (element < first + t.numel())
                e, b = element[inside] - first, bit[inside]
                e, where = torch.unique(e, return_inverse=True)
                mask = torch.zeros(e.shape[0], dtype=torch.int64, device=self.device)
                mask.index_add_(0, where, torch.ones_like(b) << b)  # distinct bits: sum == XOR
                mask = torch.where(mask >= 2 ** 31, mask - 2 ** 32, mask).to(torch.int32)
                flips.append((t, e, mask))
        return flips

    @staticmethod
    def apply(flips):
        for t, e, mask in flips:
            t[e] = t[e] ^ mask


def evaluate(model, x, labels, golden, batch):
    """(correct, masked, sdc, due) against the golden predictions, counted on the device."""
    counts = torch.zeros(4, dtype=torch.int64, device=x.device)
    for i in range(0, x.shape[0], batch):
        logits = model(x[i:i + batch])
        finite = torch.isfinite(logits).all(1)
        pred = logits.argmax(1)
        masked = finite & (pred == golden[i:i + batch])
        counts[0] += (finite & (pred == labels[i:i + batch])).sum()
        counts[1] += masked.sum()
        counts[2] += (finite & ~masked).sum()
        counts[3] += (~finite).sum()
    return counts.tolist()  # the one host synchronisation of a repetition


def run_campaign(model, x, labels, batch, reps, ber, seed):
    device = x.device
    golden = torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, x.shape[0], batch)])
    n = x.shape[0]
    golden_correct = int((golden == labels).sum().item())
    saved = [t.clone() for t in model.state_dict().values()]
    injector = FaultInjector(model, ber, seed, device)

    def repetition():
        flips = injector.draw()
        injector.apply(flips)
        outcome = evaluate(model, x, labels, golden, batch)
        injector.apply(flips)
        synchronize(device)  # the restore belongs to this repetition's time
        return outcome

    # Faulty repetitions and evaluations alone alternate, so that a drift of the machine falls on both alike.
    repetition()  # warm-ups
    evaluate(model, x, labels, golden, batch)
    rep_ms, accuracy, eval_ms, mismatches = [], [], [], 0
    for _ in range(reps):
        start = time.perf_counter()
        outcome = repetition()
        rep_ms.append(1000.0 * (time.perf_counter() - start))
        accuracy.append(outcome[0] / n)
        start = time.perf_counter()
        outcome = evaluate(model, x, labels, golden, batch)
        eval_ms.append(1000.0 * (time.perf_counter() - start))
        mismatches += n - outcome[1]
    inject_ms = []
    for _ in range(reps):
        synchronize(device)
        start = time.perf_counter()
        flips = injector.draw()
        injector.apply(flips)
        injector.apply(flips)
        synchronize(device)
        inject_ms.append(1000.0 * (time.perf_counter() - start))
    restored = all(torch.equal(a.view(-1).view(torch.int32), b.view(-1).view(torch.int32))
                   for a, b in zip(saved, model.state_dict().values()) if a.dtype == torch.float32)
    if not restored:
        raise RuntimeError("parameters differ from their saved copy after the campaign: restore failed")
    rep, ev = summarize_ms(rep_ms), summarize_ms(eval_ms)
    return {"ber": ber, "count": "paper", "seed": seed, "targets": "all", "batch": batch, "warmup": 1,
            "repetitions": reps, "faults_per_repetition": injector.faults,
            "golden_accuracy": golden_correct / n, "accuracy_mean": statistics.mean(accuracy),
            "repetition_ms": rep, "repetitions_per_second": 1000.0 / rep["median"],
            "eval_only_ms": ev, "eval_only_mismatches": mismatches,
            "injection_ms": summarize_ms(inject_ms),
            "injection_restore_overhead": rep["median"] / ev["median"] - 1.0, "restored": restored}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="ftcnn model file or state_dict HDF5")
    parser.add_argument("--arch", help="architecture of a state_dict file without an 'arch' attribute")
    parser.add_argument("--data", required=True, help="directory with the official CIFAR binary test file")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--batch", default="1000", help="comma-separated batch sizes (default 1000)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--images", type=int, help="use the first N test images (default: all)")
    parser.add_argument("--threads", type=int, help="CPU threads (torch.set_num_threads; default: torch's)")
    parser.add_argument("--campaign-reps", type=int, default=0)
    parser.add_argument("--ber", type=float, default=1e-5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args()
    try:
        batches = [int(b) for b in args.batch.split(",")]
        if not batches or min(batches) < 1 or args.repeats < 1 or args.warmup < 0 or args.campaign_reps < 0:
            raise ValueError("--batch, --repeats must be positive; --warmup, --campaign-reps not negative")
        if args.device == "cuda" and not torch.cuda.is_available():
            raise ValueError("--device cuda: PyTorch sees no CUDA device")
    except ValueError as e:
        print(f"pytorch_reference: error: {e}", file=sys.stderr)
        return 2

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    device = torch.device(args.device)
    date = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    load = os.getloadavg()[0]

    module, metadata = model_file.load_model(args.model, args.arch)
    if not isinstance(module, torch.nn.Module):
        print(f"pytorch_reference: error: {args.model}: no architecture (give --arch)", file=sys.stderr)
        return 2
    images, labels, _, dataset = cifar_binary.read_split(args.data, "test")
    if args.images:
        images, labels = images[:args.images], labels[:args.images]
    model = module.to(device).eval()
    x = model_file.preprocess(images, metadata["preprocessing"]).to(device).contiguous()
    y = torch.from_numpy(labels.astype("int64")).to(device)
    synchronize(device)
    timer = Timer(device)

    with torch.inference_mode():
        inference = [run_inference(model, x, y, b, args.warmup, args.repeats, timer) for b in batches]
        campaign = (run_campaign(model, x, y, batches[0], args.campaign_reps, args.ber, args.seed)
                    if args.campaign_reps > 0 else None)

    cuda = device.type == "cuda"
    result = {
        "command": "bench", "engine": "pytorch", "date": date,
        "torch": torch.__version__, "python": platform.python_version(),
        "device": args.device,
        "device_name": torch.cuda.get_device_name(device) if cuda else f"cpu ({torch.get_num_threads()} threads)",
        "cpu_model": cpu_model(),
        "cpu_isa": cpu_isa(),
        "hardware_threads": os.cpu_count(), "load_average_1min": load,
        "cuda": {"runtime": torch.version.cuda, "cudnn": str(torch.backends.cudnn.version())} if cuda else None,
        "settings": {"tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
                     "tf32_cudnn": torch.backends.cudnn.allow_tf32, "cudnn_benchmark": True, "mode": "eager fp32",
                     "inference_mode": True},
        "model": args.model, "arch": metadata["architecture"]["arch"],
        "parameters": sum(t.numel() for k, t in module.state_dict().items() if not k.endswith("num_batches_tracked")),
        "data": args.data, "dataset": dataset, "images": int(x.shape[0]), "batches": batches,
        "warmup": args.warmup, "repeats": args.repeats, "inference": inference, "campaign": campaign,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"PyTorch {torch.__version__} on {result['device_name']}: {args.model} ({result['arch']}) on "
          f"{result['images']} images; {args.warmup} warm-up and {args.repeats} timed passes")
    print(f"{'batch':>7} {'median ms':>10} {'min':>10} {'max':>10} {'images/s':>12} {'accuracy':>9}")
    for r in inference:
        ms = r["ms"]
        print(f"{r['batch']:>7} {ms['median']:>10.2f} {ms['min']:>10.2f} {ms['max']:>10.2f} "
              f"{r['images_per_second']:>12.0f} {100 * r['accuracy']:>8.2f}%")
    if campaign:
        c = campaign
        print(f"campaign at BER {c['ber']:g} (paper count, {c['faults_per_repetition']} faults/rep), batch "
              f"{c['batch']}, {c['repetitions']} timed repetitions:")
        print(f"  repetition {c['repetition_ms']['median']:.2f} ms median ({c['repetitions_per_second']:.2f} rep/s); "
              f"evaluation alone {c['eval_only_ms']['median']:.2f} ms; inject + restore alone "
              f"{c['injection_ms']['median']:.2f} ms; overhead {100 * c['injection_restore_overhead']:.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
