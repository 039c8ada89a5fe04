#!/usr/bin/python3
"""CPU inference of ftcnn beside PyTorch and beside the machine's measured sgemm floor (issue 14's eval rows).

  bench/cpu_vs_pytorch.py --ftcnn build/ftcnn --model M.h5 --data DIR [--model M2.h5 --data DIR2 ...] \\
      [--images 1000] [--batch 1000] [--threads 2] [--rounds 3] [--out results.json]

The i-th --model runs on the i-th --data (the last --data serves every model after it). Per round and model, `ftcnn
bench --json` and `bench/pytorch_reference.py --json` (Debian's /usr/bin/python3, PYTHONPATH=python) run
one after the other, the order swapped every round, each with 1 warm-up and 3 timed passes; a model's
figure is the median over rounds of the per-run medians. Both engines must report the same top-1 accuracy
(the script fails otherwise).

The floor: sgemm of 4096 x 4096 x 4096 float32 matrices with the same threads, in PyTorch (torch.mm) and in
numpy (its BLAS), 2 warm-ups and 5 timed calls each, measured at the start and at the end of the run; the
fastest median is the rate R, and a model's floor is 2 x MACs x images / R: the time of its
multiply-accumulates at sgemm's rate, which no exact fp32 engine on these cores beats by much. The table gives
ftcnn / PyTorch (issue 14's target: <= 0.9) and ftcnn / floor (<= 1.3). The processor, its SIMD flags, the
load average and both versions are recorded.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import cpu_isa, cpu_model  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = "/usr/bin/python3"

SGEMM = r"""
import json, sys, time
import numpy, torch
n, threads = 4096, int(sys.argv[1])
torch.set_num_threads(threads)
a, b = torch.rand(n, n), torch.rand(n, n)
an, bn = a.numpy(), b.numpy()
def rate(call):
    for _ in range(2):
        call()
    times = []
    for _ in range(5):
        t = time.perf_counter(); call(); times.append(time.perf_counter() - t)
    times.sort()
    return 2 * n ** 3 / times[2] / 1e9
print(json.dumps({"torch": rate(lambda: torch.mm(a, b)), "numpy": rate(lambda: an @ bn),
                  "torch_version": torch.__version__, "numpy_version": numpy.__version__}))
"""


def sgemm_rates(threads):
    # numpy's BLAS reads its thread count from the environment, torch from set_num_threads.
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    run = subprocess.run([PYTHON, "-c", SGEMM, str(threads)], capture_output=True, text=True, env=env)
    if run.returncode != 0:
        sys.exit(f"cpu_vs_pytorch: the sgemm measurement failed: {run.stderr.strip().splitlines()[-1:]}")
    return json.loads(run.stdout)


def bench(engine, args, model, data):
    common = ["--model", model, "--data", data, "--images", str(args.images), "--batch", str(args.batch),
              "--warmup", "1", "--repeats", "3", "--threads", str(args.threads), "--json"]
    if engine == "ftcnn":
        command = [args.ftcnn, "bench"] + common
        env = None
    else:
        command = [PYTHON, str(ROOT / "bench" / "pytorch_reference.py"), "--device", "cpu"] + common
        env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    run = subprocess.run(command, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        sys.exit(f"cpu_vs_pytorch: {' '.join(command)} failed: {(run.stderr.strip().splitlines() or [''])[-1]}")
    return json.loads(run.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ftcnn", required=True, help="the ftcnn binary")
    parser.add_argument("--model", action="append", default=[], help="model file (repeat for several)")
    parser.add_argument("--data", action="append", default=[],
                        help="CIFAR binary folder of the i-th model (repeat; the last serves the rest)")
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", help="also write the configuration, every run and the table as JSON here")
    args = parser.parse_args()
    if not args.model or not args.data:
        sys.exit("cpu_vs_pytorch: give at least one --model and one --data")
    # argparse keeps the two lists apart: pair them by position, the last --data serving the rest.
    data = [args.data[min(i, len(args.data) - 1)] for i in range(len(args.model))]
    for path in args.model + data + [args.ftcnn]:
        if not Path(path).exists():
            sys.exit(f"cpu_vs_pytorch: {path} does not exist")

    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    load_start = os.getloadavg()[0]
    before = sgemm_rates(args.threads)
    runs = {m: {"ftcnn": [], "pytorch": []} for m in args.model}
    for r in range(args.rounds):
        for model, folder in zip(args.model, data):
            for engine in (("ftcnn", "pytorch") if r % 2 == 0 else ("pytorch", "ftcnn")):
                result = bench(engine, args, model, folder)
                runs[model][engine].append(result)
                inference = result["inference"][0]
                print(f"round {r + 1} {Path(model).name} {engine}: {inference['ms']['median']:.1f} ms, "
                      f"top-1 {inference['accuracy']:.4f}", file=sys.stderr)
    after = sgemm_rates(args.threads)
    rate = max(before["torch"], before["numpy"], after["torch"], after["numpy"]) * 1e9

    rows = []
    for model in args.model:
        ftcnn, torch = runs[model]["ftcnn"], runs[model]["pytorch"]
        accuracy = {e: {r["inference"][0]["accuracy"] for r in runs[model][e]} for e in ("ftcnn", "pytorch")}
        if len(accuracy["ftcnn"] | accuracy["pytorch"]) != 1:
            sys.exit(f"cpu_vs_pytorch: {model}: top-1 differs between the engines or runs: {accuracy}")
        ms = {e: statistics.median(r["inference"][0]["ms"]["median"] for r in runs[model][e])
              for e in ("ftcnn", "pytorch")}
        macs = ftcnn[0]["macs_per_image"]
        floor_ms = 2 * macs * args.images / rate * 1e3
        rows.append({"model": model, "arch": ftcnn[0]["arch"], "macs_per_image": macs,
                     "accuracy": accuracy["ftcnn"].pop(), "ftcnn_ms": ms["ftcnn"], "pytorch_ms": ms["pytorch"],
                     "ftcnn_runs_ms": [r["inference"][0]["ms"]["median"] for r in ftcnn],
                     "pytorch_runs_ms": [r["inference"][0]["ms"]["median"] for r in torch],
                     "floor_ms": floor_ms, "ftcnn_over_pytorch": ms["ftcnn"] / ms["pytorch"],
                     "ftcnn_over_floor": ms["ftcnn"] / floor_ms, "pytorch_over_floor": ms["pytorch"] / floor_ms})

    print(f"{cpu_model()} ({' '.join(cpu_isa())}), {args.threads} threads, {args.images} images, batch "
          f"{args.batch}, {args.rounds} rounds; sgemm 4096^3: torch {before['torch']:.0f} / {after['torch']:.0f}, "
          f"numpy {before['numpy']:.0f} / {after['numpy']:.0f} GFLOP/s (start / end), floor rate {rate / 1e9:.0f}; "
          f"load {load_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end; ftcnn "
          f"{runs[args.model[0]]['ftcnn'][0]['version']}, PyTorch {before['torch_version']}")
    print("| model | MACs / image | top-1 (both) | ftcnn ms | PyTorch ms | floor ms | ftcnn / PyTorch | "
          "ftcnn / floor | PyTorch / floor |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {Path(row['model']).name} | {row['macs_per_image']:,} | {row['accuracy'] * 100:.2f} % | "
              f"{row['ftcnn_ms']:,.0f} | {row['pytorch_ms']:,.0f} | {row['floor_ms']:,.0f} | "
              f"{row['ftcnn_over_pytorch']:.2f} | {row['ftcnn_over_floor']:.2f} | {row['pytorch_over_floor']:.2f} |")
    if args.out:
        record = {"command": sys.argv, "started": started, "cpu_model": cpu_model(), "cpu_isa": cpu_isa(),
                  "threads": args.threads, "images": args.images, "batch": args.batch, "rounds": args.rounds,
                  "load_average_start": load_start, "load_average_end": os.getloadavg()[0],
                  "sgemm_gflops": {"start": before, "end": after}, "floor_rate_gflops": rate / 1e9,
                  "rows": rows, "runs": runs}
        tmp = Path(args.out).with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=1))
        tmp.replace(args.out)


if __name__ == "__main__":
    main()
