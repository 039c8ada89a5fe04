#!/usr/bin/python3
"""Campaign repetitions per second with and without checkpoints (issue 14), beside PyTorch's loop.

  bench/campaign_checkpoints.py --ftcnn build/ftcnn --weights DIR --cifar10 DIR --cifar100 DIR \\
      [--bers 1e-8,1e-7,1e-6,1e-5] [--counts paper,binomial] [--threads 2] [--pytorch] [--out results.json]

For each model (AlexNet and VGG-11 on CIFAR-10, VGG-16 on CIFAR-100: the files alexnet_cifar10.h5,
vgg11_cifar10.h5, vgg16_cifar100.h5 in --weights), BER and count model, `ftcnn campaign --json` runs twice
in one loop, with `--checkpoint-memory 0` (every repetition a whole forward pass) and with the default
(`auto`: a quarter of the free memory); the per-BER results of the two must be equal (the script fails
otherwise), and the table gives both repetitions/s, their ratio, the checkpoints and the linear tail
recomputed row by row on the CPU (docs/campaigns.md), and the memory both keep. A paper-count BER
that injects no fault into the model is reported as such and skipped (its campaign would be refused).
--pytorch adds bench/pytorch_reference.py's fault-injection loop (paper counts, AlexNet) at 1e-5 and at
the lowest BER, for ftcnn with checkpoints / PyTorch. The processor is recorded with every row.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import cpu_isa, cpu_model  # noqa: E402

MODELS = [("alexnet_cifar10.h5", "cifar10", 1000, 20), ("vgg11_cifar10.h5", "cifar10", 500, 10),
          ("vgg16_cifar100.h5", "cifar100", 500, 6)]


def campaign(args, model, data, images, reps, ber, count, memory, out):
    command = [args.ftcnn, "campaign", "--model", model, "--data", data, "--images", str(images),
               "--ber", f"{ber:g}", "--reps", str(reps), "--count", count, "--threads", str(args.threads),
               "--checkpoint-memory", memory, "--out", out, "--json"]
    if args.ftcnn_batch > 0:
        command += ["--batch", str(args.ftcnn_batch)]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        line = (run.stderr.strip().splitlines() or [""])[-1]
        if "injects no fault" in line or "no fault" in line:
            return None
        sys.exit(f"campaign_checkpoints: {' '.join(command)} failed: {line}")
    return json.loads(run.stdout)


def describe(checkpoints):
    """The layers repetitions may start at, and the linear tail recomputed row by row (CPU), if any."""
    text = ", ".join(checkpoints["layers"]) or "none"
    tail = checkpoints.get("linear_tail")
    return f"{text}; tail {', '.join(tail['layers'])}" if tail else text


def kept_bytes(checkpoints):
    return checkpoints["bytes"] + checkpoints.get("linear_tail", {}).get("bytes", 0)


def pytorch(args, model, data, images, reps, ber):
    script = Path(__file__).resolve().parent / "pytorch_reference.py"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "python"))
    command = ["/usr/bin/python3", str(script), "--model", model, "--data", data, "--images", str(images),
               "--batch", "1000", "--warmup", "1", "--repeats", "1", "--threads", str(args.threads),
               "--campaign-reps", str(reps), "--ber", f"{ber:g}", "--json"]
    run = subprocess.run(command, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        sys.exit(f"campaign_checkpoints: {' '.join(command)} failed: {run.stderr.strip()[-400:]}")
    return json.loads(run.stdout)["campaign"]["repetitions_per_second"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ftcnn", required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--cifar10", required=True, help="CIFAR-10 binary folder (test_batch.bin)")
    parser.add_argument("--cifar100", help="CIFAR-100 binary folder (test.bin); VGG-16 is left out without it")
    parser.add_argument("--bers", default="1e-8,1e-7,1e-6,1e-5")
    parser.add_argument("--counts", default="paper,binomial")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ftcnn-batch", type=int, default=0,
                        help="ftcnn campaign --batch (default 0: its own default, 128 on the CPU); PyTorch's is 1000")
    parser.add_argument("--models", help="comma-separated file names (default: all three)")
    parser.add_argument("--pytorch", action="store_true")
    parser.add_argument("--out", help="also write every row as JSON here")
    args = parser.parse_args()
    bers = [float(b) for b in args.bers.split(",")]
    processor = f"{cpu_model()} ({' '.join(cpu_isa())})"
    rows = []
    print(f"processor: {processor}, {args.threads} threads")
    print("| model | images | BER | count | faults/rep | rep/s whole | rep/s checkpoints | gain | checkpoints | memory MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, dataset, images, reps in MODELS:
            if args.models and name not in args.models.split(","):
                continue
            data = args.cifar10 if dataset == "cifar10" else args.cifar100
            if data is None:
                continue
            model = str(Path(args.weights) / name)
            for count in args.counts.split(","):
                for ber in bers:
                    runs = {}
                    for memory in ("0", "auto"):
                        out = os.path.join(tmp, f"{name}-{count}-{ber:g}-{memory}")
                        runs[memory] = campaign(args, model, data, images, reps, ber, count, memory, out)
                    if runs["0"] is None:
                        print(f"| {name} | {images} | {ber:g} | {count} | 0 (no fault: refused) | | | | | |")
                        continue
                    whole, checked = runs["0"], runs["auto"]
                    if whole["per_ber"] != checked["per_ber"]:
                        sys.exit(f"campaign_checkpoints: {name} BER {ber:g} {count}: results differ with checkpoints")
                    faults = whole["per_ber"][0]["faults_per_repetition"]
                    faults = faults["mean"] if isinstance(faults, dict) else faults
                    gain = checked["repetitions_per_second"] / whole["repetitions_per_second"]
                    row = {"model": name, "images": images, "ber": ber, "count": count, "repetitions": reps,
                           "faults_per_repetition": faults,
                           "whole_rps": whole["repetitions_per_second"],
                           "checkpoint_rps": checked["repetitions_per_second"], "gain": gain,
                           "checkpoints": checked["checkpoints"], "processor": processor,
                           "threads": args.threads, "version": checked["version"]}
                    rows.append(row)
                    print(f"| {name} | {images} | {ber:g} | {count} | {faults:g} "
                          f"| {row['whole_rps']:.2f} | {row['checkpoint_rps']:.2f} | {gain:.2f}x "
                          f"| {describe(checked['checkpoints'])} "
                          f"| {kept_bytes(checked['checkpoints']) / 2**20:.1f} |", flush=True)
        if args.pytorch:
            name, _, images, reps = MODELS[0]
            model = str(Path(args.weights) / name)
            for ber in sorted({1e-5, min(bers)}):
                mine = [r for r in rows if r["model"] == name and r["ber"] == ber and r["count"] == "paper"]
                if not mine:
                    continue
                theirs = pytorch(args, model, args.cifar10, images, reps, ber)
                ratio = mine[0]["checkpoint_rps"] / theirs
                rows.append({"model": name, "ber": ber, "count": "paper", "pytorch_rps": theirs,
                             "ftcnn_checkpoint_rps": mine[0]["checkpoint_rps"], "ratio": ratio,
                             "processor": processor})
                print(f"PyTorch {name} BER {ber:g} paper: {theirs:.2f} rep/s; ftcnn with checkpoints "
                      f"{mine[0]['checkpoint_rps']:.2f} rep/s: {ratio:.2f}x")
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
