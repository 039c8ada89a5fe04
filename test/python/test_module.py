"""The Python module against the command line: the same call through ftcnn.<command>(...) and through the
`ftcnn` binary gives the same reply and byte-identical files (SOURCE_DATE_EPOCH fixes the provenance time in
both), errors arrive as exceptions, and arrays come without copies.

Needs the compiled module (CMake builds it where pybind11 is found and ctest sets FTCNN_PYTHON_MODULE=1
then): without it the file is skipped, unless FTCNN_PYTHON_MODULE says it was built.
"""

import filecmp
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
BINARY = os.environ.get("FTCNN_BINARY", str(REPO / "build" / "ftcnn"))
MODEL = str(REPO / "data" / "default" / "small_cifar10.h5")
DATA = str(REPO / "data" / "default" / "cifar10-test-slice")
EPOCH = "1700000000"

try:
    import ftcnn
    from ftcnn import _core  # noqa: F401
except ImportError:
    if os.environ.get("FTCNN_PYTHON_MODULE") == "1":
        raise
    pytest.skip("ftcnn._core is not built (no pybind11 at configure time)", allow_module_level=True)

# Timing and the machine: the only fields two runs of one command may differ in.
TIMING = {"seconds", "images_per_second", "repetitions_per_second", "device_name", "elapsed_seconds",
          "golden_seconds", "time", "threads"}


@pytest.fixture(autouse=True)
def fixed_time(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def cli(*arguments):
    """Runs the binary with --json; returns the reply dict (asserting success)."""
    done = subprocess.run([BINARY, *arguments, "--json", "--quiet"], capture_output=True, text=True,
                          env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def untimed(value):
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


def same_file(a, b):
    """Byte-identical; or, for an HDF5 file that records its own run time (vuln's `seconds`), identical in
    every dataset and every other attribute (two runs of the binary differ there too)."""
    if filecmp.cmp(a, b, shallow=False):
        return True
    import h5py
    with h5py.File(a, "r") as x, h5py.File(b, "r") as y:
        timed = TIMING & set(x.attrs)
        if not timed or untimed(dict(x.attrs)) != untimed(dict(y.attrs)) or set(x) != set(y):
            return False
        datasets_x, datasets_y = [], []
        x.visititems(lambda name, item: datasets_x.append(name) if isinstance(item, h5py.Dataset) else None)
        y.visititems(lambda name, item: datasets_y.append(name) if isinstance(item, h5py.Dataset) else None)
        return datasets_x == datasets_y and all(
            x[name].dtype == y[name].dtype and x[name][()].tobytes() == y[name][()].tobytes() for name in datasets_x)


def same_reply(a, b, paths=()):
    """Replies equal once timing is dropped and the output paths (which differ by design) are aligned."""
    a, b = untimed(a), untimed(b)
    for key in paths:
        a.pop(key, None)
        b.pop(key, None)
    assert a == b


def test_eval_reply_arrays_and_logits_file_match_the_cli(tmp_path):
    expected = cli("eval", "--model", MODEL, "--data", DATA, "--images", "120", "--logits",
                   str(tmp_path / "cli.h5"))
    got = ftcnn.eval(model=MODEL, data=DATA, images=120, logits=tmp_path / "module.h5", quiet=True)
    assert filecmp.cmp(tmp_path / "cli.h5", tmp_path / "module.h5", shallow=False)
    arrays = {k: got.pop(k) for k in ("logits", "predictions", "labels")}
    same_reply(expected, got)
    import h5py
    with h5py.File(tmp_path / "cli.h5", "r") as f:
        assert np.array_equal(arrays["logits"], f["logits"][...])
        assert np.array_equal(arrays["labels"], f["labels"][...].astype(np.int32))
    assert arrays["logits"].shape == (120, 10) and arrays["logits"].dtype == np.float32
    assert np.array_equal(arrays["predictions"], arrays["logits"].argmax(axis=1))
    assert int((arrays["predictions"] == arrays["labels"]).sum()) == expected["correct"]
    # Views over the engine's buffers, kept alive by the array: no copy was made.
    for array in arrays.values():
        assert not array.flags["OWNDATA"] and array.base is not None


def test_campaign_writes_what_the_cli_writes_and_returns_its_records(tmp_path):
    options = ["--ber", "1e-4,1e-3", "--reps", "4", "--images", "60", "--seed", "7", "--log-faults"]
    expected = cli("campaign", "--model", MODEL, "--data", DATA, *options, "--out", str(tmp_path / "cli"))
    got = ftcnn.campaign(model=MODEL, data=DATA, ber=[1e-4, 1e-3], reps=4, images=60, seed=7, log_faults=True,
                         out=tmp_path / "module", quiet=True)
    same_reply(expected, dict(got), paths=("out",))
    for name in ("campaign.json", "summary.csv", "summary.json"):
        a = json.loads((tmp_path / "cli" / name).read_text()) if name.endswith(".json") else None
        if a is None:
            assert filecmp.cmp(tmp_path / "cli" / name, tmp_path / "module" / name, shallow=False), name
        else:
            assert untimed(a) == untimed(json.loads((tmp_path / "module" / name).read_text())), name
    cli_runs = [json.loads(line) for line in (tmp_path / "cli" / "runs.jsonl").read_text().splitlines()]
    assert untimed(cli_runs) == untimed(got.runs)
    assert len(got.runs) == 8 and got.header["seed"] == 7
    assert [row["ber"] for row in got.summary] == [1e-4, 1e-3]

    import pandas as pd
    runs = pd.DataFrame(got.runs)
    for column in ("repetition", "faults", "correct", "masked", "sdc", "due"):
        assert runs[column].dtype == np.int64, column
    # The summary rows are summary.csv as pandas reads it: same columns, values and dtypes.
    summary, from_csv = pd.DataFrame(got.summary), pd.read_csv(tmp_path / "module" / "summary.csv")
    pd.testing.assert_frame_equal(summary, from_csv)


def test_replay_vuln_profile_harden_prune_match_the_cli(tmp_path):
    cli("campaign", "--model", MODEL, "--data", DATA, "--ber", "1e-3", "--reps", "2", "--images", "40",
        "--log-faults", "--out", str(tmp_path / "c"))
    same_reply(cli("replay", "--model", MODEL, "--data", DATA, "--faults", str(tmp_path / "c" / "runs.jsonl"),
                   "--ber", "1e-3", "--repetition", "1"),
               ftcnn.replay(model=MODEL, data=DATA, faults=tmp_path / "c" / "runs.jsonl", ber=1e-3, repetition=1,
                            quiet=True))

    steps = [
        ("vuln", ["--images", "32", "--split", "test"], dict(images=32, split="test")),
        ("profile", ["--images", "64", "--split", "test"], dict(images=64, split="test")),
    ]
    for command, flags, options in steps:
        expected = cli(command, "--model", MODEL, "--data", DATA, *flags, "--out", str(tmp_path / f"cli-{command}.h5"))
        got = getattr(ftcnn, command)(model=MODEL, data=DATA, out=tmp_path / f"py-{command}.h5", quiet=True,
                                      **options)
        same_reply(expected, got, paths=("out",))
        assert same_file(tmp_path / f"cli-{command}.h5", tmp_path / f"py-{command}.h5"), command

    expected = cli("harden", "--model", MODEL, "--ratio", "0.15", "--scores", str(tmp_path / "cli-vuln.h5"),
                   "--intervals", str(tmp_path / "cli-profile.h5"), "--out", str(tmp_path / "cli-hardened.h5"))
    got = ftcnn.harden(model=MODEL, ratio=0.15, scores=tmp_path / "cli-vuln.h5",
                       intervals=tmp_path / "cli-profile.h5", out=tmp_path / "py-hardened.h5")
    same_reply(expected, got, paths=("out",))
    assert filecmp.cmp(tmp_path / "cli-hardened.h5", tmp_path / "py-hardened.h5", shallow=False)

    expected = cli("prune", "--model", MODEL, "--conv-ratio", "0.2", "--fc-ratio", "0.5", "--scores",
                   str(tmp_path / "cli-vuln.h5"), "--out", str(tmp_path / "cli-pruned.h5"))
    got = ftcnn.prune(model=MODEL, conv_ratio=0.2, fc_ratio=0.5, scores=tmp_path / "cli-vuln.h5",
                      out=tmp_path / "py-pruned.h5")
    same_reply(expected, got, paths=("out",))
    assert filecmp.cmp(tmp_path / "cli-pruned.h5", tmp_path / "py-pruned.h5", shallow=False)


def test_errors_are_exceptions_with_the_command_lines_message():
    with pytest.raises(ftcnn.UsageError, match=r"--repz \(did you mean --reps\?\)") as caught:
        ftcnn.campaign(model=MODEL, data=DATA, ber=1e-3, repz=3)
    assert caught.value.exit_status == 2 and isinstance(caught.value, ValueError)
    with pytest.raises(ftcnn.Error, match="no-such.h5") as caught:
        ftcnn.eval(model="no-such.h5", data=DATA)
    assert caught.value.exit_status == 1 and not isinstance(caught.value, ftcnn.UsageError)
    with pytest.raises(ftcnn.Error, match="no-such.h5"):
        ftcnn.load_model("no-such.h5")
    # An error leaves the module usable.
    assert ftcnn.info(model=MODEL)["arch"] == "small"


def test_model_forward_equals_eval_logits():
    model = ftcnn.load_model(MODEL)
    assert model.input_shape == (3, 32, 32) and model.num_classes == 10 and model.arch == "small"
    reference = ftcnn.eval(model=MODEL, data=DATA, images=50, quiet=True)
    assert model.checksum == reference["model_checksum"]
    from ftcnn.cifar_binary import read_split
    images = read_split(DATA, "test")[0]
    logits = model.logits(images[:50])  # uint8 NHWC, preprocessed as the engine does (one batch, as eval)
    assert np.array_equal(logits, reference["logits"])
    assert np.array_equal(model.predict(images[:50]), reference["predictions"])
    batch = model.preprocess(images[:50])
    assert np.array_equal(model.logits(batch), logits)  # float32 NCHW taken as it is
    with pytest.raises(ValueError, match=r"takes a batch \[N, 3, 32, 32\]"):
        model.logits(np.zeros((2, 3, 28, 28), np.float32))


def test_ctrl_c_stops_a_campaign_with_keyboard_interrupt_and_a_second_call_resumes(tmp_path):
    script = f"""
import sys, ftcnn
try:
    ftcnn.campaign(model={MODEL!r}, data={DATA!r}, ber=[1e-3], reps=200, images=100, out={str(tmp_path / 'c')!r})
except KeyboardInterrupt as stop:
    print("KeyboardInterrupt:", stop, flush=True)
    sys.exit(5)
"""
    env = {**os.environ, "FTCNN_PROGRESS_SECONDS": "0.05"}
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env)
    log = tmp_path / "c" / "runs.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and (not log.exists() or log.read_text().count("\n") < 3):
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 5, err
    assert "campaign stopped by SIGINT after" in out and "rerun the same command to resume" in out
    done = len(log.read_text().splitlines())
    assert 0 < done < 200
    resumed = ftcnn.campaign(model=MODEL, data=DATA, ber=[1e-3], reps=200, images=100, out=tmp_path / "c",
                             quiet=True)
    assert resumed["repetitions_resumed"] == done and len(resumed.runs) == 200
    whole = cli("campaign", "--model", MODEL, "--data", DATA, "--ber", "1e-3", "--reps", "200", "--images", "100",
                "--out", str(tmp_path / "whole"))
    assert (tmp_path / "c" / "summary.csv").read_bytes() == (tmp_path / "whole" / "summary.csv").read_bytes()
    assert untimed(whole["per_ber"]) == untimed(resumed["per_ber"])


def test_python_values_become_the_flags_the_command_line_takes():
    from ftcnn.commands import arguments
    assert arguments("campaign", (), dict(ber=np.array([1e-6, 1e-5]), log_faults=np.bool_(True), images=1e3,
                                          reps=np.int64(3), seed=None, verify_each=False, out=Path("o"))) == [
        "campaign", "--ber", "1e-06,1e-05", "--log-faults", "--images", "1000", "--reps", "3", "--out", "o", "--json"]
    assert arguments("bench-variants", (), dict(variant=["a.h5", "b.h5"], batch=range(250, 750, 250))) == [
        "bench-variants", "--variant", "a.h5", "--variant", "b.h5", "--batch", "250,500", "--json"]


def test_sigterm_is_not_an_error_a_script_would_swallow():
    from ftcnn.errors import raise_for
    with pytest.raises(ftcnn.Interrupted) as caught:
        raise_for(143, "ftcnn: campaign stopped by SIGTERM after 3 of 9 repetitions")
    assert not isinstance(caught.value, ftcnn.Error) and caught.value.code == 143


def test_integer_pixels_are_preprocessed_and_out_of_range_ones_refused():
    model = ftcnn.load_model(MODEL)
    from ftcnn.cifar_binary import read_split
    images = read_split(DATA, "test")[0][:8]
    assert np.array_equal(model.logits(images.astype(np.int64)), model.logits(images))
    with pytest.raises(ValueError, match="0..255"):
        model.logits(images.astype(np.int32) * 2)
