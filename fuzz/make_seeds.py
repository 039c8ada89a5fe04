#!/usr/bin/python3
"""Seed corpora for the fuzz targets, made from the test suite's fixtures: make_seeds.py OUT_DIR.

Writes OUT_DIR/<target>/<seed> for every target of fuzz/CMakeLists.txt. Uses h5py and numpy
(scripts/install_deps.sh --python); run by scripts/fuzz.sh.
"""
import json
import pathlib
import struct
import sys

import h5py

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from h5_recipe import recipe  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "test" / "fixtures"
OUTPUTS = FIXTURES / "outputs_small"


def text_attribute(path, name):
    with h5py.File(path, "r") as f:
        v = f.attrs[name]
        return v.decode() if isinstance(v, bytes) else str(v)


def main():
    out = pathlib.Path(sys.argv[1])
    seeds = {}
    model_files = sorted(p for p in FIXTURES.glob("*.h5") if text_attribute(p, "format") == "ftcnn-model")
    for p in model_files:
        version = int(text_attribute(p, "format_version"))
        seeds[("model_json", p.stem)] = bytes([version - 1]) + text_attribute(p, "architecture").encode()
        seeds[("model_file", p.stem)] = recipe(p, skip_larger=1 << 16)
    seeds[("model_file", "state_dict_small")] = recipe(FIXTURES / "model_small.h5", state_dict="small",
                                                       skip_larger=1 << 16)
    seeds[("interval_file", "intervals")] = recipe(OUTPUTS / "intervals.h5")
    for name in ("vuln_exact", "vuln_batch"):
        seeds[("ranking_file", name)] = recipe(OUTPUTS / f"{name}.h5")
        seeds[("vulnerability_file", name)] = recipe(OUTPUTS / f"{name}.h5")

    # CIFAR: byte 0 = dataset (bit 0), split (bit 1), limit (bits 2-3); u16 + class names; the records.
    def cifar(flags, names, records):
        text = "\n".join(names).encode()
        return bytes([flags]) + struct.pack("<H", len(text)) + text + records

    pixels = bytes((i * 7) % 256 for i in range(3072))
    ten = [f"class{i}" for i in range(10)]
    seeds[("cifar", "cifar10_test")] = cifar(0, ten, b"".join(bytes([k % 10]) + pixels for k in range(3)))
    seeds[("cifar", "cifar10_train_limit")] = cifar(2 | 4, ten, bytes([9]) + pixels)
    seeds[("cifar", "cifar100_test")] = cifar(1, [f"fine{i}" for i in range(100)],
                                              b"".join(bytes([k % 20, k * 13 % 100]) + pixels for k in range(2)))

    log = (OUTPUTS / "campaign" / "runs.jsonl").read_bytes()
    datasets = FIXTURES / "datasets"
    seeds[("dataset", "py2_batch")] = b"\x00" + (datasets / "py2" / "cifar-10-batches-py" / "test_batch").read_bytes()
    seeds[("dataset", "p4_batch")] = b"\x02" + (datasets / "p4" / "cifar-10-batches-py" / "test_batch").read_bytes()
    seeds[("dataset", "npz_stored")] = b"\x01" + (datasets / "arrays" / "gray-nhw.npz").read_bytes()
    seeds[("dataset", "npz_deflated")] = b"\x03" + (datasets / "arrays" / "gray-nhwc-compressed.npz").read_bytes()
    seeds[("campaign_log", "logged")] = log
    seeds[("campaign_log", "torn")] = log[: len(log) * 2 // 3]
    seeds[("campaign_log", "header_only")] = log.split(b"\n", 1)[0] + b"\n"
    seeds[("fault_list", "campaign_log")] = log
    seeds[("fault_list", "fault_file")] = json.dumps(
        {"faults": [["features.0.weight", 3, 30], ["classifier.3.bias", 9, 0]]}, indent=1).encode()
    seeds[("fault_list", "fault_line")] = b'{"faults": [["features.4.weight", 100, 31]]}\n'

    commands = [
        "campaign --model m.h5 --data d --ber 1e-7,1e-6,1e-5 --reps 3 --seed 7 --count binomial "
        "--targets layer=features.,bits=exponent --out o --log-faults",
        "replay --model m.h5 --data d --faults runs.jsonl --ber 1e-5 --repetition 0 --json",
        "bench --model m.h5 --data d --batch 1000,256 --seed 18446744073709551615",
        "eval --model m.h5 --arch vgg11 --data d --images 100 --device cpu --threads 2",
        "harden --model m.h5 --method edac --ranking r.h5 --intervals i.h5 --out h.h5",
        "prune --model m.h5 --data d --amount 0.5 --scope global --out p.h5",
        "vuln --model m.h5 --data d --method exact --images 48 --out v.h5",
        "info --model m.h5 --batch 64 --json",
    ]
    for k, c in enumerate(commands):
        seeds[("flags", f"command{k}")] = "\n".join(c.split()).encode()

    for (target, name), data in seeds.items():
        directory = out / target
        directory.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(data)
    print(f"make_seeds.py: {len(seeds)} seeds for {len({t for t, _ in seeds})} targets in {out}")


if __name__ == "__main__":
    main()
