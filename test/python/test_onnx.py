"""python3 -m ftcnn.export on ONNX files: converted node by node, written, verified against onnxruntime.

The ONNX files are made here by torch.onnx.export from the modules test_export.py traces (the custom CNN,
the residual net, the activations net, torchvision's resnet18 and mobilenet_v2). Run by ctest with the
interpreter of build/python-env (scripts/install_deps.sh), where FTCNN_ONNX=1 makes a missing onnx or
onnxruntime a failure; elsewhere these tests skip without them. By hand:
  PYTHONPATH=python FTCNN_BINARY=build/ftcnn build/python-env/bin/python3 -m pytest test/python/test_onnx.py
"""

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from ftcnn import export as export_tool
from ftcnn import model_file, onnx_import, verify
from test_export import export, nets, provenance  # noqa: F401 (nets is a fixture)

if os.environ.get("FTCNN_ONNX") == "1":
    import onnx  # noqa: F401 (CMake found them for this interpreter: their absence is a failure)
    import onnxruntime  # noqa: F401
else:
    onnx = pytest.importorskip("onnx", reason="no onnx: scripts/install_deps.sh puts it in build/python-env")
    pytest.importorskip("onnxruntime", reason="no onnxruntime: scripts/install_deps.sh puts it in build/python-env")

REPO = Path(__file__).resolve().parents[2]


def to_onnx(net, path, dynamic_batch=True, shape=(3, 32, 32)):
    """net in eval mode as an ONNX file; a batch dimension left open, or fixed at 1 (torch's default)."""
    axes = {"input": {0: "N"}, "logits": {0: "N"}} if dynamic_batch else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net.eval(), torch.zeros(1, *shape), str(path), input_names=["input"],
                          output_names=["logits"], dynamic_axes=axes)
    return path


def same_as_module(path, net):
    """The written file's architecture, rebuilt by the Python twin, computes what the module computes."""
    loaded, metadata = model_file.load_model(path)
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(loaded(x), net.eval()(x), atol=1e-4, rtol=1e-4)
    return metadata


@pytest.mark.parametrize("factory, dynamic_batch", [("custom", True), ("residual", False),
                                                    ("activations", True)])
def test_an_onnx_file_is_converted_written_and_verified(nets, tmp_path, factory, dynamic_batch):
    net = getattr(nets, factory)()
    to_onnx(net, tmp_path / "net.onnx", dynamic_batch)
    status, output = export("--in", "net.onnx", "--dataset", "cifar10", "--out", "net.h5")
    assert status == 0, output
    assert "predictions identical" in output
    record = provenance(tmp_path / "net.h5")
    check = record["verification"]
    assert check["differing_predictions"] == 0 and check["images"]["random"] == verify.RANDOM_IMAGES
    assert check["max_relative_logit_difference"] <= verify.TOLERANCE
    assert check["reference"] == "onnxruntime (CPUExecutionProvider)" and check["onnxruntime"]
    assert record["source"].startswith("net.onnx (sha256 ") and record["export"].startswith("converted from ONNX")
    same_as_module(tmp_path / "net.h5", net)


def test_mean_std_and_class_names_are_taken_as_the_pytorch_route_takes_them(nets, tmp_path):
    to_onnx(nets.activations(), tmp_path / "net.onnx")
    names = ",".join(f"c{i}" for i in range(10))
    status, output = export("--in", "net.onnx", "--mean", "0.5,0.4,0.3", "--std", "0.2,0.25,0.3",
                            "--class-names", names, "--name", "acts", "--data",
                            str(REPO / "data" / "default" / "cifar10-test-slice"), "--out", "net.h5")
    assert status == 0, output
    _, metadata = model_file.load_model(tmp_path / "net.h5")
    assert metadata["class_names"] == names.split(",") and metadata["dataset"] == "custom"
    assert metadata["preprocessing"]["mean"] == [0.5, 0.4, 0.3]
    assert metadata["preprocessing"]["std"] == [0.2, 0.25, 0.3]
    assert metadata["architecture"]["arch"] == "acts"
    assert metadata["provenance"]["verification"]["images"]["real"] == verify.REAL_IMAGES


def test_torchvision_resnet18_keeps_its_module_names(nets, tmp_path):
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    net = nets.seed_batchnorm(torchvision.models.resnet18(num_classes=10))
    to_onnx(net, tmp_path / "resnet18.onnx")
    status, output = export("--in", str(tmp_path / "resnet18.onnx"), "--dataset", "cifar10",
                            "--out", str(tmp_path / "resnet18.h5"))
    assert status == 0, output
    metadata = same_as_module(tmp_path / "resnet18.h5", net)
    names = [layer["name"] for layer in metadata["architecture"]["layers"]]
    # BatchNorm is folded into the convolutions by the exporter; the layers keep the module paths.
    assert {"conv1", "layer1.0.conv1", "layer2.0.downsample.0", "layer4.1.add", "fc"} <= set(names)


def test_mobilenet_v2_is_converted_verified_and_runs_a_campaign(nets, tmp_path):
    """Depthwise convolutions, Clip as ReLU6, inverted residuals; a batch fixed at 1. Its BatchNorms have
    running statistics away from 0 / 1, so that the untrained net's logits are not all near zero."""
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    net = nets.seed_batchnorm(torchvision.models.mobilenet_v2(num_classes=10))
    to_onnx(net, tmp_path / "mnv2.onnx", dynamic_batch=False)
    status, output = export("--in", str(tmp_path / "mnv2.onnx"), "--dataset", "cifar10",
                            "--out", str(tmp_path / "mnv2.h5"))
    assert status == 0, output
    same_as_module(tmp_path / "mnv2.h5", net)
    run = subprocess.run([verify.find_binary(), "campaign", "--model", str(tmp_path / "mnv2.h5"), "--data",
                          str(REPO / "data" / "default" / "cifar10-test-slice"), "--images", "20", "--ber", "1e-5",
                          "--reps", "2", "--count", "binomial", "--out", str(tmp_path / "campaign"), "--threads", "2"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "campaign" / "summary.csv").is_file()


def test_verification_catches_a_wrong_conversion(nets, tmp_path, monkeypatch, capsys):
    """A converter that takes LeakyRelu for Relu writes nothing: the export fails its check against
    onnxruntime, and the file already at --out stays as it was."""
    to_onnx(nets.activations(), tmp_path / "net.onnx")
    (tmp_path / "net.h5").write_bytes(b"the user's earlier file")
    monkeypatch.setattr(onnx_import._Converter, "_op_LeakyRelu",
                        lambda self, node, label, a: self._activation(node, label, "relu"))
    monkeypatch.setattr(sys, "argv", ["ftcnn.export", "--in", "net.onnx", "--dataset", "cifar10", "--out", "net.h5"])
    assert export_tool.main() == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("ftcnn.export: error: the export does not compute what the ONNX model computes: ")
    assert "\n" not in error
    assert (tmp_path / "net.h5").read_bytes() == b"the user's earlier file"
    assert not list(tmp_path.glob("*.unverified"))


def test_an_unsupported_op_is_refused_by_node_and_op(nets, tmp_path):
    """A squeeze-and-excitation gate (AdaptiveAvgPool2d, then Sigmoid): the Sigmoid is named by its node."""
    to_onnx(nets.gated(), tmp_path / "se.onnx")
    status, output = export("--in", str(tmp_path / "se.onnx"), "--dataset", "cifar10", "--out", str(tmp_path / "x.h5"))
    assert status == 1
    assert re.fullmatch(r"ftcnn\.export: error: node /layer3/\S*Sigmoid: ONNX op Sigmoid is not supported",
                        output.strip()), output
    assert not (tmp_path / "x.h5").exists()


def single(op, **kw):
    """conv(3 -> 4) then `op`, global average pool, flatten, linear: a graph that isolates one op's attributes."""
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), op, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10))


@pytest.mark.parametrize("op, refusal", [
    (nn.Conv2d(4, 4, 3, padding=2, dilation=2), "ONNX op Conv with dilations [2, 2] is not supported"),
    (nn.MaxPool2d(3, 2, ceil_mode=True), "ONNX op MaxPool with ceil_mode 1 is not supported"),
    (nn.AvgPool2d(3, 1, padding=1, count_include_pad=False),
     "ONNX op AveragePool with count_include_pad 0 and padding (ftcnn counts the padding) is not supported"),
    (nn.Hardtanh(0.0, 1.0),
     "ONNX op Clip with min 0 and max 1 (only [0, 6], ReLU6, or [0, inf), ReLU) is not supported"),
])
def test_what_ftcnn_cannot_express_is_refused(tmp_path, op, refusal):
    to_onnx(single(op), tmp_path / "net.onnx")
    status, output = export("--in", str(tmp_path / "net.onnx"), "--dataset", "cifar10", "--out", str(tmp_path / "x.h5"))
    assert status == 1
    assert re.fullmatch(r"ftcnn\.export: error: node \S+: " + re.escape(refusal), output.strip()), output


def test_asymmetric_pads_and_auto_pad_are_refused(tmp_path):
    """What torch never writes but other exporters do, written with onnx.helper."""
    from onnx import TensorProto, helper, numpy_helper

    def graph(**conv_attributes):
        weight = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
        nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="/odd/Conv", **conv_attributes),
                 helper.make_node("GlobalAveragePool", ["y"], ["p"]), helper.make_node("Flatten", ["p"], ["z"])]
        g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 32, 32])],
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 4])], [weight])
        path = tmp_path / "odd.onnx"
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), str(path))
        return onnx_import.read(path)

    with pytest.raises(onnx_import.OnnxError, match=re.escape("node /odd/Conv: ONNX op Conv with asymmetric pads "
                                                              "[1, 1, 0, 0] (begin and end must agree) is not supported")):
        onnx_import.convert(graph(pads=[1, 1, 0, 0]))
    with pytest.raises(onnx_import.OnnxError, match=re.escape(
            "node /odd/Conv: ONNX op Conv with auto_pad SAME_UPPER is not supported")):
        onnx_import.convert(graph(auto_pad="SAME_UPPER"))
    arch = onnx_import.convert(graph(pads=[1, 1, 1, 1], strides=[2, 2])).arch
    assert arch["layers"][0] == {"name": "odd", "type": "conv2d", "inputs": ["input"], "in": 3, "out": 4,
                                 "kernel": [3, 3], "stride": [2, 2], "padding": [1, 1], "bias": False}
    assert arch["num_classes"] == 4


def test_batchnorm_and_matmul_add_as_other_exporters_write_them(tmp_path):
    """A BatchNormalization that no convolution absorbed and a linear layer as MatMul + Add (what PyTorch
    folds or writes as Gemm), written with onnx.helper, converted and verified."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    tensors = {"conv.weight": rng.normal(0, 0.3, (8, 3, 3, 3)), "bn.weight": rng.uniform(0.5, 1.5, 8),
               "bn.bias": rng.normal(0, 0.3, 8), "bn.running_mean": rng.normal(0, 0.3, 8),
               "bn.running_var": rng.uniform(0.5, 2.0, 8), "fc_w": rng.normal(0, 0.5, (8, 10)),
               "fc_b": rng.normal(0, 0.5, 10)}
    nodes = [helper.make_node("Conv", ["x", "conv.weight"], ["c"], name="/conv/Conv", pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "bn.weight", "bn.bias", "bn.running_mean",
                                                     "bn.running_var"], ["n"], name="/bn/BatchNormalization",
                              epsilon=1e-3),
             helper.make_node("LeakyRelu", ["n"], ["r"], name="/act/LeakyRelu", alpha=0.1),
             helper.make_node("GlobalAveragePool", ["r"], ["p"], name="/pool/GlobalAveragePool"),
             helper.make_node("Flatten", ["p"], ["f"], name="/Flatten"),
             helper.make_node("MatMul", ["f", "fc_w"], ["m"], name="/fc/MatMul"),
             helper.make_node("Add", ["m", "fc_b"], ["z"], name="/fc/Add")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 32, 32])],
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 10])],
                              [numpy_helper.from_array(v.astype(np.float32), k) for k, v in tensors.items()])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(tmp_path / "other.onnx"))
    status, output = export("--in", str(tmp_path / "other.onnx"), "--dataset", "cifar10",
                            "--out", str(tmp_path / "other.h5"))
    assert status == 0, output
    _, metadata = model_file.load_model(tmp_path / "other.h5")
    layers = metadata["architecture"]["layers"]
    assert [(layer["name"], layer["type"]) for layer in layers] == [
        ("conv", "conv2d"), ("bn", "batchnorm2d"), ("act.leakyrelu", "leaky_relu"),
        ("pool.globalaveragepool", "global_avgpool"), ("flatten", "flatten"), ("fc", "linear")]
    assert layers[1]["eps"] == pytest.approx(1e-3) and layers[5]["bias"] is True


BLOCKER = '''
import importlib.abc, os, sys


class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in os.environ.get("FTCNN_TEST_BLOCK", "").split(","):
            raise ImportError(f"{name} is blocked by the test")


sys.meta_path.insert(0, _Block())
'''


def export_without(tmp_path, blocked, *args):
    """export() in an interpreter where the modules `blocked` cannot be imported."""
    (tmp_path / "blocker").mkdir(exist_ok=True)
    (tmp_path / "blocker" / "sitecustomize.py").write_text(BLOCKER)
    env = {**os.environ, "FTCNN_TEST_BLOCK": ",".join(blocked),
           "PYTHONPATH": os.pathsep.join([str(tmp_path / "blocker"), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-m", "ftcnn.export", *args], capture_output=True, text=True, env=env)
    return run.returncode, run.stdout + run.stderr


def test_without_onnxruntime_the_reference_evaluator_verifies(nets, tmp_path):
    to_onnx(nets.activations(), tmp_path / "net.onnx")
    status, output = export_without(tmp_path, ["onnxruntime"], "--in", "net.onnx", "--dataset", "cifar10",
                                    "--out", "net.h5")
    assert status == 0, output
    check = provenance(tmp_path / "net.h5")["verification"]
    assert check["reference"] == "onnx ReferenceEvaluator" and "onnxruntime" not in check


def test_without_an_evaluator_nothing_is_written(nets, tmp_path):
    to_onnx(nets.activations(), tmp_path / "net.onnx")
    status, output = export_without(tmp_path, ["onnxruntime", "onnx.reference"], "--in", "net.onnx",
                                    "--dataset", "cifar10", "--out", "net.h5")
    assert status == 1
    assert output.strip().startswith("ftcnn.export: error: verifying an ONNX export needs onnxruntime or onnx "
                                     ">= 1.13")
    assert onnx_import.INSTALL_HINT in output and "\n" not in output.strip()
    assert not (tmp_path / "net.h5").exists()


def test_an_unreadable_onnx_file_is_named(tmp_path):
    (tmp_path / "broken.onnx").write_bytes(b"\x08\x07\x12\x07pytorch\x1a\x03")
    status, output = export("--in", str(tmp_path / "broken.onnx"), "--dataset", "cifar10",
                            "--out", str(tmp_path / "x.h5"))
    assert status == 1
    assert output.startswith(f"ftcnn.export: error: {tmp_path / 'broken.onnx'}: ")
    assert "\n" not in output.strip()


def test_an_onnx_file_at_the_door_names_the_command(nets, tmp_path):
    """ftcnn given the .onnx itself says how to convert it."""
    to_onnx(nets.activations(), tmp_path / "net.onnx")
    run = subprocess.run([verify.find_binary(), "info", "--model", str(tmp_path / "net.onnx")],
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert f"python3 -m ftcnn.export --in {tmp_path / 'net.onnx'}" in run.stderr
