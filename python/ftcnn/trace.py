"""A PyTorch module as an ftcnn architecture: traced with torch.fx, every node mapped to an ftcnn layer.

`trace(module, input_shape)` returns the architecture JSON (docs/model_format.md, format version 2) and the
state_dict under the architecture's layer names. Layers that hold parameters keep their module paths
("layer1.0.conv1"), so the tensors keep their state_dict keys; parameterless calls are named after the
module that makes them (a functional `x + y` inside `layer1.0` becomes "layer1.0.add").

Supported: Conv2d (grouped and depthwise too; dilation 1, zero padding), Linear, BatchNorm2d (running statistics), ReLU
(module, F.relu, torch.relu, .relu()), ReLU6 and LeakyReLU (modules and functions), MaxPool2d / F.max_pool2d (dilation 1, floor mode), AvgPool2d /
F.avg_pool2d (count_include_pad, floor mode), AdaptiveAvgPool2d / F.adaptive_avg_pool2d to 1x1 (or to a size
that divides the input), Flatten / torch.flatten / .view / .reshape to [N, features], Dropout (the identity
at inference), Identity, `+` / torch.add of two tensors, torch.cat along channels. Anything else is refused
by its name and module path ("layer3.0.se: AdaptiveMaxPool2d is not supported"), as is a module whose
parameters are used by two calls.
"""

import operator
from collections import OrderedDict

import torch
import torch.fx
import torch.nn.functional as F
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp

from ftcnn import models


class TraceError(ValueError):
    """The module cannot be expressed in ftcnn's op set; the message names the node and the op."""


def trace(module, input_shape):
    """(architecture JSON, state_dict) of `module` in eval mode for per-item input shape `input_shape`."""
    module = module.eval()
    try:
        tracer = _PathTracer()
        graph = tracer.trace(module)
        graph_module = torch.fx.GraphModule(tracer.root, graph)
    except Exception as e:  # whatever the tracer raises on data-dependent control flow
        raise TraceError(f"torch.fx cannot trace {type(module).__name__}: {type(e).__name__}: "
                         f"{str(e).splitlines()[0] if str(e) else ''} (ftcnn needs a graph without "
                         f"data-dependent control flow)") from None
    graph_module.graph.eliminate_dead_code()
    try:
        with torch.no_grad():
            ShapeProp(graph_module).propagate(torch.zeros(2, *input_shape))
    except Exception as e:
        raise TraceError(f"{type(module).__name__} does not run on inputs of shape {list(input_shape)}: "
                         f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from None
    return _Translator(graph_module, list(input_shape)).run()


class _PathTracer(torch.fx.Tracer):
    """symbolic_trace's tracer that also records, on every node, the path of the module whose forward made
    it (node.meta["module_path"]), so that functional calls get names like "layer1.0.add"."""

    def __init__(self):
        super().__init__()
        self.paths = [""]

    def call_module(self, m, forward, args, kwargs):
        self.paths.append(self.path_of_module(m))
        try:
            return super().call_module(m, forward, args, kwargs)
        finally:
            self.paths.pop()

    def create_node(self, *args, **kwargs):
        node = super().create_node(*args, **kwargs)
        node.meta["module_path"] = self.paths[-1]
        return node


def _shape(node):
    meta = node.meta.get("tensor_meta")
    return list(meta.shape) if meta is not None and hasattr(meta, "shape") else None


def _pair(value):
    return [int(value), int(value)] if isinstance(value, int) else [int(v) for v in value]


def _call_arguments(node, names, defaults):
    """{name: value} of a call node's positional and keyword arguments, `defaults` for the missing ones."""
    values = dict(defaults)
    values.update(zip(names, node.args))
    values.update(node.kwargs)
    return values


def _where(node):
    """The module path that made a functional call, from the tracer's module stack ('' at the top)."""
    return node.meta.get("module_path", "")


class _Translator:
    def __init__(self, graph_module, input_shape):
        self.gm = graph_module
        self.input_shape = input_shape
        self.layers = []
        self.state = OrderedDict()
        self.names = set()
        self.value = {}  # fx node -> the ftcnn name whose output it is ("input" for the placeholder)
        self.module_calls = {}

    def run(self):
        placeholders = [n for n in self.gm.graph.nodes if n.op == "placeholder"]
        if len(placeholders) != 1:
            raise TraceError(f"the module takes {len(placeholders)} inputs; ftcnn models take one image batch")
        for node in self.gm.graph.nodes:
            if node.op == "placeholder":
                self.value[node] = models.INPUT
            elif node.op == "output":
                self._output(node)
            elif node.op == "get_attr":
                raise TraceError(f"{node.target}: a tensor used directly (not through a supported layer) "
                                 f"is not supported")
            elif _shape(node) is None:
                continue  # a shape value (x.size(0), x.shape[0]): only views use it
            elif node.op == "call_module":
                self._module(node, self.gm.get_submodule(node.target))
            else:
                self._function(node)
        return self.arch, self.state

    # ---- naming and emitting ----

    def _name(self, base):
        name, k = base, 1
        while name in self.names or name == models.INPUT:
            name = f"{base}_{k}"
            k += 1
        self.names.add(name)
        return name

    def _emit(self, node, layer):
        self.layers.append(layer)
        self.value[node] = layer["name"]

    def _input(self, node, argument):
        if not isinstance(argument, torch.fx.Node) or argument not in self.value:
            raise TraceError(f"{self._label(node)}: takes {argument!r}, not the output of a supported layer")
        return self.value[argument]

    def _label(self, node):
        if node.op == "call_module":
            return node.target
        where = _where(node)
        return f"{where}.{node.name}" if where else node.name

    def _refuse(self, node, what):
        raise TraceError(f"{self._label(node)}: {what} is not supported")

    # ---- modules ----

    def _module(self, node, m):
        path = node.target
        if path in self.module_calls and any(True for _ in m.parameters(recurse=False)):
            raise TraceError(f"{path}: {type(m).__name__} is called twice; ftcnn layers do not share parameters")
        self.module_calls[path] = True
        source = self._input(node, node.args[0]) if node.args else None
        in_shape = _shape(node.args[0]) if node.args and isinstance(node.args[0], torch.fx.Node) else None
        if type(m) is nn.Identity:
            self.value[node] = source
            return
        name = self._name(path)
        if isinstance(m, nn.Conv2d) and type(m) is nn.Conv2d:
            if _pair(m.dilation) != [1, 1]:
                self._refuse(node, f"Conv2d with dilation={tuple(m.dilation)}")
            if m.padding_mode != "zeros" or isinstance(m.padding, str):
                self._refuse(node, f"Conv2d with padding {m.padding!r} ({m.padding_mode})")
            self._emit(node, models.conv2d(name, m.in_channels, m.out_channels, _pair(m.kernel_size),
                                           _pair(m.stride), _pair(m.padding), bias=m.bias is not None,
                                           inputs=source, groups=m.groups))
            self._parameters(name, m, ("weight", "bias"))
        elif type(m) is nn.Linear:
            if in_shape is None or len(in_shape) != 2:
                self._refuse(node, f"Linear on a {len(in_shape or [])}-D input")
            self._emit(node, models.linear(name, m.in_features, m.out_features, bias=m.bias is not None,
                                           inputs=source))
            self._parameters(name, m, ("weight", "bias"))
        elif type(m) is nn.BatchNorm2d:
            if m.running_mean is None or m.running_var is None:
                self._refuse(node, "BatchNorm2d without running statistics (track_running_stats=False)")
            self._emit(node, models.batchnorm2d(name, m.num_features, float(m.eps), inputs=source))
            channels = m.num_features
            self.state[f"{name}.weight"] = m.weight.detach() if m.affine else torch.ones(channels)
            self.state[f"{name}.bias"] = m.bias.detach() if m.affine else torch.zeros(channels)
            self.state[f"{name}.running_mean"] = m.running_mean.detach()
            self.state[f"{name}.running_var"] = m.running_var.detach()
        elif type(m) is nn.ReLU:
            self._emit(node, models.simple(name, "relu", inputs=source))
        elif type(m) is nn.ReLU6:
            self._emit(node, models.simple(name, "relu6", inputs=source))
        elif type(m) is nn.LeakyReLU:
            self._emit(node, models.leaky_relu(name, m.negative_slope, inputs=source))
        elif type(m) in (nn.Dropout, nn.Dropout2d):
            self._emit(node, models.simple(name, "dropout", inputs=source))
        elif type(m) is nn.MaxPool2d:
            self._max_pool(node, name, source, m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode,
                           m.return_indices)
        elif type(m) is nn.AvgPool2d:
            self._avg_pool(node, name, source, m.kernel_size, m.stride, m.padding, m.ceil_mode,
                           m.count_include_pad, m.divisor_override)
        elif type(m) is nn.AdaptiveAvgPool2d:
            self._adaptive_avg_pool(node, name, source, in_shape, m.output_size)
        elif type(m) is nn.Flatten:
            self._flatten(node, name, source, in_shape)
        else:
            self.names.discard(name)
            self._refuse(node, type(m).__name__)

    def _parameters(self, name, m, keys):
        for key in keys:
            tensor = getattr(m, key, None)
            if tensor is not None:
                self.state[f"{name}.{key}"] = tensor.detach()

    def _max_pool(self, node, name, source, kernel, stride, padding, dilation, ceil_mode, return_indices):
        if _pair(dilation) != [1, 1] or ceil_mode or return_indices:
            self._refuse(node, "MaxPool2d with dilation, ceil_mode or return_indices")
        stride = kernel if stride is None or stride == [] else stride
        self._emit(node, models.pool2d(name, "maxpool2d", _pair(kernel), _pair(stride), _pair(padding),
                                       inputs=source))

    def _avg_pool(self, node, name, source, kernel, stride, padding, ceil_mode, count_include_pad, divisor):
        if ceil_mode or not count_include_pad or divisor is not None:
            self._refuse(node, "AvgPool2d with ceil_mode, count_include_pad=False or divisor_override")
        stride = kernel if stride is None or stride == [] else stride
        self._emit(node, models.pool2d(name, "avgpool2d", _pair(kernel), _pair(stride), _pair(padding),
                                       inputs=source))

    def _adaptive_avg_pool(self, node, name, source, in_shape, output_size):
        size = [in_shape[2 + i] if s is None else int(s) for i, s in enumerate(_pair_or_none(output_size))]
        if size == [1, 1]:
            self._emit(node, models.simple(name, "global_avgpool", inputs=source))
        elif in_shape[2] % size[0] == 0 and in_shape[3] % size[1] == 0:
            kernel = [in_shape[2] // size[0], in_shape[3] // size[1]]
            self._emit(node, models.pool2d(name, "avgpool2d", kernel, kernel, 0, inputs=source))
        else:
            self._refuse(node, f"AdaptiveAvgPool2d to {size} of a {in_shape[2:]} plane (not a divisor)")

    def _flatten(self, node, name, source, in_shape):
        out_shape = _shape(node)
        if len(out_shape) != 2 or out_shape[0] != in_shape[0]:
            self._refuse(node, f"flattening {in_shape} to {out_shape} (only to [N, features])")
        if len(in_shape) == 2:
            self.names.discard(name)
            self.value[node] = source  # already [N, features]
            return
        self._emit(node, models.simple(name, "flatten", inputs=source))

    # ---- functions and methods ----

    def _function(self, node):
        target = node.target
        label = target if isinstance(target, str) else getattr(target, "__name__", str(target))
        where = _where(node)

        def named(kind):  # "<calling module>.<kind>", made unique
            return self._name(f"{where}.{kind}" if where else kind)

        first = node.args[0] if node.args else None
        if target in (operator.add, operator.iadd, torch.add, "add", "add_"):
            tensors = [a for a in node.args if isinstance(a, torch.fx.Node)]
            if len(tensors) != 2 or len(node.args) != 2 or node.kwargs:
                self._refuse(node, f"{label} with a constant or alpha (only the sum of two tensors)")
            if _shape(tensors[0]) != _shape(tensors[1]):
                self._refuse(node, f"{label} of shapes {_shape(tensors[0])} and {_shape(tensors[1])} (broadcasting)")
            self._emit(node, models.add(named("add"),
                                        [self._input(node, t) for t in tensors]))
        elif target in (F.relu, torch.relu, "relu", "relu_"):
            self._emit(node, models.simple(named("relu"), "relu",
                                           inputs=self._input(node, first)))
        elif target is F.relu6:
            self._emit(node, models.simple(named("relu6"), "relu6",
                                           inputs=self._input(node, first)))
        elif target in (F.leaky_relu, "leaky_relu"):
            slope = _call_arguments(node, ("input", "negative_slope"), {"negative_slope": 0.01})["negative_slope"]
            self._emit(node, models.leaky_relu(named("leaky_relu"), slope,
                                               inputs=self._input(node, first)))
        elif target in (torch.cat, torch.concat):
            arguments = _call_arguments(node, ("tensors", "dim"), {"dim": 0})
            tensors = arguments["tensors"]
            rank = len(_shape(node))
            if arguments["dim"] not in (1, 1 - rank):
                self._refuse(node, f"torch.cat along dimension {arguments['dim']} (only channels, dimension 1)")
            self._emit(node, models.concat(named("cat"),
                                           [self._input(node, t) for t in tensors]))
        elif target in (torch.flatten, "flatten"):
            arguments = _call_arguments(node, ("input", "start_dim", "end_dim"), {"start_dim": 0, "end_dim": -1})
            in_shape = _shape(first)
            if arguments["start_dim"] != 1 or arguments["end_dim"] not in (-1, len(in_shape) - 1):
                self._refuse(node, f"flatten from dimension {arguments['start_dim']} (only from 1)")
            self._flatten(node, named("flatten"), self._input(node, first), in_shape)
        elif target in ("view", "reshape", torch.reshape):
            self._flatten(node, named("flatten"), self._input(node, first), _shape(first))
        elif target in (F.dropout, "dropout", torch.dropout) or target == "contiguous":
            self.value[node] = self._input(node, first)  # the identity at inference
        elif target is F.adaptive_avg_pool2d:
            arguments = _call_arguments(node, ("input", "output_size"), {})
            self._adaptive_avg_pool(node, named("avgpool"), self._input(node, first),
                                    _shape(first), arguments["output_size"])
        elif target is F.max_pool2d:
            a = _call_arguments(node, ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode",
                                       "return_indices"),
                                {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False,
                                 "return_indices": False})
            self._max_pool(node, named("maxpool"), self._input(node, first),
                           a["kernel_size"], a["stride"], a["padding"], a["dilation"], a["ceil_mode"],
                           a["return_indices"])
        elif target is F.avg_pool2d:
            a = _call_arguments(node, ("input", "kernel_size", "stride", "padding", "ceil_mode",
                                       "count_include_pad", "divisor_override"),
                                {"stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True,
                                 "divisor_override": None})
            self._avg_pool(node, named("avgpool"), self._input(node, first),
                           a["kernel_size"], a["stride"], a["padding"], a["ceil_mode"], a["count_include_pad"],
                           a["divisor_override"])
        else:
            qualified = label if isinstance(target, str) else f"{getattr(target, '__module__', '')}.{label}"
            self._refuse(node, qualified.lstrip("."))

    def _output(self, node):
        result = node.args[0]
        if not isinstance(result, torch.fx.Node) or _shape(result) is None:
            raise TraceError("the module must return one tensor of logits [N, classes]")
        if len(_shape(result)) != 2:
            raise TraceError(f"the module returns shape {_shape(result)}, not logits [N, classes]")
        if not self.layers or self.value.get(result) != self.layers[-1]["name"]:
            raise TraceError("the module's output is not its last computed layer")
        num_classes = _shape(result)[1]
        self.arch = {"arch": "traced", "input": self.input_shape, "num_classes": num_classes,
                     "layers": self.layers}
        shapes = models.infer_shapes(self.arch)
        # The engine's shape rules must give every node PyTorch's shape.
        produced = {}
        for fx_node, name in self.value.items():
            if name != models.INPUT and _shape(fx_node) is not None:
                produced.setdefault(name, _shape(fx_node)[1:])
        for layer, shape in zip(self.layers, shapes):
            if produced.get(layer["name"], shape) != shape:
                raise TraceError(f"{layer['name']}: PyTorch gives shape {produced[layer['name']]}, the ftcnn "
                                 f"layer {shape}")


def _pair_or_none(value):
    return [value, value] if value is None or isinstance(value, int) else list(value)
