#!/usr/bin/env python3
"""Ratio table of `ftcnn bench --json` against `bench/pytorch_reference.py --json` (standard library only).

  bench/compare.py out/bench/*.json [--markdown]

Reads every bench result in the JSON files given (a file holds one result object with "engine": "ftcnn" or
"pytorch", or any JSON with such objects nested, as scripts/gpu_check.sh's results.json), pairs the two
engines' results by model file name, device, image count and batch size, and prints:
  inference  median milliseconds for the whole image set, each engine, and ftcnn / PyTorch (< 1: ftcnn
             faster); both top-1 accuracies (the same images and weights: they should agree closely)
  campaign   repetitions per second, each engine, ftcnn / PyTorch (> 1: ftcnn faster), and each engine's
             injection + restore overhead (repetition time / evaluation-alone time - 1)
A pair measured on different device names or image counts is marked, since its ratio compares nothing.
Exit status 1 when no pair was found.
"""

import argparse
import json
import os
import sys


def bench_objects(node):
    """Every bench result inside a JSON value: the value itself, or any object nested in it."""
    if isinstance(node, dict):
        if node.get("command") == "bench" and node.get("engine") in ("ftcnn", "pytorch"):
            return [node]
        node = list(node.values())
    if isinstance(node, list):
        return [r for item in node for r in bench_objects(item)]
    return []


def load(paths):
    results = []
    for path in paths:
        with open(path) as f:
            text = f.read()
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            # A log with other lines around the object: take the outermost {...}.
            try:
                data = json.loads(text[text.index("{"):text.rindex("}") + 1])
            except ValueError:
                print(f"compare: {path}: no JSON object, skipped", file=sys.stderr)
                continue
        found = bench_objects(data)
        if not found:
            print(f"compare: {path}: holds no bench result, skipped", file=sys.stderr)
        results += found
    return results


def key(result):
    return os.path.basename(result["model"]), result["device"], result["images"]


def pairs(results):
    by_key = {}
    for r in results:
        by_key.setdefault(key(r), {})[r["engine"]] = r
    return [(k, v["ftcnn"], v["pytorch"]) for k, v in sorted(by_key.items()) if len(v) == 2]


def caveat(f, p):
    notes = []
    if f["device_name"].split(" (")[0] != p["device_name"].split(" (")[0]:
        notes.append(f"devices differ: {f['device_name']} / {p['device_name']}")
    if f["images"] != p["images"]:
        notes.append(f"images differ: {f['images']} / {p['images']}")
    return "; ".join(notes)


def table(header, rows, markdown):
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    else:
        widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
        lines = ["  ".join(str(c).rjust(w) for c, w in zip(row, widths)) for row in [header] + rows]
    print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", help="bench JSON files of both engines")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = parser.parse_args()
    try:
        matched = pairs(load(args.files))
    except (OSError, ValueError) as e:
        print(f"compare: error: {e}", file=sys.stderr)
        return 2
    if not matched:
        print("compare: no model has both an ftcnn and a PyTorch result", file=sys.stderr)
        return 1

    rows, notes = [], []
    for (model, device, _), f, p in matched:
        note = caveat(f, p)
        if note:
            notes.append(f"{model} ({device}): {note}")
        torch_rows = {r["batch"]: r for r in p["inference"]}
        for r in f["inference"]:
            t = torch_rows.get(r["batch"])
            if t is None:
                continue
            fm, tm = r["ms"]["median"], t["ms"]["median"]
            rows.append([model, f["device_name"], f["images"], r["batch"], f"{fm:.2f}", f"{tm:.2f}",
                         f"{fm / tm:.2f}" + (" *" if note else ""),
                         f"{100 * r['accuracy']:.2f} / {100 * t['accuracy']:.2f}"])
    print("inference: median ms for all images (ftcnn / PyTorch < 1: ftcnn faster)")
    table(["model", "device", "images", "batch", "ftcnn ms", "PyTorch ms", "ftcnn/PyTorch", "top-1 % ftcnn / PyTorch"],
          rows, args.markdown)

    rows = []
    for (model, device, _), f, p in matched:
        fc, pc = f.get("campaign"), p.get("campaign")
        if not fc or not pc:
            continue
        rows.append([model, f["device_name"], f["images"], f"{fc['ber']:g}", f"{fc['faults_per_repetition']:.0f}",
                     f"{fc['repetitions_per_second']:.2f}", f"{pc['repetitions_per_second']:.2f}",
                     f"{fc['repetitions_per_second'] / pc['repetitions_per_second']:.2f}",
                     f"{100 * fc['injection_restore_overhead']:.1f}", f"{100 * pc['injection_restore_overhead']:.1f}"])
    if rows:
        print()
        print("campaign: repetitions/s (ftcnn / PyTorch > 1: ftcnn faster); injection + restore overhead %")
        table(["model", "device", "images", "BER", "faults/rep", "ftcnn rep/s", "PyTorch rep/s", "ftcnn/PyTorch",
               "ftcnn ovh %", "PyTorch ovh %"], rows, args.markdown)
    for n in notes:
        print(f"* {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
