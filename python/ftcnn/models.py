"""The CNN architectures ftcnn runs, as architecture JSON and as PyTorch modules.

An architecture is described once, as the JSON dict that ftcnn model files store (docs/model_format.md).
Every PyTorch module here is built *from that JSON* by `build_module`, so a file whose architecture was
edited (pruned channel counts, say) loads exactly as the C++ engine will read it, and the module's
state_dict keys are the layer names of the JSON ("features.0.weight", ...).
"""

import copy
from collections import OrderedDict

import torch
from torch import nn

from ftcnn import hardening

ARCHITECTURES = ("small", "alexnet", "vgg11", "vgg16", "resnet20", "resnet18")

# The dataset each architecture is trained on (in the paper, or for the ResNets CIFAR-10), which fixes its
# default number of classes.
DEFAULT_NUM_CLASSES = {"small": 10, "alexnet": 10, "vgg11": 10, "vgg16": 100, "resnet20": 10, "resnet18": 10}

# CIFAR ResNets: (stage widths, basic blocks per stage). ResNet-20 is He et al. (2016), section 4.2, with
# option B shortcuts (a 1x1 convolution + BatchNorm where the shape changes); ResNet-18 is the CIFAR variant
# of the ImageNet network (3x3 stem, no max pool), as in most fault-injection and pruning papers.
RESNET_CONFIGS = {"resnet20": ((16, 32, 64), 3), "resnet18": ((64, 128, 256, 512), 2)}

# The JSON has no dropout probability (it is the identity at inference), so training takes it from here.
DROPOUT_P = {"small": 0.3}
DEFAULT_DROPOUT_P = 0.5

# VGG feature stacks: a number is Conv3x3 -> BatchNorm -> ReLU with that many channels, "M" a 2x2 max pool.
VGG_CONFIGS = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
}


# ---- layer descriptions (key order as in docs/model_format.md) ----

# `inputs` (format version 2): the names of the layers (or "input", the model input) a layer reads; None
# leaves it implied (the previous layer, or "input" for the first), which `with_inputs` fills in.

def conv2d(name, in_ch, out_ch, kernel, stride=1, padding=0, bias=True, inputs=None, groups=1):
    layer = {"name": name, "type": "conv2d", "in": in_ch, "out": out_ch, "kernel": _pair(kernel),
             "stride": _pair(stride), "padding": _pair(padding), "bias": bias}
    if groups != 1:  # absent means 1, as ungrouped files were always written
        layer["groups"] = int(groups)
    return _with(layer, inputs)


def linear(name, in_features, out_features, bias=True, inputs=None):
    return _with({"name": name, "type": "linear", "in": in_features, "out": out_features, "bias": bias}, inputs)


def batchnorm2d(name, channels, eps=1e-5, inputs=None):
    return _with({"name": name, "type": "batchnorm2d", "in": channels, "out": channels, "eps": eps}, inputs)


def pool2d(name, kind, kernel, stride, padding=0, inputs=None):
    assert kind in ("maxpool2d", "avgpool2d")
    return _with({"name": name, "type": kind, "kernel": _pair(kernel), "stride": _pair(stride),
                  "padding": _pair(padding)}, inputs)


def simple(name, kind, inputs=None):
    assert kind in ("relu", "relu6", "flatten", "dropout", "global_avgpool")
    return _with({"name": name, "type": kind}, inputs)


def leaky_relu(name, negative_slope=0.01, inputs=None):
    return _with({"name": name, "type": "leaky_relu", "negative_slope": float(negative_slope)}, inputs)


def add(name, inputs):
    """Element-wise sum of >= 2 inputs of one shape, left to right (the residual connection)."""
    return _with({"name": name, "type": "add"}, inputs)


def concat(name, inputs):
    """Concatenation of >= 2 inputs along the channel (or feature) dimension, in input order."""
    return _with({"name": name, "type": "concat"}, inputs)


def _with(layer, inputs):
    """The layer with `inputs` right after `type` (the key order of docs/model_format.md)."""
    if inputs is None:
        return layer
    inputs = [inputs] if isinstance(inputs, str) else list(inputs)
    head = {k: layer[k] for k in ("name", "type") if k in layer}
    return {**head, "inputs": inputs, **{k: v for k, v in layer.items() if k not in head and k != "inputs"}}


def _pair(value):
    return [value, value] if isinstance(value, int) else [int(v) for v in value]


# ---- the four architectures ----

def architecture(arch, num_classes=None):
    """The architecture JSON (a dict) of a named architecture; `num_classes` defaults to its paper dataset's."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture '{arch}' (known: {', '.join(ARCHITECTURES)})")
    num_classes = DEFAULT_NUM_CLASSES[arch] if num_classes is None else int(num_classes)
    if arch == "small":
        layers = _small_layers(num_classes)
    elif arch == "alexnet":
        layers = _alexnet_layers(num_classes)
    elif arch in RESNET_CONFIGS:
        layers = _resnet_layers(arch, num_classes)
    else:
        layers = _vgg_layers(arch, num_classes)
    return with_inputs({"arch": arch, "input": [3, 32, 32], "num_classes": num_classes, "layers": layers})


def _small_layers(num_classes):
    f = []
    channels = [3, 32, 64, 128]
    for block in range(3):
        i = 4 * block
        f += [conv2d(f"features.{i}", channels[block], channels[block + 1], 3, 1, 1, bias=False),
              batchnorm2d(f"features.{i + 1}", channels[block + 1]),
              simple(f"features.{i + 2}", "relu"),
              # The last block averages instead of taking the maximum, so that the engine's avgpool runs
              # in the bundled default model too.
              pool2d(f"features.{i + 3}", "avgpool2d" if block == 2 else "maxpool2d", 2, 2)]
    return f + [simple("flatten", "flatten"),
                simple("classifier.0", "dropout"),
                linear("classifier.1", 128 * 4 * 4, 128),
                simple("classifier.2", "relu"),
                linear("classifier.3", 128, num_classes)]


def _alexnet_layers(num_classes):
    return [conv2d("features.0", 3, 96, 11, 4, 5), simple("features.1", "relu"),
            pool2d("features.2", "maxpool2d", 2, 2),
            conv2d("features.3", 96, 256, 5, 1, 2), simple("features.4", "relu"),
            pool2d("features.5", "maxpool2d", 2, 2),
            conv2d("features.6", 256, 384, 3, 1, 1), simple("features.7", "relu"),
            conv2d("features.8", 384, 384, 3, 1, 1), simple("features.9", "relu"),
            conv2d("features.10", 384, 256, 3, 1, 1), simple("features.11", "relu"),
            pool2d("features.12", "maxpool2d", 2, 2),
            simple("flatten", "flatten"),
            simple("classifier.0", "dropout"), linear("classifier.1", 256, 4096), simple("classifier.2", "relu"),
            simple("classifier.3", "dropout"), linear("classifier.4", 4096, 4096), simple("classifier.5", "relu"),
            linear("classifier.6", 4096, num_classes)]


def _vgg_layers(arch, num_classes):
    conv_bias = arch == "vgg16"  # the trained VGG-11 has bias-free convolutions, VGG-16 has biases
    layers, index, channels = [], 0, 3
    for entry in VGG_CONFIGS[arch]:
        if entry == "M":
            layers.append(pool2d(f"features.{index}", "maxpool2d", 2, 2))
            index += 1
            continue
        layers += [conv2d(f"features.{index}", channels, entry, 3, 1, 1, bias=conv_bias),
                   batchnorm2d(f"features.{index + 1}", entry),
                   simple(f"features.{index + 2}", "relu")]
        index += 3
        channels = entry
    layers.append(simple("flatten", "flatten"))
    if arch == "vgg11":
        return layers + [linear("classifier.0", 512, num_classes)]
    return layers + [linear("classifier.0", 512, 4096), simple("classifier.1", "relu"),
                     simple("classifier.2", "dropout"),
                     linear("classifier.3", 4096, 4096), simple("classifier.4", "relu"),
                     simple("classifier.5", "dropout"),
                     linear("classifier.6", 4096, num_classes)]


def _resnet_layers(arch, num_classes):
    """Stem conv-BN-ReLU, stages of basic blocks (conv-BN-ReLU-conv-BN + shortcut, add, ReLU; the first
    block of every later stage halves the resolution with stride 2 and projects its shortcut with a 1x1
    convolution + BatchNorm), global average pool, one linear layer. Names follow torchvision's ResNet."""
    widths, blocks = RESNET_CONFIGS[arch]
    layers = [conv2d("conv1", 3, widths[0], 3, 1, 1, bias=False), batchnorm2d("bn1", widths[0]),
              simple("relu", "relu")]
    previous, channels = "relu", widths[0]
    for stage, width in enumerate(widths):
        for block in range(blocks):
            b = f"layer{stage + 1}.{block}"
            stride = 2 if stage > 0 and block == 0 else 1
            layers += [conv2d(f"{b}.conv1", channels, width, 3, stride, 1, bias=False, inputs=previous),
                       batchnorm2d(f"{b}.bn1", width), simple(f"{b}.relu1", "relu"),
                       conv2d(f"{b}.conv2", width, width, 3, 1, 1, bias=False), batchnorm2d(f"{b}.bn2", width)]
            shortcut = previous
            if stride != 1 or channels != width:
                layers += [conv2d(f"{b}.downsample.0", channels, width, 1, stride, 0, bias=False, inputs=previous),
                           batchnorm2d(f"{b}.downsample.1", width)]
                shortcut = f"{b}.downsample.1"
            layers += [add(f"{b}.add", [f"{b}.bn2", shortcut]), simple(f"{b}.relu2", "relu")]
            previous, channels = f"{b}.relu2", width
    return layers + [simple("avgpool", "global_avgpool"), simple("flatten", "flatten"),
                     linear("fc", channels, num_classes)]


# ---- generic JSON -> graph / shapes / module ----

INPUT = "input"  # the reserved input name of the model input
MULTI_INPUT = ("add", "concat")


def layer_inputs(arch):
    """[[input names] per layer]: the explicit `inputs`, or the implied ones (the previous layer, "input" for
    the first) of a layer without them. Raises ValueError for a duplicate layer name, a layer named
    "input", an input that is not "input" or an earlier layer, or a wrong number of inputs."""
    seen, result, previous = set(), [], INPUT
    for index, layer in enumerate(arch["layers"]):
        name, kind = layer.get("name"), layer.get("type")
        if not isinstance(name, str) or not name:
            raise ValueError(f"layer {index} has no name")
        if name == INPUT:
            raise ValueError(f"layer {index}: '{INPUT}' is reserved for the model input, not a layer name")
        if name in seen:
            raise ValueError(f"layer name '{name}' appears twice")
        inputs = layer.get("inputs")
        if inputs is None:
            inputs = [previous]
        if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
            raise ValueError(f"layer '{name}': 'inputs' must be a list of layer names")
        for i in inputs:
            if i != INPUT and i not in seen:
                later = any(other.get("name") == i for other in arch["layers"][index:])
                raise ValueError(f"layer '{name}': input '{i}' " + ("is a later layer (layers must be in topological "
                                 "order)" if later else "names no layer (nor the model 'input')"))
        if kind in MULTI_INPUT and len(inputs) < 2:
            raise ValueError(f"layer '{name}' ({kind}): needs at least 2 inputs, has {len(inputs)}")
        if kind not in MULTI_INPUT and len(inputs) != 1:
            raise ValueError(f"layer '{name}' ({kind}): takes exactly 1 input, has {len(inputs)}")
        seen.add(name)
        result.append(list(inputs))
        previous = name
    return result


def with_inputs(arch):
    """A deep copy of the architecture with `inputs` on every layer (format version 2), implied ones filled
    in; validated as `layer_inputs` does."""
    arch = copy.deepcopy(arch)
    arch["layers"] = [_with({k: v for k, v in layer.items() if k != "inputs"}, inputs)
                      for layer, inputs in zip(arch["layers"], layer_inputs(arch))]
    return arch


def is_chain(arch):
    """True when every layer reads the previous one (the first the model input): a format version 1 model."""
    return all(inputs == [arch["layers"][i - 1]["name"] if i else INPUT]
               for i, inputs in enumerate(layer_inputs(arch)))


def protected_copies(arch):
    """{conv2d or linear name: (its channels without copies, the copied channels, copies of each)} for every
    layer a correction layer (`edac`, `tmr_vote`) reads: the layers a hardened model grew."""
    names = {layer["name"]: layer for layer in arch["layers"]}
    copies = {}
    for layer, inputs in zip(arch["layers"], layer_inputs(arch)):
        if layer["type"] in ("edac", "tmr_vote") and inputs[0] in names:
            copied = layer["duplicated"] if layer["type"] == "edac" else layer["triplicated"]
            copies[inputs[0]] = (layer["out"], list(copied), 1 if layer["type"] == "edac" else 2)
    return copies


def infer_shapes(arch):
    """Per-item output shape of every layer, checking that each layer fits its input(s).

    Raises ValueError naming the first layer that does not fit, so a hand-edited (pruned) architecture
    fails here rather than deep inside PyTorch or the engine."""
    if not arch["layers"]:
        raise ValueError("the architecture has no layers")
    outputs = {INPUT: list(arch["input"])}
    shapes = []
    grown = protected_copies(arch)
    for layer, inputs in zip(arch["layers"], layer_inputs(arch)):
        name, kind = layer["name"], layer["type"]
        if kind in MULTI_INPUT:
            given = [outputs[i] for i in inputs]
            where = f"layer '{name}' ({kind}) on inputs {given}"
            if kind == "add" and any(s != given[0] for s in given):
                raise ValueError(f"{where}: needs inputs of one shape")
            if kind == "concat" and any(len(s) != len(given[0]) or s[1:] != given[0][1:] for s in given):
                raise ValueError(f"{where}: inputs must agree in all but the channel dimension")
            shape = list(given[0]) if kind == "add" else [sum(s[0] for s in given), *given[0][1:]]
            outputs[name] = shape
            shapes.append(list(shape))
            continue
        shape = list(outputs[inputs[0]])
        where = f"layer '{name}' ({kind}) on input {shape}"
        if kind in ("conv2d", "maxpool2d", "avgpool2d"):
            if len(shape) != 3:
                raise ValueError(f"{where}: needs a [C, H, W] input")
            if kind == "conv2d" and shape[0] != layer["in"]:
                raise ValueError(f"{where}: expects {layer['in']} input channels")
            groups = layer.get("groups", 1) if kind == "conv2d" else 1
            if kind == "conv2d":
                originals = grown[name][0] if name in grown else layer["out"]  # a hardened layer's copies aside
                if groups < 1 or layer["in"] % groups or originals % groups:
                    raise ValueError(f"layer '{name}': groups = {groups} must divide in and out")
            (kh, kw), (sh, sw), (ph, pw) = layer["kernel"], layer["stride"], layer["padding"]
            h, w = (shape[1] + 2 * ph - kh) // sh + 1, (shape[2] + 2 * pw - kw) // sw + 1
            if h < 1 or w < 1:
                raise ValueError(f"{where}: window does not fit")
            shape = [layer["out"] if kind == "conv2d" else shape[0], h, w]
        elif kind == "batchnorm2d":
            if len(shape) != 3 or shape[0] != layer["in"] or layer["in"] != layer["out"]:
                raise ValueError(f"{where}: expects {layer['in']} channels")
        elif kind == "linear":
            if len(shape) != 1 or shape[0] != layer["in"]:
                raise ValueError(f"{where}: expects {layer['in']} features (flatten first)")
            shape = [layer["out"]]
        elif kind == "flatten":
            shape = [_product(shape)]
        elif kind == "global_avgpool":
            if len(shape) != 3:
                raise ValueError(f"{where}: needs a [C, H, W] input")
            shape = [shape[0], 1, 1]
        elif kind in ("edac", "tmr_vote"):
            copies = len(layer["duplicated"]) if kind == "edac" else 2 * len(layer["triplicated"])
            if not shape or shape[0] != layer["in"] or layer["in"] != layer["out"] + copies:
                raise ValueError(f"{where}: expects {layer['out']} channels + {copies} copies")
            shape = [layer["out"], *shape[1:]]
        elif kind not in ("relu", "relu6", "leaky_relu", "dropout"):
            raise ValueError(f"layer '{name}': unknown type '{kind}'")
        outputs[name] = shape
        shapes.append(list(shape))
    if arch["num_classes"] and shape != [arch["num_classes"]]:
        raise ValueError(f"the last layer gives {shape}, not num_classes = {arch['num_classes']}")
    return shapes


def parameter_shapes(arch):
    """The tensors an architecture declares: {state_dict key: shape}, in layer order (no num_batches_tracked)."""
    shapes = OrderedDict()
    for layer in arch["layers"]:
        name, kind = layer["name"], layer["type"]
        if kind == "conv2d":
            shapes[f"{name}.weight"] = (layer["out"], layer["in"] // layer.get("groups", 1), *layer["kernel"])
        elif kind == "linear":
            shapes[f"{name}.weight"] = (layer["out"], layer["in"])
        elif kind == "batchnorm2d":
            for key in ("weight", "bias", "running_mean", "running_var"):
                shapes[f"{name}.{key}"] = (layer["in"],)
        elif kind == "edac" and layer["mode"] == "edac":
            shapes[f"{name}.lower"] = shapes[f"{name}.upper"] = (layer["out"],)
        if kind in ("conv2d", "linear") and layer["bias"]:
            shapes[f"{name}.bias"] = (layer["out"],)
    return shapes


def count_parameters(arch):
    """Trainable parameters: weights and biases (not BatchNorm running statistics or EDAC bounds)."""
    return sum(_product(shape) for key, shape in parameter_shapes(arch).items()
               if "running_" not in key and not key.endswith((".lower", ".upper")))


class Add(nn.Module):
    """`add`: in0 + in1, then + in2, ... (float32, left to right)."""

    def forward(self, *xs):
        out = xs[0] + xs[1]
        for x in xs[2:]:
            out = out + x
        return out


class Concat(nn.Module):
    """`concat`: torch.cat along dim 1 (channels of NCHW, features of [N, F]), in input order."""

    def forward(self, *xs):
        return torch.cat(xs, 1)


class FtcnnNet(nn.Module):
    """Runs the layers of an architecture JSON in order, each on its `inputs` (format version 2; implied
    ones: the previous layer's output). The last layer's output is the model's.

    Each layer is registered under its dotted name ("features.0" becomes `self.features[0]`, inside an
    nn.Sequential group), which gives the state_dict keys the files use. The layers run from `_sequence`,
    so the order is the JSON's even where groups interleave. `arch` is the architecture with `inputs` on
    every layer."""

    def __init__(self, arch, dropout_p=None):
        super().__init__()
        infer_shapes(arch)
        self.arch = with_inputs(arch)
        # Per layer: indices into the list of values (0 is the model input, k + 1 layer k's output), and the
        # values no later layer reads once it has run (dropped so a long chain holds one activation at a time).
        index = {INPUT: 0, **{layer["name"]: k + 1 for k, layer in enumerate(self.arch["layers"])}}
        self._wiring = [[index[i] for i in layer["inputs"]] for layer in self.arch["layers"]]
        last_use = {}
        for k, sources in enumerate(self._wiring):
            for source in sources:
                last_use[source] = k
        self._release = [[s for s in set(sources) if last_use[s] == k] for k, sources in enumerate(self._wiring)]
        if dropout_p is None:
            dropout_p = DROPOUT_P.get(arch["arch"], DEFAULT_DROPOUT_P)
        self._sequence = []  # plain list: the modules are registered in their groups, not twice
        grown = protected_copies(arch)
        for layer in arch["layers"]:
            module = _make_layer(layer, dropout_p, grown.get(layer["name"]))
            *groups, leaf = layer["name"].split(".")
            parent = self
            for group in groups:
                if group not in parent._modules:
                    parent.add_module(group, nn.Sequential())
                parent = parent._modules[group]
            parent.add_module(leaf, module)
            self._sequence.append(module)

    def forward(self, x):
        values = [x] + [None] * len(self._sequence)
        for k, (module, sources, release) in enumerate(zip(self._sequence, self._wiring, self._release)):
            values[k + 1] = module(*(values[s] for s in sources))
            for s in release:
                values[s] = None
        return values[-1]


def _make_layer(layer, dropout_p, copies=None):
    """The module of one layer; `copies` (protected_copies' entry) when a correction layer reads it."""
    kind = layer["type"]
    if kind == "conv2d" and copies is not None and layer.get("groups", 1) > 1:
        return hardening.GroupedCopiesConv2d(layer, *copies)
    if kind == "conv2d":
        return nn.Conv2d(layer["in"], layer["out"], tuple(layer["kernel"]), tuple(layer["stride"]),
                         tuple(layer["padding"]), bias=layer["bias"], groups=layer.get("groups", 1))
    if kind == "linear":
        return nn.Linear(layer["in"], layer["out"], bias=layer["bias"])
    if kind == "batchnorm2d":
        return nn.BatchNorm2d(layer["in"], eps=layer["eps"])
    if kind == "maxpool2d":
        return nn.MaxPool2d(tuple(layer["kernel"]), tuple(layer["stride"]), tuple(layer["padding"]))
    if kind == "avgpool2d":
        return nn.AvgPool2d(tuple(layer["kernel"]), tuple(layer["stride"]), tuple(layer["padding"]),
                            count_include_pad=True)
    if kind == "global_avgpool":
        return nn.AdaptiveAvgPool2d(1)
    if kind == "relu":
        return nn.ReLU()
    if kind == "relu6":
        return nn.ReLU6()
    if kind == "leaky_relu":
        return nn.LeakyReLU(layer["negative_slope"])
    if kind == "flatten":
        return nn.Flatten(1)
    if kind == "dropout":
        return nn.Dropout(dropout_p)
    if kind == "edac":
        return hardening.Edac(layer["out"], layer["duplicated"], layer["mode"])
    if kind == "tmr_vote":
        return hardening.TmrVote(layer["out"], layer["triplicated"])
    if kind == "add":
        return Add()
    if kind == "concat":
        return Concat()
    raise ValueError(f"layer '{layer['name']}': unknown type '{kind}'")


def build_module(arch, dropout_p=None):
    """A freshly initialised PyTorch module for an architecture JSON dict (or a named architecture)."""
    if isinstance(arch, str):
        arch = architecture(arch)
    return FtcnnNet(arch, dropout_p)


def _product(values):
    result = 1
    for v in values:
        result *= v
    return result


def _self_check():
    """Parameter counts against the paper's models, and module keys against parameter_shapes."""
    expected = {"alexnet": 21_622_154, "vgg11": 9_228_362, "vgg16": 34_015_396, "resnet20": 272_474,
                "resnet18": 11_173_962}
    for name in ARCHITECTURES:
        arch = architecture(name)
        module = build_module(arch)
        keys = {k: tuple(v.shape) for k, v in module.state_dict().items() if not k.endswith("num_batches_tracked")}
        assert keys == dict(parameter_shapes(arch)), name
        total = sum(p.numel() for p in module.parameters())
        assert total == count_parameters(arch), name
        assert name not in expected or total == expected[name], (name, total)
        assert module(torch.zeros(2, 3, 32, 32)).shape == (2, arch["num_classes"]), name
        print(f"{name:8s} {total:>12,d} parameters, {len(arch['layers'])} layers")
    # A graph (format version 2): a residual add and a concat, against the same computation written out.
    arch = {"arch": "graph", "input": [2, 4, 4], "num_classes": 3, "layers": [
        conv2d("a", 2, 2, 3, 1, 1, inputs="input"), simple("r", "relu", inputs="a"),
        add("sum", ["r", "input", "a"]), concat("cat", ["sum", "input"]),
        simple("flatten", "flatten", inputs="cat"), linear("fc", 64, 3, inputs="flatten")]}
    assert infer_shapes(arch)[3] == [4, 4, 4] and not is_chain(arch) and is_chain(architecture("small"))
    module = build_module(arch).eval()
    x = torch.randn(2, 2, 4, 4)
    a = module.a(x)
    expected = module.fc(torch.cat([torch.relu(a) + x + a, x], 1).flatten(1))
    assert torch.equal(module(x), expected)
    for bad in ([conv2d("input", 2, 2, 3)], [conv2d("a", 2, 2, 3), simple("a", "relu")],
                [simple("r", "relu", inputs="later"), simple("later", "relu")], [add("s", ["input"])],
                [simple("r", "relu", inputs=["input", "input"])]):
        try:
            infer_shapes({"arch": "bad", "input": [2, 4, 4], "num_classes": 0, "layers": bad})
            raise AssertionError(bad)
        except ValueError:
            pass
    print("graph    add / concat / inputs checked")


if __name__ == "__main__":
    _self_check()
