#!/usr/bin/python3
"""Acceptance check of the C++ engine: runs a model in PyTorch and in ftcnn on the same images and compares.

  PYTHONPATH=python experiments/compare_pytorch.py --weights data/default/small_cifar10.h5 \\
      --data data/default/cifar10-test-slice --ftcnn build/ftcnn [--json]
  PYTHONPATH=python experiments/compare_pytorch.py --weights W.h5 --data DIR   # PyTorch only: accuracy, time

(PYTHONPATH=python: the ftcnn package, python/ftcnn; experiments/check_pytorch_agreement.sh sets it.)

PyTorch runs float32 on the CPU in eval mode over every test image of --data (official CIFAR binary files,
as scripts/prepare_cifar writes them), preprocessed as the model file says. ftcnn runs
`ftcnn eval --model W --data DIR --device cpu --json --threads T --logits OUT.h5`, which prints a JSON object
with at least accuracy, images and seconds and writes its float32 logits [N, classes] to OUT.h5:/logits.

Reported: agreement of the argmax predictions, the largest absolute logit difference and the largest
relative ones (|ftcnn - torch| / max(|torch|, 1e-3) elementwise, and over the image's largest |logit|, which
must stay below 1e-4), both accuracies, and both times (PyTorch with
--threads threads in batches of 1000 after a warm-up batch, preprocessing included; ftcnn's own `seconds`
with the same --threads and batch).

Exit status 1 when fewer than 99.9 % of the predictions agree, or when the model file records a test
accuracy measured on as many images as were evaluated here (a state_dict file's `test_accuracy` is on the
full 10,000-image test split) and ftcnn's accuracy (PyTorch's, without --ftcnn) is more than 0.5 points
from it; 2 on bad input or when ftcnn fails.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import torch

from ftcnn import cifar_binary, model_file, models

MIN_AGREEMENT = 0.999
MAX_ROW_RELATIVE_ERROR = 1e-4  # |ftcnn - torch| over the largest |logit| of the image
MAX_ACCURACY_GAP = 0.005
FULL_TEST_IMAGES = 10_000
BATCH = 1000


def run_pytorch(module, images, preprocessing, threads):
    """(logits float32 [N, classes], seconds) of float32 CPU inference, timed after one warm-up batch."""
    torch.set_num_threads(threads)
    module.eval().float()
    with torch.no_grad():
        module(model_file.preprocess(images[:BATCH], preprocessing))
        start = time.perf_counter()
        logits = [module(model_file.preprocess(images[i:i + BATCH], preprocessing))
                  for i in range(0, len(images), BATCH)]
        seconds = time.perf_counter() - start
    return torch.cat(logits).numpy(), seconds


def run_ftcnn(binary, weights, data, arch, logits_path, threads):
    """(logits float32 [N, classes], the JSON ftcnn printed, wall seconds)."""
    # PyTorch's batch, so that the two times compare like for like (ftcnn's CPU default is 128).
    command = [binary, "eval", "--model", weights, "--data", data, "--device", "cpu", "--json",
               "--threads", str(threads), "--batch", str(BATCH), "--logits", logits_path] + (
                   ["--arch", arch] if arch else [])
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        tail = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"ftcnn exited with status {result.returncode}: {tail[0]}")
    report = parse_json_output(result.stdout)
    with h5py.File(logits_path, "r") as f:
        if "logits" not in f:
            raise RuntimeError(f"ftcnn wrote no 'logits' dataset to {logits_path}")
        logits = f["logits"][()].astype(np.float32)
    return logits, report, wall


def parse_json_output(stdout):
    """The JSON object ftcnn printed: the whole output, or else its last line that is one."""
    try:
        return json.loads(stdout)
    except json.JSONDecodeError:
        for line in reversed(stdout.splitlines()):
            if line.lstrip().startswith("{"):
                try:
                    return json.loads(line)
                except json.JSONDecodeError:
                    continue
    raise RuntimeError(f"ftcnn printed no JSON object: {stdout.strip()[:200]!r}")


def compare(torch_logits, ftcnn_logits, labels):
    if ftcnn_logits.shape != torch_logits.shape:
        raise RuntimeError(f"ftcnn logits are {list(ftcnn_logits.shape)}, PyTorch's {list(torch_logits.shape)}")
    difference = np.abs(ftcnn_logits.astype(np.float64) - torch_logits)
    agree = ftcnn_logits.argmax(1) == torch_logits.argmax(1)
    return {"agreement": float(agree.mean()),
            "disagreements": int((~agree).sum()),
            "max_abs_error": float(difference.max()),
            "max_rel_error": float((difference / np.maximum(np.abs(torch_logits), 1e-3)).max()),
            # Relative to each image's logit scale: an elementwise ratio explodes for logits near zero.
            "max_row_rel_error": float((difference / np.maximum(np.abs(torch_logits).max(1, keepdims=True),
                                                                1e-30)).max()),
            "ftcnn_accuracy_from_logits": float((ftcnn_logits.argmax(1) == labels).mean())}


def check_recorded_accuracy(metadata, accuracy, images, who):
    """(a line for the report, a failure or None): `accuracy` against the test accuracy the file records."""
    recorded = metadata["test_accuracy"]
    if recorded is None:
        return "none recorded: skipped", None
    recorded_images = int(metadata["provenance"].get("test_images", FULL_TEST_IMAGES))
    if recorded_images != images:
        return f"{recorded:.4f} on {recorded_images} images: skipped (evaluated {images})", None
    gap = abs(accuracy - recorded)
    if gap <= MAX_ACCURACY_GAP:
        return f"{recorded:.4f}, {who} within {100 * gap:.2f} points", None
    return (f"{recorded:.4f}, {who} off by {100 * gap:.2f} points",
            f"{who} accuracy {accuracy:.4f} is {100 * gap:.2f} points from the file's {recorded:.4f}")


def print_table(r):
    engines = ["pytorch"] + (["ftcnn"] if r["ftcnn"] else [])
    print(f"{'model':<16}{r['weights']} ({r['arch']}, {r['parameters']:,} parameters)")
    print(f"{'data':<16}{r['data']}: {r['images']} images, {r['threads']} threads")
    print(f"{'':<16}" + "".join(f"{e:>12}" for e in engines))
    print(f"{'accuracy':<16}" + "".join(f"{r[e + '_accuracy']:>12.4f}" for e in engines))
    print(f"{'seconds':<16}" + "".join(f"{r[e + '_seconds']:>12.3f}" for e in engines))
    print(f"{'images/s':<16}" + "".join(f"{r['images'] / max(r[e + '_seconds'], 1e-9):>12.0f}" for e in engines))
    if r["ftcnn"]:
        print(f"{'agreement':<16}{100 * r['agreement']:.3f} % ({r['disagreements']} predictions differ)")
        print(f"{'max abs error':<16}{r['max_abs_error']:.3g}")
        print(f"{'max rel error':<16}{r['max_rel_error']:.3g} elementwise, {r['max_row_rel_error']:.3g} of the "
              "image's largest logit")
    print(f"{'file accuracy':<16}{r['accuracy_check']}")
    print(f"{'result':<16}{'PASS' if r['pass'] else 'FAIL: ' + '; '.join(r['failures'])}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", required=True, help="ftcnn model file or state_dict HDF5")
    parser.add_argument("--data", required=True, help="directory with the official CIFAR binary test file")
    parser.add_argument("--ftcnn", help="the ftcnn binary, e.g. build/ftcnn (without it: PyTorch only)")
    parser.add_argument("--arch", choices=models.ARCHITECTURES,
                        help="architecture of a state_dict file without an arch attribute")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for both (default 2)")
    parser.add_argument("--logits", help="where ftcnn writes its logits (default: a temporary file)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")
    args = parser.parse_args()

    try:
        module, metadata = model_file.load_model(args.weights, args.arch)
        if not isinstance(module, torch.nn.Module):
            raise ValueError(f"{args.weights}: no architecture in the file, give --arch")
        images, labels, _, _ = cifar_binary.read_split(args.data, "test")
        num_classes = module.arch["num_classes"]
        if labels.max() >= num_classes:
            raise ValueError(f"{args.data} has label {labels.max()}, the model only {num_classes} classes")
        torch_logits, torch_seconds = run_pytorch(module, images, metadata["preprocessing"], args.threads)
        result = {"weights": args.weights, "data": args.data, "arch": module.arch["arch"],
                  "parameters": models.count_parameters(module.arch), "images": len(labels),
                  "threads": args.threads, "ftcnn": args.ftcnn,
                  "pytorch_accuracy": float((torch_logits.argmax(1) == labels).mean()),
                  "pytorch_seconds": torch_seconds}
        if args.ftcnn:
            with tempfile.TemporaryDirectory() as scratch:
                ftcnn_logits, report, wall = run_ftcnn(args.ftcnn, args.weights, args.data, args.arch,
                                                       args.logits or str(Path(scratch) / "logits.h5"), args.threads)
            result.update(compare(torch_logits, ftcnn_logits, labels))
            result.update(ftcnn_accuracy=float(report.get("accuracy", result["ftcnn_accuracy_from_logits"])),
                          ftcnn_seconds=float(report.get("seconds", wall)), ftcnn_wall_seconds=wall,
                          ftcnn_report=report)
    except (ValueError, OSError, RuntimeError) as e:
        print(f"compare_pytorch: error: {e}", file=sys.stderr)
        return 2

    failures = []
    if args.ftcnn:
        if result["agreement"] < MIN_AGREEMENT:
            failures.append(f"agreement {100 * result['agreement']:.2f} % < {100 * MIN_AGREEMENT:.1f} %")
        if result["max_row_rel_error"] > MAX_ROW_RELATIVE_ERROR:
            failures.append(f"logits differ by {result['max_row_rel_error']:.2g} of their scale "
                            f"(limit {MAX_ROW_RELATIVE_ERROR:g})")
        if int(result["ftcnn_report"].get("images", len(labels))) != len(labels):
            failures.append(f"ftcnn evaluated {result['ftcnn_report']['images']} images, not {len(labels)}")
    # The engine is what is accepted; without it, the check validates the file and the data instead.
    who = "ftcnn" if args.ftcnn else "pytorch"
    result["accuracy_check"], failure = check_recorded_accuracy(metadata, result[f"{who}_accuracy"], len(labels), who)
    failures += [failure] if failure else []
    result.update(recorded_test_accuracy=metadata["test_accuracy"], failures=failures, **{"pass": not failures})
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print_table(result)
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
