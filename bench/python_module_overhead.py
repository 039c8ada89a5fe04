"""What calling ftcnn from Python costs over the command line: one campaign on the bundled default, run
alternately as `ftcnn campaign ...` (a subprocess, as a shell or Slurm script runs it) and as
ftcnn.campaign(...) in this process, each into a fresh --out; medians of wall time after a warm-up round of
each, and their ratio (the module's target: at most 1.02).

    PYTHONPATH=build/python /usr/bin/python3 bench/python_module_overhead.py [--rounds 7] [--reps 100]
        [--binary build/ftcnn] [--json]

Both compute the same thing through the same code (test/python/test_module.py checks their outputs are
identical); the difference is process start-up and model/data loading on one side, the Python call and the
reading back of runs.jsonl and summary.json on the other.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import cpu_model  # bench/machine.py (this script's folder is on sys.path)

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "data" / "default" / "small_cifar10.h5"
DATA = REPO / "data" / "default" / "cifar10-test-slice"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds of each (after one warm-up each)")
    parser.add_argument("--reps", type=int, default=100, help="repetitions per BER of the campaign")
    parser.add_argument("--ber", default="1e-5,1e-4", help="BERs of the campaign")
    parser.add_argument("--binary", default=os.environ.get("FTCNN_BINARY", str(REPO / "build" / "ftcnn")))
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    import ftcnn
    import ftcnn._core

    options = {"ber": args.ber, "reps": args.reps, "seed": 1}
    flags = ["--ber", args.ber, "--reps", str(args.reps), "--seed", "1"]
    times = {"cli": [], "module": []}
    with tempfile.TemporaryDirectory() as scratch:
        for round_index in range(args.rounds + 1):
            for way in ("cli", "module"):
                out = Path(scratch) / f"{way}-{round_index}"
                start = time.perf_counter()
                if way == "cli":
                    subprocess.run([args.binary, "campaign", "--model", str(MODEL), "--data", str(DATA), *flags,
                                    "--out", str(out), "--quiet", "--json"], check=True, stdout=subprocess.DEVNULL)
                else:
                    ftcnn.campaign(model=MODEL, data=DATA, out=out, quiet=True, **options)
                if round_index > 0:  # round 0 warms caches (files, the allocator, OpenMP's pool)
                    times[way].append(time.perf_counter() - start)
    cli, module = statistics.median(times["cli"]), statistics.median(times["module"])
    result = {
        "processor": cpu_model(),
        "cpus": os.cpu_count(),
        "campaign": f"--model data/default/small_cifar10.h5 --data data/default/cifar10-test-slice {' '.join(flags)}",
        "rounds": args.rounds,
        "cli_seconds_median": cli,
        "module_seconds_median": module,
        "module_over_cli": module / cli,
        "cli_seconds": times["cli"],
        "module_seconds": times["module"],
        "version": ftcnn._core.version,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"ftcnn {result['version']} on {result['processor']}, {result['cpus']} CPUs; campaign {result['campaign']}")
        print(f"command line {cli:.3f} s, module {module:.3f} s (medians of {args.rounds}): "
              f"module / command line = {module / cli:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
