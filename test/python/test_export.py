"""python3 -m ftcnn.export on modules users bring: traced, written, verified through the ftcnn binary.

Run by ctest (CMakeLists.txt) with PYTHONPATH=python and FTCNN_BINARY set; by hand:
  PYTHONPATH=python FTCNN_BINARY=build/ftcnn python3 -m pytest test/python
"""

import json
import subprocess
from pathlib import Path
import sys
import textwrap

import h5py
import pytest
import torch
from torch import nn

from ftcnn import model_file, models, trace, verify

# The custom CNN of the issue that asked for this: 4 convolutions with BatchNorm, a 5x5 and a stride-2
# kernel, max and average pooling, two linear layers, dropout; functional ReLUs and a view.
NETS = textwrap.dedent('''
    import torch
    import torch.nn.functional as F
    from torch import nn


    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.b1 = nn.Conv2d(3, 16, 5, padding=2), nn.BatchNorm2d(16)
            self.c2, self.b2 = nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32)
            self.c3, self.b3 = nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32)
            self.c4, self.b4 = nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64)
            self.pool, self.avg = nn.MaxPool2d(2), nn.AvgPool2d(2)
            self.fc1, self.drop, self.fc2 = nn.Linear(64 * 4 * 4, 128), nn.Dropout(0.3), nn.Linear(128, 10)

        def forward(self, x):
            x = F.relu(self.b1(self.c1(x)))
            x = F.relu(self.b2(self.c2(x)))
            x = self.pool(F.relu(self.b3(self.c3(x))))
            x = self.avg(torch.relu(self.b4(self.c4(x))))
            x = x.view(x.size(0), -1)
            return self.fc2(self.drop(F.relu(self.fc1(x))))


    class Block(nn.Module):
        """conv-BN-ReLU-conv-BN + shortcut (identity, or a strided 1x1 conv + BN), add, ReLU."""

        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
            self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return F.relu(out + self.shortcut(x))


    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
            self.layer1 = Block(16, 16, 1)
            self.layer2 = Block(16, 32, 2)
            self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))

        def forward(self, x):
            return self.head(self.layer2(self.layer1(self.stem(x))))


    class Squeeze(nn.Module):
        def __init__(self):
            super().__init__()
            self.se = nn.AdaptiveMaxPool2d(1)

        def forward(self, x):
            return x * self.se(x)


    class Gate(nn.Module):
        """A squeeze-and-excitation gate: traced, but its Sigmoid is an ONNX op ftcnn lacks (test_onnx.py)."""

        def __init__(self):
            super().__init__()
            self.pool = nn.AdaptiveAvgPool2d(1)

        def forward(self, x):
            return x * torch.sigmoid(self.pool(x))


    class WithUnsupported(nn.Module):
        def __init__(self, squeeze=Squeeze):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, padding=1)
            self.layer3 = nn.Sequential(squeeze())
            self.fc = nn.Linear(8 * 32 * 32, 10)

        def forward(self, x):
            return self.fc(torch.flatten(self.layer3(self.conv(x)), 1))


    def seed_batchnorm(net):
        """Running statistics away from 0 / 1, so that a dropped (or folded) BatchNorm shows."""
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.3)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.normal_(0, 0.3)
        return net


    def _seeded(cls):
        torch.manual_seed(0)
        return seed_batchnorm(cls())


    class Activations(nn.Module):
        """ReLU6 and LeakyReLU as modules and as functions."""

        def __init__(self):
            super().__init__()
            self.conv1, self.act1 = nn.Conv2d(3, 8, 3, padding=1), nn.ReLU6()
            self.conv2, self.act2 = nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.LeakyReLU(0.2)
            self.fc = nn.Linear(8 * 16 * 16, 10)

        def forward(self, x):
            x = F.relu6(self.act1(self.conv1(x)))
            x = F.leaky_relu(self.act2(self.conv2(x)), negative_slope=0.05)
            return self.fc(torch.flatten(x, 1))


    def activations():
        return _seeded(Activations)


    def custom():
        return _seeded(Custom)


    def residual():
        return _seeded(Residual)


    def unsupported():
        return _seeded(WithUnsupported)


    def gated():
        return _seeded(lambda: WithUnsupported(Gate))
''')


@pytest.fixture
def nets(tmp_path, monkeypatch):
    (tmp_path / "user_nets.py").write_text(NETS)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    import importlib
    import user_nets
    return importlib.reload(user_nets)


def export(*args):
    """Runs python3 -m ftcnn.export; (exit status, stdout + stderr)."""
    run = subprocess.run([sys.executable, "-m", "ftcnn.export", *args], capture_output=True, text=True)
    return run.returncode, run.stdout + run.stderr


def provenance(path):
    with h5py.File(path, "r") as f:
        return json.loads(f.attrs["provenance"])


@pytest.mark.parametrize("factory, layers", [("custom", 19), ("residual", 22), ("activations", 8)])
def test_a_module_is_traced_written_and_verified(nets, tmp_path, factory, layers):
    status, output = export("--module", f"user_nets:{factory}", "--dataset", "cifar10", "--out", "net.h5")
    assert status == 0, output
    assert "predictions identical" in output
    record = provenance(tmp_path / "net.h5")["verification"]
    assert record["differing_predictions"] == 0 and record["images"]["random"] == verify.RANDOM_IMAGES
    assert record["max_relative_logit_difference"] <= verify.TOLERANCE
    # The file's architecture, rebuilt by the Python twin, computes what the module computes.
    loaded, metadata = model_file.load_model(tmp_path / "net.h5")
    assert len(metadata["architecture"]["layers"]) == layers
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(loaded(x), getattr(nets, factory)().eval()(x), atol=1e-5)


def test_residual_names_follow_the_modules(nets):
    arch, state = trace.trace(nets.residual(), [3, 32, 32])
    by_name = {layer["name"]: layer for layer in arch["layers"]}
    assert by_name["layer2.add"]["type"] == "add"
    assert by_name["layer2.add"]["inputs"] == ["layer2.bn2", "layer2.shortcut.1"]
    assert by_name["layer1.add"]["inputs"] == ["layer1.bn2", "stem.2"]  # the identity shortcut
    assert by_name["head.0"]["type"] == "global_avgpool"
    assert "layer2.shortcut.0.weight" in state


def test_a_state_dict_of_the_module_loads_into_the_factory(nets, tmp_path):
    torch.save(nets.custom().state_dict(), tmp_path / "weights.pt")
    status, output = export("--module", "user_nets:custom", "--in", "weights.pt", "--dataset", "cifar10",
                            "--out", "net.h5")
    assert status == 0, output
    assert provenance(tmp_path / "net.h5")["source"].startswith("weights.pt (sha256 ")


def test_a_whole_pickled_module_is_traced(nets, tmp_path):
    torch.save(nets.residual(), tmp_path / "whole.pt")
    status, output = export("--in", "whole.pt", "--dataset", "cifar10", "--out", "net.h5")
    assert status == 0, output


def test_an_unsupported_op_is_refused_by_name_and_module_path(nets, tmp_path):
    status, output = export("--module", "user_nets:unsupported", "--dataset", "cifar10", "--out", "net.h5")
    assert status == 1
    assert output.strip() == "ftcnn.export: error: layer3.0.se: AdaptiveMaxPool2d is not supported"
    assert not (tmp_path / "net.h5").exists()


def test_verification_catches_a_wrong_export(nets, tmp_path):
    """The architecture with one ReLU left out (the mistake a hand-written JSON made) fails the check, and a
    failed export leaves an existing file alone."""
    net = nets.custom()
    arch, state = trace.trace(net, [3, 32, 32])
    dropped = next(i for i, layer in enumerate(arch["layers"]) if layer["name"] == "relu_4")
    removed = arch["layers"].pop(dropped)
    for layer in arch["layers"]:
        layer["inputs"] = [removed["inputs"][0] if i == removed["name"] else i for i in layer["inputs"]]
    wrong = tmp_path / "wrong.h5"
    model_file.save_model(wrong, state, arch, "cifar10", [str(i) for i in range(10)], [0.5] * 3, [0.25] * 3,
                          {"source": "test"})
    preprocessing = {"scale": model_file.PIXEL_SCALE, "mean": [0.5] * 3, "std": [0.25] * 3}
    with pytest.raises(verify.VerificationError, match="does not compute what the module computes"):
        verify.verify(wrong, net, preprocessing)
    # The right architecture passes the same check.
    model_file.save_model(wrong, state, trace.trace(net, [3, 32, 32])[0], "cifar10", [str(i) for i in range(10)],
                          [0.5] * 3, [0.25] * 3, {"source": "test"})
    assert verify.verify(wrong, net, preprocessing)["differing_predictions"] == 0


def test_a_failed_export_overwrites_nothing(nets, tmp_path):
    (tmp_path / "net.h5").write_bytes(b"the user's earlier file")
    status, _ = export("--module", "user_nets:unsupported", "--dataset", "cifar10", "--out", "net.h5")
    assert status == 1
    assert (tmp_path / "net.h5").read_bytes() == b"the user's earlier file"
    assert not list(tmp_path.glob("*.unverified"))


def test_a_builtin_resnet20_state_dict_is_exported_and_verified(tmp_path):
    torch.manual_seed(1)
    torch.save(models.build_module("resnet20").state_dict(), tmp_path / "resnet20.pt")
    status, output = export("--in", str(tmp_path / "resnet20.pt"), "--arch", "resnet20", "--dataset", "cifar10",
                            "--out", str(tmp_path / "r20.h5"))
    assert status == 0, output
    assert provenance(tmp_path / "r20.h5")["verification"]["differing_predictions"] == 0


@pytest.mark.parametrize("name, refusal", [
    ("model.onnx", b"\x08\x07\x12\x07pytorch"),
    ("model.safetensors", b"\x10\x00\x00\x00\x00\x00\x00\x00{}"),
])
def test_foreign_files_are_named(tmp_path, name, refusal):
    (tmp_path / name).write_bytes(refusal)
    status, output = export("--in", str(tmp_path / name), "--dataset", "cifar10", "--out", str(tmp_path / "x.h5"))
    assert status == 1
    assert ("ONNX" if name.endswith("onnx") else "SafeTensors") in output


def test_torchvision_resnet18_is_exported_and_verified(tmp_path):
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18(num_classes=10), tmp_path / "resnet18.pt")
    status, output = export("--in", str(tmp_path / "resnet18.pt"), "--dataset", "cifar10",
                            "--out", str(tmp_path / "resnet18.h5"))
    assert status == 0, output
    assert "69 layers" in output


def test_mobilenet_v2_is_exported_verified_and_runs_a_campaign(tmp_path):
    """Depthwise convolutions, ReLU6, inverted residuals: exported, then classified and fault-injected."""
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    torch.save(torchvision.models.mobilenet_v2(num_classes=10), tmp_path / "mnv2.pt")
    status, output = export("--in", str(tmp_path / "mnv2.pt"), "--dataset", "cifar10",
                            "--out", str(tmp_path / "mnv2.h5"))
    assert status == 0, output
    binary = verify.find_binary()
    data = str(Path(__file__).resolve().parents[2] / "data" / "default" / "cifar10-test-slice")
    run = subprocess.run([binary, "campaign", "--model", str(tmp_path / "mnv2.h5"), "--data", data, "--images",
                          "20", "--ber", "1e-5", "--reps", "2", "--count", "binomial", "--out",
                          str(tmp_path / "campaign"), "--threads", "2"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "campaign" / "summary.csv").is_file()
    # Eq. (1), pruning and hardening take grouped and depthwise convolutions.
    run = subprocess.run([binary, "vuln", "--model", str(tmp_path / "mnv2.h5"), "--data", data, "--split", "test",
                          "--images", "2", "--out", str(tmp_path / "v.h5")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    run = subprocess.run([binary, "prune", "--model", str(tmp_path / "mnv2.h5"), "--conv-ratio", "0.25",
                          "--fc-ratio", "0", "--scores", str(tmp_path / "v.h5"), "--out", str(tmp_path / "p.h5")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    run = subprocess.run([binary, "eval", "--model", str(tmp_path / "p.h5"), "--data", data, "--images", "4"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    # Hardened (every conv, depthwise ones included): ftcnn classifies as the plain model, and the PyTorch
    # module of the hardened file (hardening.GroupedCopiesConv2d for the grouped layers) computes what ftcnn
    # computes.
    run = subprocess.run([binary, "profile", "--model", str(tmp_path / "mnv2.h5"), "--data", data, "--split", "test",
                          "--images", "64", "--out", str(tmp_path / "i.h5")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    for mode in ("edac", "dup-only", "tmr"):
        hardened = tmp_path / f"h-{mode}.h5"
        extra = ["--intervals", str(tmp_path / "i.h5")] if mode == "edac" else []
        run = subprocess.run([binary, "harden", "--model", str(tmp_path / "mnv2.h5"), "--ratio", "0.15", "--mode",
                              mode, "--scores", str(tmp_path / "v.h5"), *extra, "--out", str(hardened)],
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        module, hardened_metadata = model_file.load_model(hardened)
        record = verify.verify(hardened, module, hardened_metadata["preprocessing"], data=data)
        assert record["differing_predictions"] == 0, mode
        with h5py.File(hardened, "r") as f:
            arch = json.loads(f.attrs["architecture"])
        assert all(layer["out"] > layer["groups"] for layer in arch["layers"] if layer.get("groups", 1) > 1)
        # Fault-free, the copies equal their originals: ftcnn classifies the 64 profiled images (nothing
        # clipped) as the plain model does.
        logits = {}
        for name, path in (("plain", tmp_path / "mnv2.h5"), (mode, hardened)):
            out = tmp_path / f"{name}.logits.h5"
            run = subprocess.run([binary, "eval", "--model", str(path), "--data", data, "--images", "64",
                                  "--logits", str(out)], capture_output=True, text=True)
            assert run.returncode == 0, run.stderr
            with h5py.File(out, "r") as f:
                logits[name] = f["logits"][...]
        assert (logits[mode].argmax(1) == logits["plain"].argmax(1)).all(), mode
        assert abs(logits[mode] - logits["plain"]).max() <= 1e-4, mode


def test_the_cifar_mobilenet_v2_of_the_zoo_is_exported_from_its_factory(tmp_path):
    """--module ftcnn.zoo:mobilenet_v2_cifar: stride-1 stem and second stage, so 32 x 32 ends at 4 x 4."""
    pytest.importorskip("torchvision")
    status, output = export("--module", "ftcnn.zoo:mobilenet_v2_cifar", "--dataset", "cifar10",
                            "--out", str(tmp_path / "mnv2.h5"))
    assert status == 0, output
    _, metadata = model_file.load_model(tmp_path / "mnv2.h5")
    arch = metadata["architecture"]
    shapes = {layer["name"]: shape for layer, shape in zip(arch["layers"], models.infer_shapes(arch))}
    assert shapes["features.0.0"] == [32, 32, 32]  # the stem keeps the resolution
    assert shapes["features.18.0"] == [1280, 4, 4]
    assert provenance(tmp_path / "mnv2.h5")["source"] == "ftcnn.zoo:mobilenet_v2_cifar()"


def test_every_command_runs_on_resnet20(tmp_path):
    """eval, profile, vuln, harden (edac, dup-only, tmr), prune (Eq. (1) and L1) and campaign on the built-in
    ResNet-20 (identity and projection shortcuts): each succeeds, and fault-free the hardened models classify
    as the plain one."""
    torch.manual_seed(2)
    torch.save(models.build_module("resnet20").state_dict(), tmp_path / "r20.pt")
    status, output = export("--in", str(tmp_path / "r20.pt"), "--arch", "resnet20", "--dataset", "cifar10",
                            "--out", str(tmp_path / "r20.h5"))
    assert status == 0, output
    binary = verify.find_binary()
    data = str(Path(__file__).resolve().parents[2] / "data" / "default" / "cifar10-test-slice")

    def ftcnn(*args):
        run = subprocess.run([binary, *args], capture_output=True, text=True)
        assert run.returncode == 0, f"{args[0]}: {run.stderr}"
        return run.stdout

    model, common = str(tmp_path / "r20.h5"), ["--data", data]
    ftcnn("profile", "--model", model, *common, "--split", "test", "--images", "64", "--out", str(tmp_path / "i.h5"))
    ftcnn("vuln", "--model", model, *common, "--split", "test", "--images", "8", "--out", str(tmp_path / "v.h5"))
    predictions = {}
    for mode in ("edac", "dup-only", "tmr"):
        hardened = str(tmp_path / f"{mode}.h5")
        extra = ["--intervals", str(tmp_path / "i.h5")] if mode == "edac" else []
        ftcnn("harden", "--model", model, "--ratio", "0.15", "--mode", mode, "--ranking", str(tmp_path / "v.h5"),
              *extra, "--out", hardened)
        ftcnn("eval", "--model", hardened, *common, "--limit", "64", "--logits", str(tmp_path / f"{mode}.logits.h5"))
        with h5py.File(tmp_path / f"{mode}.logits.h5", "r") as f:
            predictions[mode] = f["logits"][...].argmax(1)
    ftcnn("eval", "--model", model, *common, "--limit", "64", "--logits", str(tmp_path / "plain.logits.h5"))
    with h5py.File(tmp_path / "plain.logits.h5", "r") as f:
        plain = f["logits"][...].argmax(1)
    for mode, got in predictions.items():
        assert (got == plain).all(), mode
    ftcnn("prune", "--model", model, "--conv-ratio", "0.3", "--fc-ratio", "0", "--importance", "exact", *common,
          "--split", "test", "--images", "8", "--out", str(tmp_path / "pruned-exact.h5"))
    ftcnn("prune", "--model", model, "--conv-ratio", "0.3", "--fc-ratio", "0", "--importance", "l1", "--out",
          str(tmp_path / "pruned-l1.h5"))
    ftcnn("campaign", "--model", str(tmp_path / "edac.h5"), *common, "--images", "32", "--ber", "1e-5", "--reps",
          "3", "--out", str(tmp_path / "campaign"))
    assert (tmp_path / "campaign" / "summary.json").is_file()
