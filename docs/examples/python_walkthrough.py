"""A notebook's worth of ftcnn from Python: a model's accuracy, a fault-injection campaign, the model hardened
with the paper's EDAC duplication, the same campaign on the hardened model, and a plot of both.
Each block below is what one notebook cell would hold.

    PYTHONPATH=build/python /usr/bin/python3 docs/examples/python_walkthrough.py [--out out/walkthrough]
        [--reps 20] [--images 200]

(after `pip install .`, plain `python3 docs/examples/python_walkthrough.py`). It writes into --out: the
campaigns' directories, the hardened model, and accuracy_drop.png.
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # a file, no display; in a notebook, leave this out and the figure shows inline
import matplotlib.pyplot as plt
import pandas as pd

import ftcnn

parser = argparse.ArgumentParser()
parser.add_argument("--out", type=Path, default=Path("out/walkthrough"))
parser.add_argument("--reps", type=int, default=20, help="repetitions per BER")
parser.add_argument("--images", type=int, default=200, help="test images per repetition")
args = parser.parse_args()
repo = Path(__file__).resolve().parents[2]
model = repo / "data" / "default" / "small_cifar10.h5"  # the bundled default: a small CIFAR-10 CNN
data = repo / "data" / "default" / "cifar10-test-slice"  # 1,000 CIFAR-10 test images
args.out.mkdir(parents=True, exist_ok=True)
bers = [1e-6, 1e-5, 1e-4]

# --- 1. The model and its fault-free accuracy ---------------------------------------------------------
loaded = ftcnn.load_model(model)
clean = ftcnn.eval(model=model, data=data, images=args.images, quiet=True)
print(f"{loaded}: {100 * clean['accuracy']:.1f} % top-1 on {clean['images']} images")
# clean["logits"] is a numpy array [images, 10]; clean["predictions"] and clean["labels"] too.

# --- 2. A campaign: bit flips in the parameters at three BERs ------------------------------------------
baseline = ftcnn.campaign(model=model, data=data, ber=bers, reps=args.reps, images=args.images, seed=1,
                          out=args.out / "campaign-baseline", quiet=True)
runs = pd.DataFrame(baseline.runs)  # one row per repetition: ber, repetition, faults, correct, masked, sdc, due
print(runs.groupby("ber")[["faults", "sdc", "due"]].mean())

# --- 3. Hardening: per-channel vulnerability (Eq. 1), activation intervals, EDAC on the top 15 % -------
# (the bundled slice holds test images only; with a full CIFAR folder, score on the train split)
ftcnn.vuln(model=model, data=data, split="test", images=64, evenly_spaced=True, out=args.out / "vuln.h5", quiet=True)
ftcnn.profile(model=model, data=data, split="test", out=args.out / "intervals.h5", quiet=True)
hardened = args.out / "hardened.h5"
report = ftcnn.harden(model=model, ratio=0.15, scores=args.out / "vuln.h5", intervals=args.out / "intervals.h5",
                      out=hardened)
print(f"hardened: {report['out']}")

# --- 4. The same campaign (same seed, so the same fault sites where the layers agree) on it -----------
protected = ftcnn.campaign(model=hardened, data=data, ber=bers, reps=args.reps, images=args.images, seed=1,
                           out=args.out / "campaign-hardened", quiet=True)

# --- 5. Both side by side: mean accuracy drop with its 95 % confidence interval ------------------------
summary = pd.concat([pd.DataFrame(baseline.summary).assign(variant="baseline"),
                     pd.DataFrame(protected.summary).assign(variant="EDAC 15 %")])
print(summary[["variant", "ber", "repetitions", "accuracy_drop_mean", "accuracy_drop_ci95_low",
               "accuracy_drop_ci95_high", "sdc_rate", "due_rate"]].to_string(index=False))
figure, axes = plt.subplots(figsize=(5, 3.5))
for variant, rows in summary.groupby("variant"):
    errors = [rows.accuracy_drop_mean - rows.accuracy_drop_ci95_low, rows.accuracy_drop_ci95_high - rows.accuracy_drop_mean]
    axes.errorbar(rows.ber, 100 * rows.accuracy_drop_mean, yerr=[100 * e for e in errors], marker="o", capsize=3,
                  label=variant)
axes.set_xscale("log")
axes.set_xlabel("bit error rate")
axes.set_ylabel("accuracy drop (%)")
axes.set_title(f"{loaded.arch}, {args.reps} repetitions x {args.images} images")
axes.legend()
figure.tight_layout()
figure.savefig(args.out / "accuracy_drop.png", dpi=120)
print(f"wrote {args.out / 'accuracy_drop.png'}")
