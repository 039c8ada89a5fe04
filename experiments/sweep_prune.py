#!/usr/bin/python3
"""Accuracy after structured pruning against the pruning ratio, per importance criterion (the paper's Fig. 5).

  experiments/sweep_prune.py --model ../shared/weights/alexnet_cifar10.h5 --data /tmp/c10 --out out/sweep_prune/alexnet
  experiments/sweep_prune.py --model data/default/small_cifar10.h5 --data data/default/cifar10-test-slice \\
      --vuln-split test --vuln-images 32 --conv-ratios 0.1,0.3 --fc-ratios 0.5 --limit 300 --out /tmp/sweep

Points: every conv ratio with FC ratio 0 and every FC ratio with conv ratio 0, for every method and scope,
plus the unpruned model once (method "none", ratios 0). For each point: `ftcnn prune`, then `ftcnn eval
--json` on the test split (first --limit images, or all) and, with --finetune-epochs E > 0, `python3 -m
ftcnn.train --finetune` (python/ftcnn/train.py) for E epochs on the JPEG pack followed by a second `ftcnn
eval`. The unpruned model is not fine-tuned. Eq. (1) scores (methods exact and batch) are computed ONCE with
`ftcnn vuln --method M --out OUT/scores_M.h5` and given to every prune as `--scores`; l1 and random are
computed by `ftcnn prune --importance` itself.

Writes OUT/sweep.csv (one row per point, appended as each point completes), OUT/sweep.json (configuration,
seed, ftcnn version, every command run, the rows) and OUT/fig5.svg (or .png): two panels, accuracy against
the conv ratio and against the FC ratio, one line per method (dashed: after fine-tuning).

Resumable: rerunning the same command on the same OUT skips the points already in sweep.csv (a line cut short
by a kill is dropped) and reuses the score files. A different configuration on the same OUT is refused.
Needs matplotlib for the plot only (Debian's /usr/bin/python3; scripts/install_deps.sh --python), and PyTorch
for fine-tuning only.
"""

import argparse
import csv
import json
import math
import os
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Fine-tuning runs `python -m ftcnn.train` with the package on PYTHONPATH (in the logged command too).
PYTHONPATH = os.pathsep.join([str(ROOT / "python"),
                              *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]])
EQ1_METHODS = ("exact", "batch")
METHODS = ("exact", "batch", "l1", "random")
# ftcnn prune flags per sweep scope: "global" is prune's global scope with its default per-layer mean
# normalisation, "global-l2" and "global-none" the other normalisations (docs/pruning.md).
SCOPE_FLAGS = {"layer": ["--scope", "layer"], "global": ["--scope", "global", "--normalize", "mean"],
               "global-l2": ["--scope", "global", "--normalize", "l2"],
               "global-none": ["--scope", "global", "--normalize", "none"]}
SCOPES = tuple(SCOPE_FLAGS)
CSV_FIELDS = ["method", "scope", "conv_ratio", "fc_ratio", "params", "params_ratio", "macs", "macs_ratio",
              "images", "accuracy", "finetune_epochs", "accuracy_finetuned", "seconds"]
# Settings that change the numbers: a resumed sweep must have the same ones.
RESUME_KEYS = ("model", "model_checksum", "data", "limit", "vuln_split", "vuln_images", "vuln_batch",
               "finetune_epochs", "finetune_lr", "pack", "seed")


class SweepError(Exception):
    """Bad input or a failed step: printed as one line, exit status 1."""


def ratio_list(text, flag):
    values = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            value = float(item)
        except ValueError:
            raise SweepError(f"{flag}: '{item}' is not a number") from None
        if not (0 < value < 1) or not math.isfinite(value):
            raise SweepError(f"{flag}: {item} is outside (0, 1) (ratio 0 is the unpruned point, always included)")
        values.append(value)
    if len(set(values)) != len(values):
        raise SweepError(f"{flag}: a ratio is listed twice")
    return values


def name_list(text, flag, allowed):
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise SweepError(f"{flag}: empty list")
    for n in names:
        if n not in allowed:
            raise SweepError(f"{flag}: unknown '{n}' (choose from {', '.join(allowed)})")
    if len(set(names)) != len(names):
        raise SweepError(f"{flag}: '{text}' names one twice")
    return names


def fmt_ratio(value):
    return f"{value:g}"


class Runner:
    """Runs commands, logs them (OUT/commands.log and the list kept in sweep.json), turns failures into errors."""

    def __init__(self, out, commands):
        self.log = open(out / "commands.log", "a", encoding="utf-8")
        self.commands = commands

    def run(self, argv, what, capture_json=False):
        line = " ".join(shlex.quote(str(a)) for a in argv)
        self.commands.append(line)
        self.log.write(line + "\n")
        self.log.flush()
        print(f"  $ {line}", flush=True)
        try:
            result = subprocess.run([str(a) for a in argv], stdout=subprocess.PIPE if capture_json else None,
                                    stderr=subprocess.PIPE, text=True)
        except OSError as e:
            raise SweepError(f"{what}: cannot run {argv[0]}: {e}") from None
        if result.returncode != 0:
            tail = [l for l in (result.stderr or "").strip().splitlines() if l.strip()][-3:]
            raise SweepError(f"{what} failed (exit {result.returncode}): {' | '.join(tail) or 'no message'}")
        if capture_json:
            try:
                return json.loads(result.stdout)
            except json.JSONDecodeError:
                raise SweepError(f"{what}: expected one JSON object on stdout, got: {result.stdout[:200]!r}") from None
        return None


def read_rows(path):
    """The completed rows of sweep.csv; rewrites the file without a last line cut short."""
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)
    if not lines:
        return []
    header = next(csv.reader([lines[0]]))
    if header != CSV_FIELDS:
        raise SweepError(f"{path}: not a sweep.csv of this script (header {header})")
    rows, good = [], [lines[0]]
    for i, line in enumerate(lines[1:], start=2):
        fields = next(csv.reader([line]), [])
        if len(fields) != len(CSV_FIELDS) or not line.endswith("\n"):
            if i == len(lines):  # a kill mid-write: drop it
                print(f"note: dropping an incomplete last line of {path}", flush=True)
                break
            raise SweepError(f"{path}:{i}: {len(fields)} fields, expected {len(CSV_FIELDS)}")
        rows.append(dict(zip(CSV_FIELDS, fields)))
        good.append(line)
    if len(good) != len(lines):
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.writelines(good)
    return rows


def point_key(method, scope, conv, fc):
    return (method, scope, f"{float(conv):g}", f"{float(fc):g}")


def check_inputs(args):
    if not Path(args.ftcnn).is_file() or not os.access(args.ftcnn, os.X_OK):
        raise SweepError(f"--ftcnn {args.ftcnn}: not an executable (build with scripts/build.sh)")
    if subprocess.run([args.ftcnn, "prune", "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
        raise SweepError(f"--ftcnn {args.ftcnn} has no 'prune' command (an older build? try --ftcnn build-prune/ftcnn)")
    if not Path(args.model).is_file():
        raise SweepError(f"--model {args.model}: no such file")
    if args.limit is not None and args.limit <= 0:
        raise SweepError("--limit must be positive")
    if args.vuln_images <= 0:
        raise SweepError("--vuln-images must be positive")
    data = Path(args.data)
    if not data.is_dir():
        raise SweepError(f"--data {args.data}: not a directory")
    if not any((data / n).is_file() for n in ("test_batch.bin", "test.bin")):
        raise SweepError(f"--data {args.data}: no CIFAR test split (test_batch.bin or test.bin)")
    if set(args.methods) & set(EQ1_METHODS) and args.vuln_split == "train" and \
            not any(data.glob("data_batch_*.bin")) and not (data / "train.bin").is_file():
        raise SweepError(f"--data {args.data} has no training split for the Eq. (1) scores: "
                         "give --vuln-split test (or a directory with data_batch_*.bin)")
    if args.finetune_epochs < 0:
        raise SweepError("--finetune-epochs must be 0 (none) or positive")
    if args.finetune_epochs > 0:
        if not Path(args.pack).is_file():
            raise SweepError(f"--pack {args.pack}: no such file (fine-tuning trains on the JPEG pack)")
        if not Path(args.python).is_file():
            raise SweepError(f"--python {args.python}: no such interpreter (fine-tuning needs PyTorch)")
    if not args.conv_ratios and not args.fc_ratios:
        raise SweepError("no ratios: give --conv-ratios and/or --fc-ratios")


def ftcnn_version(ftcnn):
    result = subprocess.run([ftcnn, "--version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise SweepError(f"{ftcnn} --version failed: {result.stderr.strip()}")
    return result.stdout.strip()


def plot(out, rows, config):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("note: no matplotlib in this Python, plot skipped (run with /usr/bin/python3 --plot-only)",
              file=sys.stderr)
        return None
    base = [r for r in rows if r["method"] == "none"]
    base_acc = float(base[0]["accuracy"]) * 100 if base else None
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    styles = {"exact": ("tab:red", "o"), "batch": ("tab:orange", "s"), "l1": ("tab:blue", "^"),
              "random": ("tab:gray", "x")}
    finetuned = config["finetune_epochs"] > 0
    for ax, column, other, title in ((axes[0], "conv_ratio", "fc_ratio", "(a) conv ratio (FC ratio 0)"),
                                     (axes[1], "fc_ratio", "conv_ratio", "(b) FC ratio (conv ratio 0)")):
        for method in config["methods"]:
            for scope in config["scopes"]:
                pts = sorted((float(r[column]), r) for r in rows if r["method"] == method and r["scope"] == scope
                             and float(r[other]) == 0 and float(r[column]) > 0)
                if not pts:
                    continue
                colour, marker = styles[method]
                label = method if len(config["scopes"]) == 1 else f"{method} ({scope})"
                dash = {"layer": "-", "global": ":", "global-l2": "-."}.get(scope, (0, (1, 4)))
                xs = ([0.0] if base_acc is not None else []) + [p[0] for p in pts]
                ys = ([base_acc] if base_acc is not None else []) + [float(p[1]["accuracy"]) * 100 for p in pts]
                ax.plot(xs, ys, linestyle=dash, color=colour, marker=marker, label=label)
                if finetuned:
                    ft = [(x, float(r["accuracy_finetuned"]) * 100) for x, r in pts if r["accuracy_finetuned"]]
                    if ft:
                        ax.plot([p[0] for p in ft], [p[1] for p in ft], "--", color=colour, marker=marker,
                                mfc="none", label=f"{label}, fine-tuned {config['finetune_epochs']} ep.")
        ax.set_title(title)
        ax.set_xlabel("pruning ratio")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"top-1 accuracy, % ({config['eval_images_label']})")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{Path(config['model']).name}: accuracy after pruning ({' and '.join(config['scopes'])} scope"
                 f"{'s' if len(config['scopes']) > 1 else ''}; Eq. (1) scores on {config['vuln_images']} "
                 f"{config['vuln_split']} images), ftcnn {config['ftcnn_version']}", fontsize=9)
    fig.tight_layout()
    path = out / f"fig5.{config['plot_format']}"
    fig.savefig(path)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model to prune (ftcnn model file or state_dict HDF5)")
    parser.add_argument("--data", help="CIFAR binary directory: test split for eval; "
                        "train split for the scores unless --vuln-split test")
    parser.add_argument("--out", required=True, help="output directory (rerun on it to resume)")
    parser.add_argument("--conv-ratios", default="0.05,0.1,0.2,0.3,0.5", help="conv ratios, FC ratio 0 "
                        "(default 0.05,0.1,0.2,0.3,0.5; empty for none)")
    parser.add_argument("--fc-ratios", default="0.2,0.4,0.6,0.8,0.9", help="FC ratios, conv ratio 0 "
                        "(default 0.2,0.4,0.6,0.8,0.9; empty for none)")
    parser.add_argument("--methods", default="exact,l1", help="importance criteria, from exact, batch, l1, random "
                        "(default exact,l1)")
    parser.add_argument("--scope", default="layer", help="comma-separated: layer (default), global (scores / "
                        "layer mean), global-l2 (/ layer L2 norm), global-none (raw scores)")
    parser.add_argument("--limit", type=int, help="evaluate on the first N test images (default: all)")
    parser.add_argument("--vuln-images", type=int, default=256, help="images of the Eq. (1) scores (default 256)")
    parser.add_argument("--vuln-split", choices=("train", "test"), default="train",
                        help="split of the Eq. (1) scores (default train, as ftcnn vuln)")
    parser.add_argument("--vuln-batch", type=int, help="ftcnn vuln --batch (default: vuln's)")
    parser.add_argument("--finetune-epochs", type=int, default=0, help="fine-tune every pruned model for E epochs "
                        "with ftcnn.train --finetune before a second eval (default 0: none)")
    parser.add_argument("--finetune-lr", type=float, default=0.001, help="fine-tuning learning rate (default 0.001)")
    parser.add_argument("--pack", default=str(ROOT.parent / "shared/data/cifar10/cifar10-jpeg.npz"),
                        help="JPEG pack to fine-tune on (default ../shared/data/cifar10/cifar10-jpeg.npz)")
    parser.add_argument("--cache", help="train.py --cache: decoded-pack cache (default OUT/pack_cache.npz)")
    parser.add_argument("--python", default="/usr/bin/python3" if Path("/usr/bin/python3").exists()
                        else sys.executable, help="Python with PyTorch for fine-tuning (default /usr/bin/python3)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="ftcnn vuln/eval and fine-tuning device (default cpu)")
    parser.add_argument("--threads", type=int, default=0, help="ftcnn CPU threads (default 0: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of random scores and of fine-tuning (default 0)")
    parser.add_argument("--keep-models", action="store_true", help="keep the pruned model files in OUT/models")
    parser.add_argument("--plot-format", choices=("svg", "png"), default="svg")
    parser.add_argument("--plot-only", action="store_true", help="redraw the plot from OUT/sweep.csv and exit")
    parser.add_argument("--ftcnn", default=str(ROOT / "build/ftcnn"), help="ftcnn binary (default build/ftcnn)")
    args = parser.parse_args(argv)

    try:
        args.conv_ratios = ratio_list(args.conv_ratios, "--conv-ratios")
        args.fc_ratios = ratio_list(args.fc_ratios, "--fc-ratios")
        args.methods = name_list(args.methods, "--methods", METHODS)
        args.scopes = name_list(args.scope, "--scope", SCOPES)
        out = Path(args.out)
        if args.plot_only:
            if not (out / "sweep.json").is_file():
                raise SweepError(f"--plot-only: no sweep in {out} (sweep.json missing)")
            rows = read_rows(out / "sweep.csv")
            config = json.loads((out / "sweep.json").read_text())["config"]
            config["plot_format"] = args.plot_format
            path = plot(out, rows, config)
            print(f"wrote {path}" if path else "no plot")
            return 0
        if not args.model or not args.data:
            raise SweepError("--model and --data are required (except with --plot-only)")
        check_inputs(args)
        return sweep(args, out)
    except SweepError as e:
        print(f"sweep_prune: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sweep_prune: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


def sweep(args, out):
    out.mkdir(parents=True, exist_ok=True)
    (out / "models").mkdir(exist_ok=True)
    ftcnn = str(Path(args.ftcnn).resolve()) if "/" in args.ftcnn else args.ftcnn
    version = ftcnn_version(ftcnn)
    base_info = json.loads(subprocess.run([ftcnn, "info", "--model", args.model, "--json"], stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True).stdout or "null") or {}
    if "checksum" not in base_info:
        raise SweepError(f"ftcnn info could not read --model {args.model}")
    eval_label = f"first {args.limit} test images" if args.limit else "full test split"
    config = {
        "script": "experiments/sweep_prune.py", "model": str(Path(args.model).resolve()),
        "model_checksum": base_info["checksum"], "arch": base_info.get("arch"),
        "data": str(Path(args.data).resolve()), "limit": args.limit, "eval_images_label": eval_label,
        "conv_ratios": args.conv_ratios, "fc_ratios": args.fc_ratios, "methods": args.methods, "scopes": args.scopes,
        "vuln_split": args.vuln_split, "vuln_images": args.vuln_images, "vuln_batch": args.vuln_batch,
        "finetune_epochs": args.finetune_epochs,
        "finetune_lr": args.finetune_lr if args.finetune_epochs else None,
        "pack": str(Path(args.pack).resolve()) if args.finetune_epochs else None,
        "device": args.device, "threads": args.threads, "seed": args.seed, "ftcnn": ftcnn,
        "ftcnn_version": version, "plot_format": args.plot_format,
        "points": "every conv ratio with FC ratio 0, every FC ratio with conv ratio 0, per method and scope; "
                  "plus the unpruned model (method none)",
    }
    json_path = out / "sweep.json"
    previous = json.loads(json_path.read_text()) if json_path.exists() else None
    if previous:
        old = previous["config"]
        differs = [k for k in RESUME_KEYS if old.get(k) != config.get(k)]
        if differs:
            raise SweepError(f"{out} holds a sweep with other settings ({', '.join(differs)}): "
                             "use another --out or delete it")
        if old.get("ftcnn_version") != version:
            print(f"note: resuming a sweep made by ftcnn {old.get('ftcnn_version')} with {version}", flush=True)
    commands = previous.get("commands", []) if previous else []
    runs = (previous.get("runs", []) if previous else []) + [
        {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "argv": sys.argv,
         "ftcnn_version": version}]
    runner = Runner(out, commands)

    csv_path = out / "sweep.csv"
    rows = read_rows(csv_path)
    done = {point_key(r["method"], r["scope"], r["conv_ratio"], r["fc_ratio"]) for r in rows}
    if not csv_path.exists() or csv_path.stat().st_size == 0:
        with open(csv_path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerow(CSV_FIELDS)

    def save_json():
        doc = {"config": config, "ftcnn_version": version, "seed": args.seed, "runs": runs,
               "commands": commands, "rows": rows}
        tmp = json_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(doc, indent=2) + "\n")
        tmp.replace(json_path)

    def append(row):
        with open(csv_path, "a", newline="", encoding="utf-8") as f:
            csv.writer(f).writerow([row[k] for k in CSV_FIELDS])
        rows.append(row)
        done.add(point_key(row["method"], row["scope"], row["conv_ratio"], row["fc_ratio"]))
        save_json()

    threads = ["--threads", str(args.threads)] if args.threads else []

    def evaluate(model, what):
        cmd = [ftcnn, "eval", "--model", model, "--data", args.data, "--split", "test", "--device", args.device,
               "--json", *threads] + (["--limit", str(args.limit)] if args.limit else [])
        result = runner.run(cmd, what, capture_json=True)
        return result["accuracy"], result["images"]

    save_json()
    total = 1 + len(args.methods) * len(args.scopes) * (len(args.conv_ratios) + len(args.fc_ratios))
    print(f"sweep: {total} points, {len(done)} already done; ftcnn {version}; eval on the {eval_label}", flush=True)

    if point_key("none", "-", 0, 0) not in done:
        start = time.perf_counter()
        print("[unpruned]", flush=True)
        accuracy, images = evaluate(args.model, "ftcnn eval of the unpruned model")
        append({"method": "none", "scope": "-", "conv_ratio": "0", "fc_ratio": "0",
                "params": base_info["parameters"], "params_ratio": "1", "macs": base_info["macs"], "macs_ratio": "1",
                "images": images, "accuracy": f"{accuracy:.6f}", "finetune_epochs": 0, "accuracy_finetuned": "",
                "seconds": f"{time.perf_counter() - start:.1f}"})

    scores = {}
    for method in args.methods:
        if method not in EQ1_METHODS:
            continue
        path = out / f"scores_{method}.h5"
        meta = out / f"scores_{method}.json"
        if path.exists() and meta.exists():
            scores[method] = path
            continue
        print(f"[scores: ftcnn vuln --method {method}, once]", flush=True)
        cmd = [ftcnn, "vuln", "--model", args.model, "--data", args.data, "--split", args.vuln_split,
               "--images", str(args.vuln_images), "--evenly-spaced", "--method", method, "--device", args.device,
               "--out", path, "--json", *threads] + (["--batch", str(args.vuln_batch)] if args.vuln_batch else [])
        result = runner.run(cmd, f"ftcnn vuln --method {method}", capture_json=True)
        meta.write_text(json.dumps(result, indent=2) + "\n")
        scores[method] = path
        save_json()

    points = [(c, 0.0) for c in args.conv_ratios] + [(0.0, f) for f in args.fc_ratios]
    count = len(done)
    for scope in args.scopes:
        for method in args.methods:
            for conv, fc in points:
                key = point_key(method, scope, conv, fc)
                if key in done:
                    continue
                count += 1
                print(f"[{count}/{total}] {method}, {scope} scope, conv {conv:g}, fc {fc:g}", flush=True)
                start = time.perf_counter()
                pruned = out / "models" / f"{method}_{scope}_c{fmt_ratio(conv)}_f{fmt_ratio(fc)}.h5"
                source = ["--scores", scores[method]] if method in scores else ["--importance", method]
                if method == "random":
                    source += ["--seed", str(args.seed)]
                cmd = [ftcnn, "prune", "--model", args.model, "--conv-ratio", fmt_ratio(conv), "--fc-ratio",
                       fmt_ratio(fc), *source, *SCOPE_FLAGS[scope], "--out", pruned, "--json", *threads]
                pr = runner.run(cmd, f"ftcnn prune ({method}, {scope}, conv {conv:g}, fc {fc:g})", capture_json=True)
                accuracy, images = evaluate(pruned, f"ftcnn eval of {pruned.name}")
                finetuned = ""
                if args.finetune_epochs > 0:
                    tuned = pruned.with_name(pruned.stem + "_ft.h5")
                    cmd = ["env", f"PYTHONPATH={PYTHONPATH}", args.python, "-m", "ftcnn.train", "--finetune",
                           pruned, "--pack", args.pack, "--epochs", str(args.finetune_epochs), "--lr",
                           str(args.finetune_lr), "--device", args.device, "--seed", str(args.seed), "--cache",
                           args.cache or out / "pack_cache.npz", "--out", tuned]
                    runner.run(cmd, f"fine-tuning {pruned.name}")
                    acc_ft, _ = evaluate(tuned, f"ftcnn eval of {tuned.name}")
                    finetuned = f"{acc_ft:.6f}"
                    if not args.keep_models:
                        tuned.unlink(missing_ok=True)
                if not args.keep_models:
                    pruned.unlink(missing_ok=True)
                append({"method": method, "scope": scope, "conv_ratio": fmt_ratio(conv), "fc_ratio": fmt_ratio(fc),
                        "params": pr["parameters"][1], "params_ratio": f"{pr['parameter_ratio']:.6f}",
                        "macs": pr["macs"][1], "macs_ratio": f"{pr['mac_ratio']:.6f}", "images": images,
                        "accuracy": f"{accuracy:.6f}", "finetune_epochs": args.finetune_epochs,
                        "accuracy_finetuned": finetuned, "seconds": f"{time.perf_counter() - start:.1f}"})
                print(f"    accuracy {100 * accuracy:.2f} %" + (f", fine-tuned {100 * float(finetuned):.2f} %"
                      if finetuned else "") + f", params x{pr['parameter_ratio']:.4f}, MACs x{pr['mac_ratio']:.4f}",
                      flush=True)

    save_json()
    path = plot(out, rows, config)
    print(f"results: {csv_path}, {json_path}" + (f", {path}" if path else ""))
    print_table(rows)
    return 0


def print_table(rows):
    print(f"{'method':<8} {'scope':<11} {'conv':>5} {'fc':>5} {'params x':>9} {'MACs x':>7} {'acc %':>7} {'ft %':>7}")
    for r in sorted(rows, key=lambda r: (r["method"] != "none", float(r["fc_ratio"]) > 0, r["scope"],
                                         float(r["conv_ratio"]) + float(r["fc_ratio"]), r["method"])):
        ft = f"{100 * float(r['accuracy_finetuned']):7.2f}" if r["accuracy_finetuned"] else f"{'':>7}"
        print(f"{r['method']:<8} {r['scope']:<11} {r['conv_ratio']:>5} {r['fc_ratio']:>5} "
              f"{float(r['params_ratio']):>9.4f} {float(r['macs_ratio']):>7.4f} {100 * float(r['accuracy']):7.2f} {ft}")


if __name__ == "__main__":
    sys.exit(main())
