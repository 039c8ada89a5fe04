"""Every JSON output of ftcnn, produced for real with the binary and validated against its schema in docs/schemas/.

The files a campaign writes (campaign.json, each line of runs.jsonl, summary.json) and the one-object --json
reply of every subcommand. Counts are checked as JSON integers strictly: JSON Schema takes 3.0 as an integer,
these tests do not, so that a count printed from a double fails.

Run by ctest (CMakeLists.txt) with PYTHONPATH=python and FTCNN_BINARY set; by hand:
  PYTHONPATH=python FTCNN_BINARY=build/ftcnn python3 -m pytest test/python/test_schemas.py
"""

import copy
import json
import os
from pathlib import Path
import shutil
import subprocess

import pytest

jsonschema = pytest.importorskip("jsonschema")

SOURCE = Path(__file__).resolve().parents[2]
SCHEMAS = SOURCE / "docs" / "schemas"
MODEL = SOURCE / "data" / "default" / "small_cifar10.h5"
DATA = SOURCE / "data" / "default" / "cifar10-test-slice"
SUFFIX = ".schema.json"

# Every schema and what produces it (the fixture below runs each for real).
PRODUCERS = {
    "campaign": "campaign.json of ftcnn campaign and ftcnn merge",
    "runs": "each line of runs.jsonl of ftcnn campaign and ftcnn merge",
    "summary": "summary.json of ftcnn campaign and ftcnn merge",
    "campaign-reply": "ftcnn campaign --json",
    "replay-reply": "ftcnn replay --json",
    "merge-reply": "ftcnn merge --json",
    "eval-reply": "ftcnn eval --json",
    "profile-reply": "ftcnn profile --json",
    "info-reply": "ftcnn info --json",
    "prune-reply": "ftcnn prune --json",
    "harden-reply": "ftcnn harden --json",
    "vuln-reply": "ftcnn vuln --json",
    "bench-reply": "ftcnn bench --json",
    "bench-variants-reply": "ftcnn bench-variants --json",
    "devices-reply": "ftcnn devices --json",
}


def find_binary():
    """$FTCNN_BINARY, else build/ftcnn of this checkout, else `ftcnn` on PATH (as ftcnn.verify.find_binary)."""
    for candidate in (os.environ.get("FTCNN_BINARY"), str(SOURCE / "build" / "ftcnn"), shutil.which("ftcnn")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail("no ftcnn binary: set FTCNN_BINARY or build it (scripts/build.sh)")


def load_schema(name):
    return json.loads((SCHEMAS / f"{name}{SUFFIX}").read_text())


def schema_names():
    return sorted(p.name[:-len(SUFFIX)] for p in SCHEMAS.glob(f"*{SUFFIX}"))


def validator(name, strict_integers=True):
    """The schema's validator (its $schema draft); with strict_integers, only a JSON integer is an integer."""
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    if strict_integers:
        checker = cls.TYPE_CHECKER.redefine(
            "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool))
        cls = jsonschema.validators.extend(cls, type_checker=checker)
    return cls(schema)


def errors_of(name, instance, strict_integers=True):
    found = sorted(validator(name, strict_integers).iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in found]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """{schema name: [(label, JSON value), ...]}: every output, each in the variants the commands give."""
    binary = find_binary()
    work = tmp_path_factory.mktemp("outputs")
    produced = {name: [] for name in PRODUCERS}

    def ftcnn(*args):
        run = subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, f"ftcnn {' '.join(map(str, args))}: {run.stderr}"
        return run.stdout

    def reply(label, *args):
        # The whole of stdout is one JSON object.
        value = json.loads(ftcnn(*args, "--json"))
        produced[f"{args[0]}-reply"].append((label, value))
        return value

    def campaign_files(label, out):
        produced["campaign"].append((label, json.loads((out / "campaign.json").read_text())))
        lines = (out / "runs.jsonl").read_text().splitlines()
        assert lines, f"{out}/runs.jsonl is empty"
        produced["runs"] += [(f"{label} runs.jsonl line {k + 1}", json.loads(line)) for k, line in enumerate(lines)]
        if (out / "summary.json").exists():
            produced["summary"].append((label, json.loads((out / "summary.json").read_text())))

    common = ["--model", MODEL, "--data", DATA]
    small = ["--threads", "2"]
    campaign = [*common, "--images", "50", "--ber", "1e-5,1e-4", "--reps", "2", "--batch", "25", *small]

    # A whole campaign (paper count, fault lists logged) and one in two shards (binomial count), merged.
    reply("campaign paper --log-faults", "campaign", *campaign, "--log-faults", "--out", work / "whole")
    campaign_files("campaign paper --log-faults", work / "whole")
    for k in (1, 2):
        reply(f"campaign shard {k}/2", "campaign", *campaign, "--count", "binomial", "--shard", f"{k}/2",
              "--out", work / f"shard{k}")
        campaign_files(f"campaign shard {k}/2", work / f"shard{k}")
    reply("merge", "merge", "--out", work / "merged", work / "shard1", work / "shard2")
    campaign_files("merge", work / "merged")
    reply("replay", "replay", *common, "--faults", work / "whole" / "runs.jsonl", "--ber", "1e-4",
          "--repetition", "1", *small)

    reply("eval", "eval", *common, "--limit", "50", "--batch", "25", *small)
    reply("profile", "profile", *common, "--split", "test", "--images", "50", "--batch", "25", *small,
          "--out", work / "intervals.h5")
    reply("vuln exact", "vuln", *common, "--split", "test", "--images", "8", *small, "--out", work / "vuln.h5",
          "--csv", work / "vuln.csv")
    reply("vuln random", "vuln", "--model", MODEL, "--method", "random", "--seed", "3")

    reply("harden edac", "harden", "--model", MODEL, "--ratio", "0.2", "--mode", "edac", "--intervals",
          work / "intervals.h5", "--ranking", work / "vuln.h5", "--out", work / "edac.h5")
    reply("harden tmr", "harden", "--model", MODEL, "--ratio", "0.2", "--mode", "tmr", "--ranking-method",
          "random", "--out", work / "tmr.h5")
    reply("harden dup-only", "harden", "--model", MODEL, "--ratio", "0.2", "--mode", "dup-only",
          "--ranking-method", "l1", "--out", work / "dup.h5")

    reply("prune l1", "prune", "--model", MODEL, "--conv-ratio", "0.25", "--fc-ratio", "0.25", "--importance",
          "l1", "--out", work / "pruned.h5")
    reply("prune random", "prune", "--model", MODEL, "--conv-ratio", "0.25", "--fc-ratio", "0", "--importance",
          "random", "--seed", "2", "--out", work / "pruned-random.h5")
    reply("prune exact", "prune", *common, "--conv-ratio", "0.25", "--fc-ratio", "0", "--importance", "exact",
          "--split", "test", "--images", "8", *small, "--out", work / "pruned-exact.h5")
    reply("prune --scores, global", "prune", "--model", MODEL, "--conv-ratio", "0.25", "--fc-ratio", "0",
          "--scores", work / "vuln.h5", "--scope", "global", "--out", work / "pruned-global.h5")

    # info on a plain model and on hardened ones (edac and tmr_vote layers).
    reply("info", "info", "--model", MODEL)
    reply("info edac", "info", "--model", work / "edac.h5", "--batch", "10")
    reply("info tmr", "info", "--model", work / "tmr.h5")

    bench = [*common, "--images", "20", "--warmup", "0", "--repeats", "1", *small]
    reply("bench --campaign-reps", "bench", *bench, "--batch", "10,20", "--campaign-reps", "1")
    reply("bench", "bench", *bench, "--batch", "20")
    reply("bench --layers", "bench", *bench, "--batch", "20", "--layers")
    reply("bench-variants", "bench-variants", *bench, "--batch", "20", "--variant", work / "pruned.h5",
          "--variant", work / "tmr.h5")
    reply("devices", "devices")
    return produced


@pytest.mark.parametrize("name", sorted(PRODUCERS))
def test_output_matches_its_schema(outputs, name):
    assert outputs[name], f"no {PRODUCERS[name]} was produced"
    for label, instance in outputs[name]:
        errors = errors_of(name, instance)
        assert not errors, f"{label} against {name}{SUFFIX}:\n  " + "\n  ".join(errors[:10])


def test_the_variants_are_produced(outputs):
    """The optional parts of the schemas are exercised: fault lists, shards, both count models, null fields."""
    runs = [value for _, value in outputs["runs"]]
    assert any("fault_list" in r for r in runs) and any("fault_list" not in r for r in runs)
    assert sum("shard" in h for _, h in outputs["campaign"]) == 2
    replies = [value for _, value in outputs["campaign-reply"]]
    assert any("per_ber" in r for r in replies) and any("shard" in r for r in replies)
    assert {row["count"] for r in replies for row in r["faults_per_repetition"]} == {"paper", "binomial"}
    assert len(outputs["summary"]) == 2  # the whole campaign's and the merged one's
    assert {v["hardening"]["mode"] for _, v in outputs["harden-reply"]} == {"edac", "tmr", "dup-only"}
    assert {v["pruning"]["importance"]["computed"] for _, v in outputs["prune-reply"]} == {"inline", "file"}
    assert {v["campaign"] is None for _, v in outputs["bench-reply"]} == {True, False}
    assert {v["layers"] is None for _, v in outputs["bench-reply"]} == {True, False}
    types = {layer["type"] for _, v in outputs["info-reply"] for layer in v["layers"]}
    assert {"conv2d", "linear", "edac", "tmr_vote"} <= types


def test_every_schema_is_valid_and_used():
    """Each file in docs/schemas/ is a valid schema of its draft, and each is validated by a test above."""
    names = schema_names()
    assert names == sorted(PRODUCERS), "docs/schemas/ and PRODUCERS differ: every schema needs a producer"
    for name in names:
        schema = load_schema(name)
        jsonschema.validators.validator_for(schema).check_schema(schema)


def walk(schema, path=""):
    """(path, subschema) of every subschema, not entering `if` (a condition, not a description)."""
    if isinstance(schema, dict):
        yield path, schema
        for key, value in schema.items():
            if key in ("if", "const", "enum"):
                continue
            yield from walk(value, f"{path}/{key}")
    elif isinstance(schema, list):
        for k, value in enumerate(schema):
            yield from walk(value, f"{path}/{k}")


def test_the_schemas_are_strict():
    """A title and a one-sentence description, no $id; every field typed; objects of fixed keys closed."""
    open_objects = []
    for name in schema_names():
        schema = load_schema(name)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", name
        assert schema["title"] and schema["description"].endswith("."), name
        assert ". " not in schema["description"], f"{name}: the description is one sentence"
        assert schema["type"] == "object" and schema["additionalProperties"] is False, name
        for path, sub in walk(schema):
            assert "$id" not in sub, f"{name}{path}"
            for field, spec in sub.get("properties", {}).items():
                if path.endswith("/not") or "/allOf/" in path:
                    continue
                assert {"type", "$ref", "oneOf"} & spec.keys(), f"{name}{path}/properties/{field} has no type"
            if "properties" in sub and sub.get("additionalProperties") is not False:
                open_objects.append(f"{name}{path}")
    # The one open object: an interval file's provenance, whatever the file holds.
    assert open_objects == ["harden-reply/properties/hardening/properties/intervals/oneOf/1/properties/provenance"]


def test_shared_definitions_agree():
    """A $defs name in several schemas is the same definition in each; summary.json's header is campaign.json's."""
    seen = {}
    for name in schema_names():
        for key, definition in load_schema(name).get("$defs", {}).items():
            if key in seen:
                assert definition == seen[key][1], f"$defs/{key} differs in {name} and {seen[key][0]}"
            else:
                seen[key] = (name, definition)
    header = load_schema("campaign")
    body = {k: v for k, v in header.items() if k not in ("$schema", "title", "description", "$defs")}
    assert load_schema("summary")["$defs"]["campaign_header"] == body


def first(outputs, name, label):
    return copy.deepcopy(next(value for lab, value in outputs[name] if lab == label))


def set_path(value, path, new):
    for key in path[:-1]:
        value = value[key]
    value[path[-1]] = new


def delete_path(value, path):
    for key in path[:-1]:
        value = value[key]
    del value[path[-1]]


# (schema, label of the output, what is done to it)
MUTATIONS = {
    "a count as a float": ("eval-reply", "eval", lambda v: set_path(v, ["correct"], float(v["correct"]))),
    "a count with a fraction": ("eval-reply", "eval", lambda v: set_path(v, ["images"], v["images"] + 0.5)),
    "a required field removed": ("eval-reply", "eval", lambda v: delete_path(v, ["images"])),
    "an unknown field": ("eval-reply", "eval", lambda v: set_path(v, ["gpu"], 0)),
    "a device not in the enum": ("eval-reply", "eval", lambda v: set_path(v, ["device"], "gpu")),
    "a rate above 1": ("eval-reply", "eval", lambda v: set_path(v, ["accuracy"], 43.0)),
    "a number as a string": ("eval-reply", "eval", lambda v: set_path(v, ["seconds"], "0.1")),
    "a bit outside float32": ("runs", "campaign paper --log-faults runs.jsonl line 1",
                              lambda v: set_path(v, ["fault_list", 0, 2], 32)),
    "a fault of four fields": ("runs", "campaign paper --log-faults runs.jsonl line 1",
                               lambda v: v["fault_list"][0].append(0)),
    "a negative outcome count": ("runs", "campaign shard 1/2 runs.jsonl line 1", lambda v: set_path(v, ["sdc"], -1)),
    "per_ber and shard both": ("campaign-reply", "campaign paper --log-faults", lambda v: set_path(v, ["shard"], "1/2")),
    "neither per_ber nor shard": ("campaign-reply", "campaign paper --log-faults", lambda v: delete_path(v, ["per_ber"])),
    "a fractional paper count": ("campaign-reply", "campaign paper --log-faults",
                                 lambda v: set_path(v, ["faults_per_repetition", 0, "faults"], 111.5)),
    "a sample n as a float": ("summary", "merge", lambda v: set_path(v, ["per_ber", 0, "accuracy", "n"], 2.0)),
    "a confidence interval of three": ("summary", "merge",
                                       lambda v: v["per_ber"][0]["sdc_rate_wilson95"].append(0.5)),
    "a header without its golden run": ("campaign", "merge", lambda v: delete_path(v, ["golden"])),
    "a malformed shard": ("campaign", "campaign shard 2/2", lambda v: set_path(v, ["shard"], "2 of 2")),
    "a count model not in the enum": ("summary", "merge", lambda v: set_path(v, ["campaign", "count"], "poisson")),
    "a ranking of the wrong method": ("harden-reply", "harden dup-only",
                                      lambda v: set_path(v, ["hardening", "ranking"], {"method": "l1", "seed": 1})),
    "a file source without its file": ("prune-reply", "prune --scores, global",
                                       lambda v: delete_path(v, ["pruning", "importance", "file"])),
    "a layer type not in the enum": ("info-reply", "info", lambda v: set_path(v, ["layers", 0, "type"], "conv3d")),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_mutated_output_fails(outputs, mutation):
    name, label, mutate = MUTATIONS[mutation]
    value = first(outputs, name, label)
    assert not errors_of(name, value)
    mutate(value)
    assert errors_of(name, value), f"{name}{SUFFIX} accepts {label} with {mutation}"


def test_plain_json_schema_takes_a_whole_float_as_an_integer(outputs):
    """Why the tests check integers strictly: by JSON Schema a count printed as 43.0 would pass."""
    value = first(outputs, "eval-reply", "eval")
    value["correct"] = float(value["correct"])
    assert not errors_of("eval-reply", value, strict_integers=False)
    assert errors_of("eval-reply", value)
