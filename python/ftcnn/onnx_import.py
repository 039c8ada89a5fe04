"""An ONNX model as an ftcnn architecture: every node of the graph mapped to an ftcnn layer.

`read(path)` loads the file (the `onnx` package); `convert(model, input_shape)` returns the architecture JSON
(docs/model_format.md, format version 2), the parameters (numpy arrays under the layers' names) and what the
verification needs to run the original (`Converted`); `reference(path, converted)` is that run: onnxruntime,
else onnx's ReferenceEvaluator (onnx >= 1.13).

Supported, on the data path from the graph's one input to its one output: Conv (grouped too; 2-D, dilation 1,
symmetric zero padding), Gemm (transA 0, alpha = beta = 1) and MatMul with a constant right operand (a
following Add of a constant is its bias), BatchNormalization (inference mode), Relu, Clip to [0, 6] (ReLU6)
or [0, inf) (ReLU), LeakyRelu, MaxPool and AveragePool (2-D, dilation 1, floor mode, symmetric padding of at
most half the window; AveragePool counts padding in the divisor), GlobalAveragePool, Flatten and Reshape to
[N, features], Add of two tensors of one shape, Concat along channels, Dropout and Identity (nothing at
inference). Weights come from initializers and Constant nodes (through Identity nodes, which exporters use
for shared tensors); shape computations (Shape, Gather, Concat, ... feeding a Reshape) are read through
ONNX shape inference and emit nothing. Any other op, or an attribute ftcnn cannot express, is refused in one
line naming the node and the op ("node /layer3/se/Sigmoid: ONNX op Sigmoid is not supported").
"""

import math
from collections import Counter, OrderedDict
from dataclasses import dataclass

import numpy as np

from ftcnn import models

# The pinned versions scripts/install_deps.sh installs (docs/bring_your_own_model.md).
INSTALL_HINT = "pip install onnx==1.17.0 onnxruntime==1.20.1 (scripts/install_deps.sh puts them in build/python-env)"
_FLOAT = 1  # TensorProto.FLOAT
_SHAPE_OPS = ("Shape", "Size")  # a data tensor in, a shape (not data) out


class OnnxError(ValueError):
    """The ONNX model cannot be read or expressed in ftcnn's op set; the message names the node and the op."""


@dataclass
class Converted:
    arch: dict
    state: "OrderedDict[str, np.ndarray]"
    input_name: str
    fixed_batch: int  # the input's batch size when the graph fixes it (usually 1), else 0
    description: str  # opset and producer, for the provenance


def _onnx():
    try:
        import onnx
    except ImportError:
        raise OnnxError(f"reading an ONNX file needs the onnx package: {INSTALL_HINT}") from None
    return onnx


def onnx_version():
    return _onnx().__version__


def read(path):
    """The ModelProto of `path`; OnnxError for a file that onnx cannot parse."""
    onnx = _onnx()
    try:
        model = onnx.load(str(path))
    except Exception as e:  # protobuf's DecodeError and whatever a truncated file raises
        raise OnnxError(f"{path}: not a readable ONNX file ({type(e).__name__}: {str(e)[:120]})") from None
    if not model.graph.node:
        raise OnnxError(f"{path}: an ONNX file without a graph")
    return model


def convert(model, input_shape=None):
    """(Converted) of a ModelProto; `input_shape` ([C, H, W]) for an input whose sizes the graph leaves open."""
    return _Converter(model, input_shape).run()


# ---- the graph ----

def _dims(value_info):
    """[int or str or None per dimension] of a ValueInfoProto (None: unknown), or None without a shape."""
    tensor = value_info.type.tensor_type
    if not tensor.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in tensor.shape.dim]


def _node_label(node, index):
    return node.name or f"{node.op_type}_{index}"


class _Converter:
    def __init__(self, model, input_shape):
        onnx = _onnx()
        self.onnx = onnx
        self.model = model
        self.graph = model.graph
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
        try:
            inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
        except Exception:  # a graph shape inference rejects still converts where shapes are not needed
            inferred = model
        self.inferred = {v.name: _dims(v) for v in (*inferred.graph.value_info, *inferred.graph.output)}
        self.constants = {t.name: onnx.numpy_helper.to_array(t) for t in self.graph.initializer}
        self.requested_shape = list(input_shape) if input_shape else None
        self.layers, self.state, self.names = [], OrderedDict(), set()
        self.data = {}  # tensor name -> the ftcnn layer whose output it is ("input" for the graph input)
        self.shape = {}  # tensor name -> per-item shape ([C, H, W] or [features])
        self.matmul = {}  # tensor name -> the bias-less linear layer a MatMul made (an Add may give it a bias)
        self.padded = {}  # tensor name -> [ph, pw] of a zero Pad that the Conv or AveragePool reading it takes

    # ---- the graph's input, output and dead nodes ----

    def run(self):
        inputs = [i for i in self.graph.input if i.name not in self.constants]
        if len(inputs) != 1:
            raise OnnxError(f"the graph has {len(inputs)} inputs; ftcnn models take one image batch")
        if len(self.graph.output) != 1:
            raise OnnxError(f"the graph has {len(self.graph.output)} outputs; ftcnn models give one [N, classes]")
        source = inputs[0]
        item, fixed_batch = self._input_shape(source)
        self.item = item
        self.data[source.name], self.shape[source.name] = models.INPUT, item
        self.input_dims = _dims(source)
        live = self._live_nodes()
        self.consumers = Counter(name for i, node in enumerate(self.graph.node) if i in live for name in node.input)
        for index, node in enumerate(self.graph.node):
            if index in live:
                label = _node_label(node, index)
                try:
                    self._node(node, label)
                except (KeyError, IndexError, TypeError, AttributeError) as e:  # a graph that breaks ONNX's rules
                    raise OnnxError(f"node {label}: a malformed {node.op_type} node "
                                    f"({type(e).__name__}: {e})") from None
        output = self.graph.output[0].name
        if output not in self.data:
            raise OnnxError(f"the graph's output {output} is not computed from its input")
        if len(self.shape[output]) != 1:
            raise OnnxError(f"the graph's output {output} has shape {['N', *self.shape[output]]}, "
                            f"not logits [N, classes]")
        if not self.layers or self.data[output] != self.layers[-1]["name"]:
            raise OnnxError(f"the graph's output {output} is not its last computed layer")
        arch = {"arch": "onnx", "input": item, "num_classes": self.shape[output][0], "layers": self.layers}
        producer = " ".join(p for p in (self.model.producer_name, self.model.producer_version) if p)
        description = f"ONNX opset {self.opset}" + (f", made by {producer}" if producer else "")
        return Converted(models.with_inputs(arch), self.state, source.name, fixed_batch, description)

    def _input_shape(self, source):
        if source.type.tensor_type.elem_type != _FLOAT:
            raise OnnxError(f"the graph's input {source.name} is not float32")
        dims = _dims(source)
        if dims is None or len(dims) != 4:
            raise OnnxError(f"the graph's input {source.name} has shape {dims}; ftcnn takes images [N, C, H, W]")
        fixed = [d if isinstance(d, int) and d > 0 else None for d in dims[1:]]
        if self.requested_shape is not None:
            if any(f is not None and f != r for f, r in zip(fixed, self.requested_shape)) \
                    or len(self.requested_shape) != 3:
                raise OnnxError(f"--input-shape {self.requested_shape} does not fit the graph's input "
                                f"{['N' if d is None else d for d in fixed]}")
            item = self.requested_shape
        elif None in fixed:
            raise OnnxError(f"the graph's input {source.name} has open sizes {dims}: give --input-shape C,H,W")
        else:
            item = fixed
        batch = dims[0] if isinstance(dims[0], int) and dims[0] > 0 else 0
        return [int(v) for v in item], batch

    def _live_nodes(self):
        """Indices of the nodes the output depends on (exporters leave dead ones); Constant nodes are read."""
        producer = {out: i for i, node in enumerate(self.graph.node) for out in node.output if out}
        live, pending = set(), [self.graph.output[0].name]
        while pending:
            index = producer.get(pending.pop())
            if index is not None and index not in live:
                live.add(index)
                pending.extend(n for n in self.graph.node[index].input if n)
        return live

    # ---- naming and emitting ----

    def _name(self, base):
        """`base`, made unique; never a dotted prefix of another name nor extending one ("layer1" beside
        "layer1.conv1"), as the file's Python twin nests its modules by the dots."""
        def taken(name):
            return name in self.names or name == models.INPUT or any(
                other.startswith(name + ".") or name.startswith(other + ".") for other in self.names)

        if any(base.startswith(other + ".") for other in self.names):
            base = base.replace(".", "_")
        name, k = base, 1
        while taken(name):
            name = f"{base}_{k}"
            k += 1
        self.names.add(name)
        return name

    def _layer_name(self, node, label, weight_input=None):
        """A layer's name: its weight's name without '.weight' (a PyTorch export keeps the state_dict keys),
        else the node's: PyTorch's scope path "/layer1/layer1.0/conv1/Conv" as the module path
        "layer1.0.conv1" (a component that extends the one before it replaces it), with the op type in lower
        case for an op without parameters ("/layer1/Relu_1": "layer1.relu"), as the tracer names them; any
        other name with '/' as '.'."""
        if weight_input and weight_input.endswith(".weight") and "::" not in weight_input:
            return self._name(weight_input[: -len(".weight")])
        parts = [p for p in label.split("/") if p]
        if label.startswith("/") and parts and parts[-1].split("_")[0] == node.op_type:
            parts[-1] = node.op_type.lower()
            if weight_input or (len(parts) > 1 and parts[-2] == parts[-1]):
                parts.pop()
        path = []
        for part in parts:
            if path and part.startswith(path[-1] + "."):
                path.pop()
            path.append(part)
        return self._name(".".join(path) or node.op_type.lower())

    def _emit(self, node, label, layer):
        self.layers.append(layer)
        try:
            shape = models.infer_shapes({"input": self.item, "num_classes": 0, "layers": self.layers})[-1]
        except ValueError as e:
            raise OnnxError(f"node {label}: {e}") from None
        self.data[node.output[0]] = layer["name"]
        self.shape[node.output[0]] = shape

    def _pass(self, node, source):
        """The node computes nothing at inference: its output is its input."""
        self.data[node.output[0]] = self.data[source]
        self.shape[node.output[0]] = self.shape[source]

    def _refuse(self, label, op, what=None):
        raise OnnxError(f"node {label}: ONNX op {op}{f' with {what}' if what else ''} is not supported")

    # ---- one node ----

    def _node(self, node, label):
        op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
        if op == "Constant":
            self.constants[node.output[0]] = self._constant_value(node, label)
            return
        data_inputs = [i for i in node.input if i in self.data]
        if not data_inputs:
            if op == "Identity" and node.input[0] in self.constants:
                self.constants[node.output[0]] = self.constants[node.input[0]]
            return  # a shape or constant computation: read where it is used (Reshape), emits nothing
        if op in _SHAPE_OPS:
            return
        handler = getattr(self, f"_op_{op}", None)
        if handler is None:
            self._refuse(label, op)
        attributes = {a.name: self.onnx.helper.get_attribute_value(a) for a in node.attribute}
        attributes = {k: v.decode() if isinstance(v, bytes) else v for k, v in attributes.items()}
        known = self._ATTRIBUTES.get(op, ())
        for key in attributes:
            if key not in known:
                self._refuse(label, op, f"attribute {key}")
        for extra in node.output[1:]:
            if extra and self.consumers[extra]:
                self._refuse(label, op, f"its output {extra} used (ftcnn ops give one output)")
        handler(node, label, attributes)

    _ATTRIBUTES = {
        "Conv": ("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"),
        "MaxPool": ("auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"),
        "AveragePool": ("auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads",
                        "strides"),
        "Gemm": ("alpha", "beta", "transA", "transB"),
        "BatchNormalization": ("epsilon", "momentum", "training_mode", "spatial"),
        "LeakyRelu": ("alpha",),
        "Clip": ("min", "max"),
        "Flatten": ("axis",),
        "Concat": ("axis",),
        "Reshape": ("allowzero",),
        "Dropout": ("ratio", "seed"),
        "Pad": ("mode", "pads", "value"),
    }

    def _constant_value(self, node, label):
        for a in node.attribute:
            if a.name == "value":
                return self.onnx.numpy_helper.to_array(a.t)
            if a.name in ("value_float", "value_int"):
                return np.array(self.onnx.helper.get_attribute_value(a))
            if a.name in ("value_floats", "value_ints"):
                return np.array(list(self.onnx.helper.get_attribute_value(a)))
        raise OnnxError(f"node {label}: a Constant without a value ftcnn reads (sparse or string)")

    def _constant(self, node, label, position, what):
        """The constant at input `position`, None when that input is absent (optional)."""
        if position >= len(node.input) or not node.input[position]:
            return None
        name = node.input[position]
        if name not in self.constants:
            raise OnnxError(f"node {label}: its {what} ({name}) is computed in the graph, not a constant "
                            f"(an initializer), which ftcnn needs")
        return np.asarray(self.constants[name])

    def _image_input(self, node, label, op):
        source = node.input[0]
        if source not in self.data:
            self._refuse(label, op, f"a constant input {source}")
        if len(self.shape[source]) != 3:
            self._refuse(label, op, f"an input of shape {['N', *self.shape[source]]} (ftcnn's takes [N, C, H, W])")
        return source

    # ---- ops ----

    def _window(self, label, op, a, kernel, source):
        """(kernel, stride, padding) of a 2-D Conv or pool, refusing what ftcnn cannot express; a zero Pad
        before it adds to its padding."""
        if a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
            self._refuse(label, op, f"auto_pad {a['auto_pad']}")
        if len(kernel) != 2:
            self._refuse(label, op, f"a {len(kernel)}-D window (ftcnn's are 2-D)")
        if any(d != 1 for d in a.get("dilations", [1, 1])):
            self._refuse(label, op, f"dilations {list(a['dilations'])}")
        pads = list(a.get("pads", [0, 0, 0, 0]))
        if a.get("auto_pad") == "VALID":
            pads = [0, 0, 0, 0]
        if len(pads) != 4 or pads[0] != pads[2] or pads[1] != pads[3]:
            self._refuse(label, op, f"asymmetric pads {pads} (begin and end must agree)")
        strides = list(a.get("strides", [1, 1]))
        before = self.padded.get(source, [0, 0])
        if any(before) and op == "MaxPool":
            self._refuse(label, op, "a zero Pad before it (max pooling pads with -inf)")
        if any(before) and op == "AveragePool" and any(pads) and not a.get("count_include_pad", 0):
            self._refuse(label, op, "a zero Pad before it and count_include_pad 0")
        padding = [int(pads[0]) + before[0], int(pads[1]) + before[1]]
        return [int(k) for k in kernel], [int(s) for s in strides], padding

    def _op_Conv(self, node, label, a):
        source = self._image_input(node, label, "Conv")
        weight = self._constant(node, label, 1, "weight")
        bias = self._constant(node, label, 2, "bias")
        if weight.ndim != 4:
            self._refuse(label, "Conv", f"a {weight.ndim - 2}-D kernel (ftcnn's are 2-D)")
        kernel, stride, padding = self._window(label, "Conv", a, a.get("kernel_shape", weight.shape[2:]),
                                                source)
        if kernel != list(weight.shape[2:]):
            raise OnnxError(f"node {label}: kernel_shape {kernel} and weight {list(weight.shape)} disagree")
        groups = int(a.get("group", 1))
        name = self._layer_name(node, label, node.input[1])
        channels = self.shape[source][0]
        self._emit(node, label, models.conv2d(name, channels, weight.shape[0], kernel, stride, padding,
                                              bias=bias is not None, inputs=self.data[source], groups=groups))
        self.state[f"{name}.weight"] = weight
        if bias is not None:
            self.state[f"{name}.bias"] = bias.reshape(-1)

    def _pool(self, node, label, op, a, kind):
        source = self._image_input(node, label, op)
        if "kernel_shape" not in a:
            raise OnnxError(f"node {label}: {op} without kernel_shape")
        if a.get("ceil_mode", 0):
            self._refuse(label, op, "ceil_mode 1")
        if a.get("storage_order", 0):
            self._refuse(label, op, "storage_order 1")
        kernel, stride, padding = self._window(label, op, a, a["kernel_shape"], source)
        if any(2 * p > k for p, k in zip(padding, kernel)):
            self._refuse(label, op, f"pads {padding} beyond half the window {kernel}")
        if kind == "avgpool2d" and any(a.get("pads", [])) and not a.get("count_include_pad", 0):
            self._refuse(label, op, "count_include_pad 0 and padding (ftcnn counts the padding)")
        self._emit(node, label, models.pool2d(self._layer_name(node, label), kind, kernel, stride, padding,
                                              inputs=self.data[source]))

    def _op_MaxPool(self, node, label, a):
        self._pool(node, label, "MaxPool", a, "maxpool2d")

    def _op_AveragePool(self, node, label, a):
        self._pool(node, label, "AveragePool", a, "avgpool2d")

    def _op_GlobalAveragePool(self, node, label, a):
        source = self._image_input(node, label, "GlobalAveragePool")
        self._emit(node, label, models.simple(self._layer_name(node, label), "global_avgpool",
                                              inputs=self.data[source]))

    def _op_BatchNormalization(self, node, label, a):
        source = self._image_input(node, label, "BatchNormalization")
        if a.get("training_mode", 0):
            self._refuse(label, "BatchNormalization", "training_mode 1")
        if not a.get("spatial", 1):
            self._refuse(label, "BatchNormalization", "spatial 0")
        scale, bias, mean, var = (self._constant(node, label, i, what).reshape(-1) for i, what in
                                  ((1, "scale"), (2, "bias"), (3, "mean"), (4, "variance")))
        name = self._layer_name(node, label, node.input[1])
        self._emit(node, label, models.batchnorm2d(name, self.shape[source][0], float(a.get("epsilon", 1e-5)),
                                                   inputs=self.data[source]))
        self.state.update({f"{name}.weight": scale, f"{name}.bias": bias, f"{name}.running_mean": mean,
                           f"{name}.running_var": var})

    def _linear(self, node, label, op, source, weight, bias):
        if len(self.shape[source]) != 1:
            self._refuse(label, op, f"an input of shape {['N', *self.shape[source]]} (ftcnn's linear takes "
                                    f"[N, features])")
        name = self._layer_name(node, label, node.input[1])
        self._emit(node, label, models.linear(name, self.shape[source][0], weight.shape[0], bias=bias is not None,
                                              inputs=self.data[source]))
        self.state[f"{name}.weight"] = weight
        if bias is not None:
            self.state[f"{name}.bias"] = bias
        return name

    def _op_Gemm(self, node, label, a):
        source = node.input[0]
        if a.get("transA", 0) or source not in self.data:
            self._refuse(label, "Gemm", "transA 1 or a constant first operand")
        if a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
            self._refuse(label, "Gemm", f"alpha {a.get('alpha', 1.0):g} and beta {a.get('beta', 1.0):g} (only 1)")
        weight = self._constant(node, label, 1, "weight")
        weight = weight if a.get("transB", 0) else weight.T
        bias = self._constant(node, label, 2, "bias")
        if bias is not None:
            if bias.size == 1 and weight.shape[0] != 1:
                bias = np.full(weight.shape[0], bias.reshape(-1)[0], np.float32)
            if bias.size != weight.shape[0]:
                self._refuse(label, "Gemm", f"a bias of shape {list(bias.shape)} for {weight.shape[0]} outputs")
            bias = bias.reshape(-1)
        self._linear(node, label, "Gemm", source, weight, bias)

    def _op_MatMul(self, node, label, a):
        if node.input[0] not in self.data:
            self._refuse(label, "MatMul", "a constant first operand")
        weight = self._constant(node, label, 1, "weight")
        if weight.ndim != 2:
            self._refuse(label, "MatMul", f"a right operand of shape {list(weight.shape)}")
        name = self._linear(node, label, "MatMul", node.input[0], np.ascontiguousarray(weight.T), None)
        self.matmul[node.output[0]] = name

    def _op_Add(self, node, label, a):
        if len(node.input) == 2 and all(i in self.data for i in node.input):
            shapes = [self.shape[i] for i in node.input]
            if shapes[0] != shapes[1]:
                self._refuse(label, "Add", f"inputs of shapes {['N', *shapes[0]]} and {['N', *shapes[1]]} "
                                           f"(broadcasting)")
            self._emit(node, label, models.add(self._layer_name(node, label), [self.data[i] for i in node.input]))
            return
        # MatMul + Add of a constant: the linear layer's bias.
        source = next(i for i in node.input if i in self.data)
        other = next(i for i in node.input if i != source)
        layer_name = self.matmul.get(source)
        bias = self.constants.get(other)
        if layer_name is None or bias is None or self.consumers[source] != 1:
            self._refuse(label, "Add", "a constant (only a MatMul's bias, or the sum of two tensors)")
        out = self.shape[source][0]
        bias = np.asarray(bias, np.float32)
        if bias.size != out or (bias.ndim > 1 and bias.shape[-1] != out):
            self._refuse(label, "Add", f"a constant of shape {list(bias.shape)} after a MatMul of {out} outputs")
        layer = next(layer for layer in self.layers if layer["name"] == layer_name)
        layer["bias"] = True
        self.state[f"{layer_name}.bias"] = bias.reshape(-1)
        self._pass(node, source)

    def _op_Concat(self, node, label, a):
        if not all(i in self.data for i in node.input):
            self._refuse(label, "Concat", "a constant input")
        rank = len(self.shape[node.input[0]]) + 1
        if a.get("axis") not in (1, 1 - rank):
            self._refuse(label, "Concat", f"axis {a.get('axis')} (only channels, axis 1)")
        self._emit(node, label, models.concat(self._layer_name(node, label), [self.data[i] for i in node.input]))

    def _activation(self, node, label, kind):
        self._emit(node, label, models.simple(self._layer_name(node, label), kind, inputs=self.data[node.input[0]]))

    def _op_Relu(self, node, label, a):
        self._activation(node, label, "relu")

    def _op_LeakyRelu(self, node, label, a):
        self._emit(node, label, models.leaky_relu(self._layer_name(node, label), float(a.get("alpha", 0.01)),
                                                  inputs=self.data[node.input[0]]))

    def _op_Clip(self, node, label, a):
        low, high = a.get("min"), a.get("max")  # opset < 11: attributes; since 11: inputs
        if len(node.input) > 1:
            low = self._constant(node, label, 1, "min")
            high = self._constant(node, label, 2, "max")
        low = -math.inf if low is None else float(np.asarray(low).reshape(-1)[0])
        high = math.inf if high is None else float(np.asarray(high).reshape(-1)[0])
        if (low, high) == (0.0, 6.0):
            self._activation(node, label, "relu6")
        elif (low, high) == (0.0, math.inf):
            self._activation(node, label, "relu")
        else:
            self._refuse(label, "Clip", f"min {low:g} and max {high:g} (only [0, 6], ReLU6, or [0, inf), ReLU)")

    def _op_Dropout(self, node, label, a):
        if len(node.input) > 2 and node.input[2]:
            training = self._constant(node, label, 2, "training_mode")
            if training.reshape(-1)[0]:
                self._refuse(label, "Dropout", "training_mode true")
        self._pass(node, node.input[0])

    def _op_Pad(self, node, label, a):
        """A zero padding of H and W (PyTorch exports AvgPool2d as Pad + AveragePool): nothing when it pads
        nothing, else the padding of the Conv or AveragePool that alone reads it."""
        source = self._image_input(node, label, "Pad")
        if a.get("mode", "constant") != "constant":
            self._refuse(label, "Pad", f"mode {a['mode']}")
        pads = a.get("pads") if "pads" in a else self._constant(node, label, 1, "pads")
        value = a.get("value", 0.0) if len(node.input) < 3 else self._constant(node, label, 2, "constant_value")
        if len(node.input) > 3 and node.input[3]:
            self._refuse(label, "Pad", "axes")
        pads = [int(v) for v in np.asarray(pads).reshape(-1)]
        if value is not None and float(np.asarray(value).reshape(-1)[0] if np.size(value) else 0.0) != 0.0:
            self._refuse(label, "Pad", f"value {float(np.asarray(value).reshape(-1)[0]):g} (only zeros)")
        if len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)) or pads[2] != pads[6] or pads[3] != pads[7]:
            self._refuse(label, "Pad", f"pads {pads} (only the same before and after, on H and W)")
        self._pass(node, source)
        if not any(pads):
            return
        readers = [n for n in self.graph.node if node.output[0] in n.input]
        if len(readers) != 1 or readers[0].op_type not in ("Conv", "AveragePool"):
            self._refuse(label, "Pad", "a reader other than one Conv or AveragePool (which take its padding)")
        self.padded[node.output[0]] = [pads[2], pads[3]]

    def _op_Identity(self, node, label, a):
        self._pass(node, node.input[0])

    def _flatten(self, node, label, op):
        source = node.input[0]
        if len(self.shape[source]) == 1:
            self._pass(node, source)  # already [N, features]
            return
        self._emit(node, label, models.simple(self._layer_name(node, label), "flatten", inputs=self.data[source]))

    def _op_Flatten(self, node, label, a):
        rank = len(self.shape[node.input[0]]) + 1
        if a.get("axis", 1) not in (1, 1 - rank):
            self._refuse(label, "Flatten", f"axis {a.get('axis')} (only from axis 1, to [N, features])")
        self._flatten(node, label, "Flatten")

    def _op_Reshape(self, node, label, a):
        source = node.input[0]
        features = int(np.prod(self.shape[source]))
        target = self.constants.get(node.input[1]) if len(node.input) > 1 else None
        batch = self.input_dims[0]
        if target is not None:
            target = [int(v) for v in np.asarray(target).reshape(-1)]
            fits = len(target) == 2 and (target == [-1, features] or (
                target[1] in (-1, features) and (target[0] == 0 and not a.get("allowzero", 0)
                                                 or (isinstance(batch, int) and target[0] == batch))))
        else:  # computed in the graph (x.view(x.size(0), -1) with an open batch size): shape inference's view
            inferred = self.inferred.get(node.output[0])
            target = inferred
            fits = inferred is not None and len(inferred) == 2 and inferred[0] == batch and batch is not None \
                and (inferred[1] == features or not isinstance(inferred[1], int))
        if not fits:
            self._refuse(label, "Reshape", f"shape {target} of an input {['N', *self.shape[source]]} (only to "
                                           f"[N, features])")
        self._flatten(node, label, "Reshape")


# ---- running the original ----

def reference(path, converted):
    """(run, record): `run(x)` gives the ONNX model's logits of float32 NCHW `x` through onnxruntime (else
    onnx's ReferenceEvaluator, onnx >= 1.13); `record` names the runtime and its version for the provenance.
    A graph of a fixed batch size runs in batches of that size (the last one padded)."""
    try:
        import onnxruntime
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        evaluate = lambda x: session.run(None, {converted.input_name: x})[0]  # noqa: E731
        record = {"reference": "onnxruntime (CPUExecutionProvider)", "onnxruntime": onnxruntime.__version__}
    except ImportError:
        onnx = _onnx()
        try:
            from onnx.reference import ReferenceEvaluator
        except ImportError:
            raise OnnxError(f"verifying an ONNX export needs onnxruntime or onnx >= 1.13 (this is onnx "
                            f"{onnx.__version__}): {INSTALL_HINT}") from None
        evaluator = ReferenceEvaluator(str(path))
        evaluate = lambda x: evaluator.run(None, {converted.input_name: x})[0]  # noqa: E731
        record = {"reference": "onnx ReferenceEvaluator", "onnx": onnx.__version__}

    def run(x):
        x = np.ascontiguousarray(x, np.float32)
        step = converted.fixed_batch or len(x)
        out = []
        for start in range(0, len(x), step):
            chunk = x[start:start + step]
            if len(chunk) < step:
                chunk = np.concatenate([chunk, np.zeros((step - len(chunk), *x.shape[1:]), np.float32)])
            out.append(np.asarray(evaluate(chunk))[:len(x) - start])
        return np.concatenate(out)

    return run, record
