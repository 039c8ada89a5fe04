"""Every ftcnn command as a Python function, run in this process by the engine itself (ftcnn._core).

A call is the command line with its options as keyword arguments: ``ftcnn.campaign(model=M, data=D,
ber=[1e-6, 1e-5], reps=20, log_faults=True)`` runs what ``ftcnn campaign --model M --data D --ber
1e-06,1e-05 --reps 20 --log-faults`` runs, through the same code, so it computes and writes the same
results (the defaults are the command line's too: ``ftcnn <command> --help`` lists them). The mapping:

  name_with_underscores=value   --name-with-underscores value
  flag=True / False / None      --flag / left out / left out
  a list, tuple, numpy array    its items joined by commas (--ber, --targets); for --variant, the flag
                                once per item (variant=[a, b] is --variant a --variant b)
  a path (os.PathLike)          its text
  a whole float, numpy scalar   images=1e3 is --images 1000; np.float64(1e-5) is 1e-05

Each function returns the command's ``--json`` reply as a dict (eval adds numpy arrays, campaign and merge
read what they wrote); a failure raises ftcnn.errors.Error (or UsageError, ...) with the command's message.
"""

import csv
import json
import os
from pathlib import Path

from .errors import raise_for

__all__ = ["run", "info", "eval", "campaign", "replay", "merge", "vuln", "profile", "harden", "prune",
           "bench", "bench_variants", "devices", "CampaignResult", "read_campaign"]


def _core():
    try:
        from . import _core as core
    except ImportError as error:
        raise ImportError(
            "ftcnn's compiled module (ftcnn._core) is not built: `pip install .` in the repository, or build "
            "with CMake (scripts/build.sh) and put <build>/python on PYTHONPATH (docs/python.md)") from error
    return core


# Options given once per value on the command line (`--variant A --variant B`), not as one list.
_REPEATED = {"variant"}


def _plain(value):
    """A numpy scalar as the Python value it holds (np.bool_(True) is a flag, np.int64(3) a number)."""
    if hasattr(value, "tolist") and not isinstance(value.tolist(), list):
        return value.tolist()
    return value


def _items(value):
    """The items of a list-like value (list, tuple, range, numpy array, generator), else None."""
    if isinstance(value, (str, bytes, dict, os.PathLike)):
        return None
    if hasattr(value, "tolist"):
        return value.tolist()  # a numpy array (scalars were made plain before)
    return list(value) if hasattr(value, "__iter__") else None


def _scalar(value):
    value = _plain(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))  # images=1e3 means 1000, as the command line reads it
    return str(value)


def arguments(command, positional=(), options=None):
    """The command line (after `ftcnn`) that a call stands for, --json included."""
    words = command.split()
    words += [_scalar(item) for item in positional]
    for name, value in (options or {}).items():
        value = _plain(value)
        if value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        items = _items(value)
        if value is True:
            words.append(flag)
        elif items is not None and name in _REPEATED:
            for item in items:
                words += [flag, _scalar(item)]
        elif items is not None:
            words += [flag, ",".join(_scalar(item) for item in items)]
        else:
            words += [flag, _scalar(value)]
    return words + ["--json"]


def _call(command, positional=(), options=None):
    """Runs the command; returns (reply dict, arrays dict) or raises its error."""
    result = _core().run(arguments(command, positional, options))
    raise_for(result["status"], result["message"])
    reply = json.loads(result["reply"]) if result["reply"] is not None else {}
    return reply, result["arrays"]


def run(command, *positional, **options):
    """Any subcommand by name ("campaign", "bench-variants"); returns its --json reply as a dict."""
    return _call(command, positional, options)[0]


def info(model, **options):
    return _call("info", (), {"model": model, **options})[0]


def eval(model, data, **options):  # noqa: A001 (the command's name)
    """Classifies images; the reply plus "logits" [N, classes] float32, "predictions" [N] int32 (-1 for a
    row with NaN or Inf) and "labels" [N] int32: numpy arrays over the engine's buffers, not copies."""
    reply, arrays = _call("eval", (), {"model": model, "data": data, **options})
    reply.update(arrays)
    return reply


class CampaignResult(dict):
    """A campaign's --json reply (this dict), and what its --out directory holds, read back:

      header    campaign.json: the configuration (seed, count, targets, images, model checksum, version)
      runs      the repetition records of runs.jsonl, one dict each (pandas.DataFrame(result.runs))
      summary   summary.csv's rows, one dict per BER with the configuration columns and typed values, as
                pandas.read_csv reads them (pandas.DataFrame(result.summary)); [] for a shard
    """

    def __init__(self, reply, out):
        super().__init__(reply)
        self.out = Path(out)
        self.header, self.runs, self.summary = read_campaign(self.out)


def read_campaign(out):
    """(header, runs, summary rows) of a campaign --out directory, this layout or the previous one (the
    header as the first line of runs.jsonl)."""
    out = Path(out)
    header = {}
    runs = []
    log = out / "runs.jsonl"
    if log.exists():
        with open(log) as lines:
            for line in lines:
                if not line.strip() or not line.endswith("\n"):
                    continue  # a last line cut short by a kill: the engine drops it on resume too
                record = json.loads(line)
                if "repetition" in record:
                    runs.append(record)
                elif not header:
                    header = record
    if (out / "campaign.json").exists():
        header = json.loads((out / "campaign.json").read_text())
    summary = []
    if (out / "summary.csv").exists():
        with open(out / "summary.csv", newline="") as rows:
            summary = [{name: _typed(name, text) for name, text in row.items()} for row in csv.DictReader(rows)]
    return header, runs, summary


# summary.csv's text columns; every other column is a number: reals are written with a '.' or an exponent
# (1.0, not 1), so a column keeps one type on every row, as with pandas.read_csv.
_TEXT_COLUMNS = {"model", "model_checksum", "arch", "data", "selection", "device", "count", "targets", "version"}


def _typed(name, text):
    if name in _TEXT_COLUMNS:
        return text
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def campaign(model, data, ber, **options):
    """Runs (or resumes) a campaign; returns a CampaignResult. Ctrl-C stops it after the repetition in flight
    with KeyboardInterrupt; calling again with the same arguments resumes."""
    reply, _ = _call("campaign", (), {"model": model, "data": data, "ber": ber, **options})
    return CampaignResult(reply, reply["out"]) if "out" in reply else reply  # help=True: no campaign


def replay(model, data, faults, **options):
    return _call("replay", (), {"model": model, "data": data, "faults": faults, **options})[0]


def merge(*shards, out, **options):
    """Merges shard directories into `out`; returns a CampaignResult."""
    reply, _ = _call("merge", shards, {"out": out, **options})
    return CampaignResult(reply, out) if reply else reply


def vuln(model, data, **options):
    return _call("vuln", (), {"model": model, "data": data, **options})[0]


def profile(model, data, **options):
    return _call("profile", (), {"model": model, "data": data, **options})[0]


def harden(model, **options):
    return _call("harden", (), {"model": model, **options})[0]


def prune(model, **options):
    return _call("prune", (), {"model": model, **options})[0]


def bench(**options):
    return _call("bench", (), options)[0]


def bench_variants(**options):
    return _call("bench-variants", (), options)[0]


def devices(**options):
    return _call("devices", (), options)[0]
