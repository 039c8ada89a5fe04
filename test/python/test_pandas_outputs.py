"""Campaign outputs as pandas takes them: no arguments, the right dtypes, several campaigns concatenated.

Run by ctest (CMakeLists.txt) with PYTHONPATH=python and FTCNN_BINARY set; by hand:
  PYTHONPATH=python FTCNN_BINARY=build/ftcnn /usr/bin/python3 -m pytest test/python/test_pandas_outputs.py
"""

import json
import subprocess
from pathlib import Path

import pytest

from ftcnn import verify

pd = pytest.importorskip("pandas")

ROOT = Path(__file__).resolve().parents[2]
MODEL = str(ROOT / "data" / "default" / "small_cifar10.h5")
DATA = str(ROOT / "data" / "default" / "cifar10-test-slice")


def campaign(out, *extra):
    run = subprocess.run([verify.find_binary(), "campaign", "--model", MODEL, "--data", DATA, "--images", "40",
                          "--reps", "3", "--threads", "2", "--out", str(out), *extra],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return out


def test_summary_csv_reads_with_no_arguments_and_concatenates(tmp_path):
    a = campaign(tmp_path / "a", "--ber", "1e-6,1e-5", "--seed", "1")
    # Targets with a comma: the field is quoted, the table keeps its shape.
    b = campaign(tmp_path / "b", "--ber", "1e-5,1e-4", "--seed", "2", "--targets", "layer=classifier.1,bits=exponent")
    frames = [pd.read_csv(d / "summary.csv") for d in (a, b)]
    both = pd.concat(frames, ignore_index=True)
    assert len(both) == 4
    assert list(both["seed"]) == [1, 1, 2, 2]
    assert list(both["targets"]) == ["bits=all"] * 2 + ["layer=classifier.1,bits=exponent"] * 2
    for column in ("seed", "images", "repetitions"):
        assert pd.api.types.is_integer_dtype(both[column]), column
    for column in ("ber", "golden_accuracy", "accuracy_mean", "accuracy_drop_mean", "sdc_rate", "faults_mean"):
        assert pd.api.types.is_float_dtype(both[column]), column
    assert not both.isna().any().any()
    assert set(both["model_checksum"]) == {frames[0]["model_checksum"][0]}
    # The same numbers as summary.json: to the last bit with pandas' round-trip parser (its default parser
    # is faster and may be an ulp off).
    summary = json.loads((a / "summary.json").read_text())
    exact = pd.read_csv(a / "summary.csv", float_precision="round_trip")
    assert list(exact["ber"]) == [row["ber"] for row in summary["per_ber"]]
    assert list(exact["accuracy_drop_mean"]) == [row["accuracy_drop"]["mean"] for row in summary["per_ber"]]
    assert list(exact["sdc_ci95_high"]) == [row["sdc_rate_wilson95"][1] for row in summary["per_ber"]]
    assert exact["golden_accuracy"][0] == summary["golden_accuracy"]
    assert list(frames[0]["accuracy_drop_mean"]) == pytest.approx(list(exact["accuracy_drop_mean"]), rel=1e-14)


@pytest.mark.parametrize("log_faults", [False, True])
def test_runs_jsonl_reads_as_integer_records(tmp_path, log_faults):
    out = campaign(tmp_path / "c", "--ber", "1e-6,1e-5", *(["--log-faults"] if log_faults else []))
    runs = pd.read_json(out / "runs.jsonl", lines=True)
    assert len(runs) == 6  # one row per repetition, no header row
    for column in ("repetition", "faults", "correct", "masked", "sdc", "due"):
        assert pd.api.types.is_integer_dtype(runs[column]), column
    assert list(runs["type"].unique()) == ["repetition"]
    assert (runs["masked"] + runs["sdc"] + runs["due"] == 40).all()
    assert ("fault_list" in runs.columns) == log_faults
    if log_faults:
        assert (runs["fault_list"].map(len) == runs["faults"]).all()
    header = json.loads((out / "campaign.json").read_text())
    assert header["type"] == "campaign" and header["images"] == 40 and header["bers"] == [1e-6, 1e-5]
    # The header as one row, for joining with the records.
    assert pd.json_normalize(header)["golden.images"][0] == 40
