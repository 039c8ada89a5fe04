#!/usr/bin/python3
"""Writes the hardened-model fixtures under faults: test/fixtures/hardened_{edac,duponly,tmr}_small.h5.

  PYTHONPATH=python test/generate_hardened_fixtures.py [--out test/fixtures]

An external oracle for the correction layers `edac` (modes edac and dup-only) and `tmr_vote`
(docs/hardening.md) inside a whole model with faulty parameters. Each fixture is an ftcnn model file plus
`fixture_input` / `fixture_output` at the root, written and read back as test/generate_fixtures.py does;
PyTorch runs it through python/ftcnn/hardening.py (the modules ftcnn.models builds for these layers).

How a fixture is made (a torch.Generator seeded with crc32(file stem) + variant, see 5.):
1. The plain model is test/fixtures/model_small.h5; the fixture inputs are its four images.
2. Hardening, written here independently of `ftcnn harden`: every conv2d / linear layer L with C outputs
   gets copies of a random choice of ceil(0.5 C) channels (the classifier, the last one, of all C), listed
   ascending as `ftcnn harden` writes them; the copy rows are appended to L's weight (and bias) in the order
   of the list (TMR: two blocks, rows C + k and C + D + k). `<L>.edac` / `<L>.vote` follows L, before its
   BatchNorm, with the keys `ftcnn harden` writes. EDAC intervals: per-channel min / max of L's output in
   the plain model, widened by 1e-3 x max(|lo|, |hi|), over the four fixture inputs and 60 more blob
   images made as generate_fixtures.py makes them (seed crc32('hardened_small_profile')). Four images
   alone give a linear layer four values per channel: nearly every logit of the faulty model fell outside
   such intervals and was zeroed, which hid what happened upstream.
3. Faults (PLANS), on drawn channels of the right kind (with or without copies) and on weights chosen by
   rule: exponent bit 30 flips (x 2^128) of the smallest non-zero weight, top mantissa bit flips of the
   largest weight (it grows by a third to a half, so copies differ visibly in the logits), NaN / +Inf /
   -Inf weights (centre tap of the first convolution) or biases, and for edac the bounds: lower NaN,
   upper -Inf, lower > upper (swapped), and infinite bounds next to infinite values (an Inf stays
   outside). Flips only hit weights whose input is non-zero for most images.
4. Forward hooks on the hardened module count, per layer, how often each row of the tables occurs (NaN in
   an original / a copy, single inside / outside, pair equal / different / one inside / none inside, TMR
   agreement patterns, ...), and check robustness (below). The coverage table is printed.
5. A seed whose fixture misses a row or fails a robustness check is rejected and the next variant is
   tried (a fault moves every later activation, which now and then lands next to an interval bound).

Robustness: ftcnn (OpenBLAS im2col + GEMM, cuDNN) sums in another order than PyTorch (oneDNN, OpenBLAS),
so a layer output may differ by rounding: here at most 2.3e-7 x sum |terms| from the exact value. The
fixture must not depend on that, so every decision a correction layer takes must come out the same in
both engines. Per element of every correction layer's input, with tol = 1e-4 x max(|u|, |v|) + 2e-6 x
sum |terms| (u, v: the two values compared; sum |terms| = sum |w x| + |bias| in float64):
- Intervals: a finite computed value (not a scrubbed NaN: its 0 is exact everywhere) is farther than tol
  from each finite bound of its channel.
- Ties: edac and dup-only pairs need no check: away from the bounds their rule is continuous in (a, b)
  (a == b gives a, a != b gives min(a, b), and min(a, b) -> a as b -> a), so a tie read otherwise changes
  the output by |a - b|, no more than the rounding. TMR compares bits, so a tie matters there. A pair is
  settled when its values are bit-equal in PyTorch and made of the same non-zero terms (the rows' weights
  differ only where the input is 0 or padding: an engine that computes its rows alike gives equal bits),
  or when it is farther apart than tol. Other pairs are ambiguous; the vote is evaluated for every
  equal / unequal reading of them, and each reading must give the actual vote to within the sum of their
  tol (a misread tie moves the vote along the ambiguous gaps only).
  PyTorch's linear layers (OpenBLAS GEMM) are not row-invariant: a fault-free copy of a classifier row can
  differ from its original by a rounding step (printed as a note). Those pairs are ambiguous, and the
  mantissa faults only make a weight larger, so after a ReLU a faulty copy is never the minimum that such
  a step would decide.
- Overflow: a float32 sum can overflow in one order and not another only when its sum |terms| over the
  finite weights is near FLT_MAX; every element has sum |terms| < FLT_MAX / 2. Inf and NaN come from Inf /
  NaN parameters, which give the same Inf or NaN in any order, and sit where they always meet a non-zero
  input (the centre tap of the first convolution, whose inputs are never 0, or a bias): engines differ on
  whether they multiply padding, or zeros, by a weight.
- Downstream: what reaches the next conv2d / linear layer is finite and below 1e4 in magnitude, and the
  logits are finite except where an Inf is the point (dup-only: a copy at -Inf wins).
A +0 / -0 disagreement cannot be made to occur: conv2d and linear sums start from +0 in every engine, so
they never give -0, and the NaN scrub gives +0; test/test_edac.cpp checks that row by hand.
"""

import math
import sys
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch

from ftcnn import cifar, hardening, model_file
from ftcnn import models as fm
from generate_fixtures import blob_images, seed_for, start_generator  # test/: the script's own folder

HERE = Path(__file__).resolve().parent

RATIO = 0.5
WIDEN = 1e-3
REL_TOL = 1e-4   # of the values compared: the margin a decision needs
# of sum |terms|: PyTorch's float32 sums of this model are within 2.3e-7 x sum |terms| of the exact (float64)
# value, so two engines are within 4.6e-7 of each other; this leaves four times that.
SUM_TOL = 2e-6
FLT_MAX = float(np.finfo(np.float32).max)
DOWNSTREAM_LIMIT = 1e4
MAX_VARIANTS = 20
PROFILE_EXTRA = 60

FIXTURES = {"hardened_edac_small": "edac", "hardened_duponly_small": "dup-only", "hardened_tmr_small": "tmr"}


# ---- plain model, inputs, intervals ----

def load_plain(fixtures):
    """(module, architecture, fixture_input) of test/fixtures/model_small.h5."""
    module, metadata = model_file.load_model(fixtures / "model_small.h5")
    return module, metadata["architecture"], torch.from_numpy(metadata["extra"]["fixture_input"])


def profiling_images(x):
    """The fixture inputs and PROFILE_EXTRA more blob images made as generate_fixtures.py makes them."""
    seed_for("hardened_small_profile")
    more = model_file.preprocess(blob_images(PROFILE_EXTRA), {"scale": model_file.PIXEL_SCALE,
                                                              **cifar.NORMALIZATION["cifar10"]})
    return torch.cat([x, more])


def protected_layers(arch):
    return [layer["name"] for layer in arch["layers"] if layer["type"] in ("conv2d", "linear")]


def layer_outputs(module, names, x):
    """{layer name: output} of the named layers for input x."""
    outputs, handles = {}, []
    for name in names:
        handles.append(module.get_submodule(name).register_forward_hook(
            lambda m, inp, out, name=name: outputs.__setitem__(name, out.detach().clone())))
    with torch.no_grad():
        module(x)
    for h in handles:
        h.remove()
    return outputs


def active_inputs(module, arch, x):
    """{layer: bool mask broadcastable to one weight row}: the inputs that are non-zero for every image
    (linear) or at three quarters of the positions (conv2d)."""
    inputs, handles = {}, []
    for name in protected_layers(arch):
        handles.append(module.get_submodule(name).register_forward_hook(
            lambda m, inp, out, name=name: inputs.__setitem__(name, inp[0].detach().clone())))
    with torch.no_grad():
        module(x)
    for h in handles:
        h.remove()
    return {name: (v != 0).all(0) if v.dim() == 2 else ((v != 0).double().mean((0, 2, 3)) >= 0.75).view(-1, 1, 1)
            for name, v in inputs.items()}


def channel_min_max(y):
    dims = [d for d in range(y.dim()) if d != 1]
    return y.amin(dim=dims), y.amax(dim=dims)


def intervals(module, arch, x):
    """{layer: (lower, upper)}: the plain model's per-channel range, widened by WIDEN x max(|lo|, |hi|)."""
    result = {}
    for name, y in layer_outputs(module, protected_layers(arch), x).items():
        lo, hi = (t.double() for t in channel_min_max(y))
        scale = torch.maximum(lo.abs(), hi.abs())
        result[name] = ((lo - WIDEN * scale).float(), (hi + WIDEN * scale).float())
    return result


# ---- hardening, independent of `ftcnn harden` ----

def harden(arch, state, mode, bounds, gen):
    """(hardened architecture, state, {layer: copied channel list}). Copy rows follow the originals in the
    order of the list; TMR appends the list twice."""
    names = protected_layers(arch)
    blocks = 2 if mode == "tmr" else 1
    layers, new_state, copied = [], OrderedDict(state), {}
    readers = {}  # protected layer -> its correction layer, which later layers read instead (format v2 inputs)
    for layer in arch["layers"]:
        if "inputs" in layer:
            layer = {**layer, "inputs": [readers.get(i, i) for i in layer["inputs"]]}
        if layer["name"] not in names:
            layers.append(dict(layer))
            continue
        name, channels = layer["name"], layer["out"]
        count = channels if name == names[-1] else math.ceil(RATIO * channels - 1e-9)
        # Ascending, as `ftcnn harden` writes the list (any order is valid).
        chosen = sorted(torch.randperm(channels, generator=gen)[:count].tolist())
        copied[name] = chosen
        for key in ("weight", "bias"):
            full = f"{name}.{key}"
            if full in new_state:
                t = new_state[full]
                new_state[full] = torch.cat([t] + [t[chosen]] * blocks).contiguous()
        layers.append({**layer, "out": channels + blocks * count})
        if mode == "tmr":
            layers.append({"name": f"{name}.vote", "type": "tmr_vote", "inputs": [name], "in": channels + 2 * count,
                           "out": channels, "triplicated": chosen})
        else:
            layers.append({"name": f"{name}.edac", "type": "edac", "inputs": [name], "in": channels + count,
                           "out": channels, "mode": mode, "duplicated": chosen})
            if mode == "edac":
                new_state[f"{name}.edac.lower"] = bounds[name][0].clone()
                new_state[f"{name}.edac.upper"] = bounds[name][1].clone()
        readers[name] = layers[-1]["name"]
    return {**arch, "layers": layers}, new_state, copied


# ---- faults ----

def flip_bit(value, bit):
    bits = np.array([value], np.float32).view(np.uint32)
    bits ^= np.uint32(1 << bit)
    return float(bits.view(np.float32)[0])


class Faults:
    """Places the faults of a plan in a hardened state: channels drawn from the generator, weights chosen
    by rule (below); `log` says what changed."""

    def __init__(self, arch, state, copied, mode, gen, active):
        self.layers = {layer["name"]: layer for layer in arch["layers"]}
        self.state, self.copied, self.mode, self.gen, self.active = state, copied, mode, gen, active
        self.used = {name: set() for name in copied}
        self.log = []

    def channels(self, name):
        return self.layers[name]["out"] - (2 if self.mode == "tmr" else 1) * len(self.copied[name])

    def pick_channel(self, name, copied):
        pool = [c for c in range(self.channels(name))
                if (c in self.copied[name]) == copied and c not in self.used[name]]
        channel = pool[torch.randint(len(pool), (1,), generator=self.gen).item()]
        self.used[name].add(channel)
        return channel

    def row(self, name, channel, which):
        """Weight row of `channel`: which 0 = the original, 1 = its first copy, 2 = its second (TMR)."""
        if which == 0:
            return channel
        k = self.copied[name].index(channel)
        return self.channels(name) + (which - 1) * len(self.copied[name]) + k

    def _weight_position(self, name, row, how):
        """Where a fault goes in a weight row. The choice depends on the row's values only, so the same
        fault in an original and in its copies (identical rows) hits the same weight."""
        w = self.state[f"{name}.weight"][row]
        if how in ("nan", "+inf", "-inf"):
            # The centre tap of a 3x3 / stride 1 / padding 1 convolution never meets padding; the first
            # layer's inputs are never 0 (asserted by the monitor), so NaN / Inf is the same in any engine.
            assert self.layers[name]["type"] == "conv2d" and self.layers[name]["kernel"] == [3, 3]
            centre = w[:, 1, 1].abs()
            return (int(torch.argmax(centre)), 1, 1)
        flat = w.reshape(-1)
        # Only weights whose input is mostly non-zero (a fault on a weight that meets zeros does nothing).
        active = self.active[name].expand_as(w).reshape(-1) & (flat != 0)
        if how == "exp30":
            # The smallest such weight: x 2^128 keeps every sum far below FLT_MAX.
            mags = torch.where(active, flat.abs(), torch.full_like(flat, math.inf))
            index = int(torch.argmin(mags))
        else:
            # The largest weight whose bit-22 flip makes it larger (mant22+21 / mant22+20 flip a second bit
            # of the same weight, larger still): after a ReLU (inputs >= 0) a faulty copy is then never
            # below the fault-free value, so a vote's minimum never depends on which fault-free copy is
            # the smaller by a rounding step; and faults of one channel differ by multiples of one input.
            grows = torch.tensor([flip_bit(float(v), 22) > float(v) for v in flat])
            mags = torch.where(grows & active, flat.abs(), torch.full_like(flat, -1.0))
            index = int(torch.argmax(mags))
        return tuple(int(i) for i in np.unravel_index(index, tuple(w.shape)))

    def weight(self, name, channel, which, how):
        row = self.row(name, channel, which)
        w = self.state[f"{name}.weight"]
        pos = self._weight_position(name, row, how)
        old = w[(row, *pos)].item()
        new = {"nan": math.nan, "+inf": math.inf, "-inf": -math.inf}.get(how)
        if new is None:
            new = old
            for bit in [30] if how == "exp30" else [int(b) for b in how[4:].split("+")]:
                new = flip_bit(new, bit)
        w[(row, *pos)] = new
        self.log.append(f"{name}.weight[{row}, {', '.join(map(str, pos))}] {old!r} -> {new!r} ({how})")
        return pos

    def bias(self, name, channel, which, how):
        row = self.row(name, channel, which)
        b = self.state[f"{name}.bias"]
        old = b[row].item()
        b[row] = {"nan": math.nan, "+inf": math.inf, "-inf": -math.inf}[how]
        self.log.append(f"{name}.bias[{row}] {old!r} -> {b[row].item()!r}")

    def bound(self, name, channel, how):
        lower, upper = self.state[f"{name}.edac.lower"], self.state[f"{name}.edac.upper"]
        old = (lower[channel].item(), upper[channel].item())
        if how == "lower=nan":
            lower[channel] = math.nan
        elif how == "upper=-inf":
            upper[channel] = -math.inf
        elif how == "upper=+inf":
            upper[channel] = math.inf
        elif how == "lower=-inf":
            lower[channel] = -math.inf
        else:  # lower > upper
            lower[channel], upper[channel] = old[1], old[0]
        self.log.append(f"{name}.edac bounds of channel {channel} {old} -> "
                        f"({lower[channel].item()!r}, {upper[channel].item()!r}) ({how})")


# Each entry: (layer, channel kind, list of faults). Channel kind: "single" (no copy) or "copied". A fault
# is ("weight", which row, how), ("bias", which row, how) or ("bound", how). which: 0 original, 1 / 2 copies.
# how: exp30 (exponent bit 30 flip, x 2^128), mant22 (top mantissa bit: the weight grows by a third to a
# half), mant22+21 / mant22+20 (two bits of that same weight: grows, by other amounts), nan, +inf, -inf.
PLANS = {
    "edac": [
        # The rules zero a channel whose bounds are faulty: those faults sit in the classifier, so that the
        # logits stay mostly inside their intervals (zeroed logits would hide what happened upstream).
        # Inf stays outside even where a bound is infinite.
        ("features.0", "single", [("weight", 0, "+inf"), ("bound", "upper=+inf")]),  # single: +-Inf outside
        ("features.0", "copied", [("weight", 1, "-inf"), ("bound", "lower=-inf")]),  # only a inside
        ("features.0", "copied", [("weight", 0, "nan")]),               # NaN original: pair (0, b)
        ("features.0", "copied", [("weight", 1, "nan")]),               # NaN copy: pair (a, 0)
        ("features.0", "copied", [("weight", 0, "exp30")]),             # only b inside
        ("features.0", "copied", [("weight", 1, "mant22")]),            # a != b: both inside, or one
        ("features.8", "copied", [("weight", 1, "mant22")]),
        ("classifier.1", "single", [("weight", 0, "exp30")]),           # single outside, [N, F] layout
        ("classifier.3", "copied", [("weight", 1, "mant22")]),          # logits: min(a, b)
        ("classifier.3", "copied", [("weight", 0, "exp30")]),           # only b inside
        ("classifier.3", "copied", [("bias", 1, "+inf")]),              # only a inside
        ("classifier.3", "copied", [("bias", 0, "nan")]),
        ("classifier.3", "copied", [("bound", "upper=-inf")]),          # nothing inside
        ("classifier.3", "copied", [("bound", "lower=nan")]),           # neither inside, a == b
        ("classifier.3", "copied", [("weight", 1, "mant22"), ("bound", "swap")]),  # neither, a != b
    ],
    "dup-only": [
        ("features.0", "single", [("weight", 0, "nan")]),               # scrub in a channel without copy
        ("features.0", "copied", [("weight", 1, "mant22")]),            # a != b: min
        ("features.0", "copied", [("weight", 1, "-inf")]),              # copy at -Inf wins, at +Inf loses
        ("features.0", "copied", [("weight", 0, "nan")]),
        ("features.0", "copied", [("weight", 1, "nan")]),
        ("features.0", "copied", [("weight", 0, "exp30")]),
        ("features.8", "copied", [("weight", 0, "mant22")]),
        ("classifier.1", "copied", [("bias", 1, "nan")]),
        ("classifier.3", "copied", [("weight", 1, "mant22")]),
        ("classifier.3", "copied", [("weight", 0, "mant22")]),
        ("classifier.3", "copied", [("bias", 1, "-inf")]),              # a logit of -Inf
        ("classifier.3", "copied", [("bias", 0, "nan")]),
    ],
    "tmr": [
        ("features.0", "copied", [("weight", 0, "mant22")]),            # a differs
        ("features.0", "copied", [("weight", 1, "mant22")]),            # b differs
        ("features.0", "copied", [("weight", 2, "mant22")]),            # c differs
        ("features.0", "copied", [("weight", 0, "mant22"), ("weight", 1, "mant22+21")]),  # all differ
        ("features.0", "copied", [("weight", 1, "nan")]),
        ("features.0", "copied", [("weight", 0, "nan")]),
        ("features.0", "copied", [("weight", 2, "-inf")]),
        ("features.0", "copied", [("weight", 0, "exp30")]),
        ("features.8", "copied", [("weight", 2, "mant22")]),
        ("classifier.1", "copied", [("bias", 2, "nan")]),
        ("classifier.3", "copied", [("weight", 0, "mant22")]),
        ("classifier.3", "copied", [("weight", 1, "mant22")]),
        ("classifier.3", "copied", [("weight", 2, "mant22")]),
        ("classifier.3", "copied", [("weight", 0, "mant22"), ("weight", 1, "mant22+21"),
                                   ("weight", 2, "mant22+20")]),
        ("classifier.3", "copied", [("bias", 1, "nan")]),
    ],
}


def apply_plan(faults, plan):
    for name, kind, items in plan:
        channel = faults.pick_channel(name, kind == "copied")
        for item in items:
            if item[0] == "weight":
                faults.weight(name, channel, item[1], item[2])
            elif item[0] == "bias":
                faults.bias(name, channel, item[1], item[2])
            else:
                faults.bound(name, channel, item[1])


# ---- coverage and robustness, from forward hooks ----

# The rows counted per correction-layer mode; every one must occur in the fixture of that mode.
ROWS = {
    "edac": ["NaN in an original", "NaN in a copy", "+Inf value", "-Inf value",
             "single: inside", "single: outside, finite", "single: outside, Inf",
             "pair: a == b, inside", "pair: a != b, both inside", "pair: only a inside", "pair: only b inside",
             "pair: neither inside, a == b", "pair: neither inside, a != b",
             "bound: lower NaN", "bound: upper -Inf", "bound: lower > upper", "bound: Inf value, Inf bound"],
    "dup-only": ["NaN in an original", "NaN in a copy", "single: NaN scrubbed", "single: passes",
                 "pair: a == b", "pair: a < b (a kept)", "pair: b < a (copy kept)", "pair: copy -Inf wins",
                 "pair: copy +Inf loses"],
    "tmr": ["NaN in an original", "NaN in a copy", "Inf in a copy", "single: passes", "vote: all agree",
            "vote: a differs (b == c)", "vote: b differs (a == c)", "vote: c differs (a == b)",
            "vote: all differ (min)"],
}


def bits(t):
    return t.contiguous().view(torch.int32)


class Monitor:
    """Forward hooks on a hardened module: per correction layer, how often each table row occurs, and the
    robustness conditions of the docstring (violations are collected in `problems`)."""

    def __init__(self, module, arch, copied, mode):
        self.mode, self.copied = mode, copied
        self.first = protected_layers(arch)[0]
        self.counts = OrderedDict((name, OrderedDict((row, 0) for row in ROWS[mode])) for name in copied)
        self.problems, self.notes, self.seen, self.handles = [], [], {}, []
        for name in copied:
            self.handles.append(module.get_submodule(name).register_forward_hook(self._protected_hook(name)))
            suffix = ".vote" if mode == "tmr" else ".edac"
            self.handles.append(module.get_submodule(name + suffix).register_forward_hook(self._correction_hook(name)))

    def remove(self):
        for h in self.handles:
            h.remove()

    def problem(self, name, what, mask):
        n = int(mask.sum())
        if n:
            self.problems.append(f"{name}: {what} ({n} elements)")

    def _protected_hook(self, name):
        def hook(layer, inputs, output):
            x = inputs[0].detach()
            if name != self.first:
                self.problem(name, "non-finite or huge input from upstream",
                             ~torch.isfinite(x) | (x.abs() > DOWNSTREAM_LIMIT))
            w = layer.weight.detach()
            odd = (~torch.isfinite(w)).double()
            zero = (x == 0).double()
            if isinstance(layer, torch.nn.Conv2d):
                ph, pw = layer.padding
                meets_zero = torch.nn.functional.conv2d(
                    torch.nn.functional.pad(zero, (pw, pw, ph, ph), value=1.0), odd, None, layer.stride)
            else:
                meets_zero = zero @ odd.T
            # 0 x Inf and 0 x NaN: an engine that skips padding (oneDNN) or zeros would not make the NaN.
            self.problem(name, "a NaN / Inf weight meets a zero input or padding", meets_zero > 0)
            sums = self._abs_sum(layer, x, w, layer.bias)
            self.problem(name, "sum |terms| near FLT_MAX: overflow would depend on the summation order",
                         sums >= FLT_MAX / 2)
            self.seen[name] = (layer, x, sums)
        return hook

    @staticmethod
    def _abs_sum(layer, x, w, b):
        """sum |w x| + |bias| per output element over the finite parameters, in float64."""
        finite = lambda t: torch.where(torch.isfinite(t), t.double().abs(), torch.zeros((), dtype=torch.float64))
        xd = x.double().abs()
        if isinstance(layer, torch.nn.Conv2d):
            s = torch.nn.functional.conv2d(xd, finite(w), None, layer.stride, layer.padding)
        else:
            s = xd @ finite(w).T
        if b is not None:
            s = s + _per_channel(finite(b), s)
        return s

    def _structural(self, name, rows_i, rows_j):
        """Per element: the two rows' outputs are made of the same non-zero terms (their weights differ only
        where the input is 0 or padding), so an engine that computes both rows alike gives equal bits."""
        layer, x, _ = self.seen[name]
        w, b = layer.weight.detach(), layer.bias
        wi, wj = w[rows_i], w[rows_j]
        same = bits(wi) == bits(wj)
        diff = torch.where(same, torch.zeros_like(wi), torch.ones_like(wi))
        bias = None
        if b is not None:
            bi, bj = b.detach()[rows_i], b.detach()[rows_j]
            bias = torch.where(bits(bi) == bits(bj), torch.zeros_like(bi), torch.ones_like(bi))
        return self._abs_sum(layer, x, diff, bias) == 0

    def _correction_hook(self, name):
        def hook(layer, inputs, output):
            x = inputs[0].detach()
            _, _, sums = self.seen[name]
            counts = self.counts[name]
            c, idx = layer.channels, self.copied[name]
            d = len(idx)
            blocks = (x.shape[1] - c) // d
            originals = x[:, :c]
            counts["NaN in an original"] += int(torch.isnan(originals).sum())
            counts["NaN in a copy"] += int(torch.isnan(x[:, c:]).sum())
            single = torch.ones(c, dtype=torch.bool)
            single[idx] = False
            rows = [list(idx)] + [[c + k * d + j for j in range(d)] for k in range(blocks)]
            raw = [x[:, r] for r in rows]              # original and copies of the copied channels
            values = [hardening._scrub(v) for v in raw]
            nans = [torch.isnan(v) for v in raw]
            vsums = [sums[:, r] for r in rows]
            # Per pair: made of the same terms (then equal in any engine that computes rows alike)?
            structural = {(i, j): self._structural(name, rows[i], rows[j])
                          for i in range(len(rows)) for j in range(i + 1, len(rows))}
            for (i, j), same in structural.items():
                odd = same & (bits(values[i]) != bits(values[j]))
                if odd.any():
                    self.notes.append(f"{name}: {int(odd.sum())} elements of rows {i} and {j} are made of the "
                                      "same terms but differ in PyTorch (its GEMM sums rows in different orders)")
            if self.mode == "edac":
                self._edac(name, layer, counts, x, single, values, nans, vsums, sums[:, :c])
            elif self.mode == "dup-only":
                a, b = values
                counts["single: NaN scrubbed"] += int(torch.isnan(originals[:, single]).sum())
                counts["single: passes"] += int(torch.isfinite(originals[:, single]).sum())
                counts["pair: a == b"] += int((a == b).sum())
                counts["pair: a < b (a kept)"] += int((a < b).sum())
                counts["pair: b < a (copy kept)"] += int((b < a).sum())
                counts["pair: copy -Inf wins"] += int(((b == -math.inf) & (a != -math.inf)).sum())
                counts["pair: copy +Inf loses"] += int(((b == math.inf) & (a != math.inf)).sum())
            else:
                counts["single: passes"] += int(torch.isfinite(originals[:, single]).sum())
                self._tmr(name, counts, values, vsums, structural, output[:, idx])
        return hook

    def _edac(self, name, layer, counts, x, single, values, nans, vsums, sums):
        lower, upper = _per_channel(layer.lower, x), _per_channel(layer.upper, x)
        c = layer.channels
        counts["+Inf value"] += int((x == math.inf).sum())
        counts["-Inf value"] += int((x == -math.inf).sum())
        a_all = hardening._scrub(x[:, :c])
        inside = layer._inside(a_all, lower, upper)
        sa = a_all[:, single]
        counts["single: inside"] += int(inside[:, single].sum())
        counts["single: outside, finite"] += int((~inside[:, single] & torch.isfinite(sa)).sum())
        counts["single: outside, Inf"] += int(torch.isinf(sa).sum())
        idx = self.copied[name]
        a, b = values
        lo_d, hi_d = lower[:, idx], upper[:, idx]
        a_in, b_in = layer._inside(a, lo_d, hi_d), layer._inside(b, lo_d, hi_d)
        eq = a == b
        counts["pair: a == b, inside"] += int((a_in & b_in & eq).sum())
        counts["pair: a != b, both inside"] += int((a_in & b_in & ~eq).sum())
        counts["pair: only a inside"] += int((a_in & ~b_in).sum())
        counts["pair: only b inside"] += int((~a_in & b_in).sum())
        counts["pair: neither inside, a == b"] += int((~a_in & ~b_in & eq).sum())
        counts["pair: neither inside, a != b"] += int((~a_in & ~b_in & ~eq).sum())
        per_channel = len(x) * x[0, 0].numel()
        counts["bound: lower NaN"] += int(torch.isnan(layer.lower).sum()) * per_channel
        counts["bound: upper -Inf"] += int((layer.upper == -math.inf).sum()) * per_channel
        counts["bound: lower > upper"] += int((layer.lower > layer.upper).sum()) * per_channel
        inf_bound = ((x[:, :c] == math.inf) & (upper == math.inf)) | ((x[:, :c] == -math.inf) & (lower == -math.inf))
        inf_bound_b = ((b == math.inf) & (hi_d == math.inf)) | ((b == -math.inf) & (lo_d == -math.inf))
        counts["bound: Inf value, Inf bound"] += int(inf_bound.sum() + inf_bound_b.sum())
        # Interval decisions: every computed finite value keeps its distance from the finite bounds of its
        # channel (a scrubbed NaN is an exact 0 everywhere and needs none).
        checks = [(a_all, torch.isnan(x[:, :c]), sums, lower, upper), (b, nans[1], vsums[1], lo_d, hi_d)]
        for v, nan, vsum, lo, hi in checks:
            v = v.double()
            for bound in (lo.double().expand_as(v), hi.double().expand_as(v)):
                tol = REL_TOL * torch.maximum(v.abs(), bound.abs()) + SUM_TOL * vsum
                near = torch.isfinite(v) & ~nan & torch.isfinite(bound) & ((v - bound).abs() <= tol)
                self.problem(name, "a value within rounding distance of an interval bound", near)

    def _tmr(self, name, counts, values, vsums, structural, voted):
        a, b, cc = values
        counts["Inf in a copy"] += int(torch.isinf(b).sum() + torch.isinf(cc).sum())
        ba, bb, bc = bits(a), bits(b), bits(cc)
        counts["vote: all agree"] += int(((ba == bb) & (ba == bc)).sum())
        counts["vote: a differs (b == c)"] += int(((bb == bc) & (ba != bb)).sum())
        counts["vote: b differs (a == c)"] += int(((ba == bc) & (ba != bb)).sum())
        counts["vote: c differs (a == b)"] += int(((ba == bb) & (ba != bc)).sum())
        counts["vote: all differ (min)"] += int(((ba != bb) & (ba != bc) & (bb != bc)).sum())
        # Bit-equality decisions. A pair is settled when it is equal in PyTorch and made of the same terms, or
        # when it is farther apart than rounding; otherwise it is ambiguous and every reading of it must give
        # the same vote, to within the ambiguous gaps (a misread tie moves the vote along them only).
        pairs = [(0, 1), (0, 2), (1, 2)]
        ambiguous, slack = [], torch.zeros_like(a, dtype=torch.float64)
        for i, j in pairs:
            x, y = values[i].double(), values[j].double()
            finite = torch.isfinite(x) & torch.isfinite(y)
            tol = REL_TOL * torch.maximum(x.abs(), y.abs()) + SUM_TOL * (vsums[i] + vsums[j])
            settled_equal = structural[(i, j)] & (bits(values[i]) == bits(values[j]))
            amb = finite & ~settled_equal & ((x - y).abs() <= tol)
            ambiguous.append(amb)
            slack = slack + torch.where(amb, tol, torch.zeros_like(tol))
        equal = [bits(values[i]) == bits(values[j]) for i, j in pairs]
        for combo in range(8):
            eq = [torch.where(ambiguous[p], torch.tensor(bool(combo >> p & 1)), equal[p]) for p in range(3)]
            vote = torch.where(eq[0] | eq[1], a, torch.where(eq[2], b, torch.minimum(torch.minimum(a, b), cc)))
            diff = torch.where(vote == voted, torch.zeros_like(slack), (vote.double() - voted.double()).abs())
            self.problem(name, f"a TMR vote depends on a rounding-level tie (reading {combo})",
                         torch.isnan(diff) | (diff > slack))


def _per_channel(values, like):
    return values.view(1, -1, *([1] * (like.dim() - 2)))


# ---- writing ----

def write_hardened(out, name, arch, module, x, provenance):
    """As generate_fixtures.write_fixture: run, save with fixture_input / fixture_output, read back."""
    module.eval()
    with torch.no_grad():
        y = module(x)
    model_file.save_model(
        out / f"{name}.h5", module, arch, "synthetic", cifar.CIFAR10_CLASSES,
        cifar.NORMALIZATION["cifar10"]["mean"], cifar.NORMALIZATION["cifar10"]["std"], provenance,
        extra_datasets={"fixture_input": x.numpy(), "fixture_output": y.numpy()})
    loaded, metadata = model_file.load_model(out / f"{name}.h5")
    with torch.no_grad():
        again = loaded(torch.from_numpy(metadata["extra"]["fixture_input"]))
    expected = torch.from_numpy(metadata["extra"]["fixture_output"])
    # torch.equal is False for NaN; the logits hold none (asserted), but -Inf compares equal to itself.
    assert torch.equal(again, expected), name
    return y


def build(fixtures, name, mode, variant):
    """The hardened, faulty module of one fixture and its monitor, after one monitored forward pass."""
    seed = zlib.crc32(name.encode()) + variant
    gen = torch.Generator().manual_seed(seed)
    plain, arch, x = load_plain(fixtures)
    bounds = intervals(plain, arch, profiling_images(x))
    state = OrderedDict((k, v.clone()) for k, v in plain.state_dict().items() if not k.endswith("num_batches_tracked"))
    hardened_arch, state, copied = harden(arch, state, mode, bounds, gen)
    faults = Faults(hardened_arch, state, copied, mode, gen, active_inputs(plain, arch, x))
    apply_plan(faults, PLANS[mode])
    module = fm.build_module(hardened_arch)
    module.load_state_dict(state)
    module.eval()
    monitor = Monitor(module, hardened_arch, copied, mode)
    with torch.no_grad():
        y = module(x)
    monitor.remove()
    allowed = (y == -math.inf) if mode == "dup-only" else torch.zeros_like(y, dtype=torch.bool)
    monitor.problem("logits", "non-finite logits", ~torch.isfinite(y) & ~allowed)
    provenance = {"created_by": "ftcnn test/generate_hardened_fixtures.py",
                  "source": f"test/fixtures/model_small.h5 and its fixture_input, hardened in Python ({mode}, "
                            f"ratio {RATIO}), faults placed; generator seed crc32('{name}') + {variant}",
                  "torch": torch.__version__,
                  "hardening": {"mode": mode, "ratio": RATIO, "interval_margin": WIDEN,
                                "copied": copied},
                  "faults": faults.log}
    return module, hardened_arch, x, monitor, faults, provenance


def make_fixture(out, fixtures, name, mode):
    """Tries generator seeds crc32(name) + 0, 1, ... until the monitor finds every row and no fragile
    decision (a fault that moves downstream activations can put one next to an interval bound)."""
    for variant in range(MAX_VARIANTS):
        module, arch, x, monitor, faults, provenance = build(fixtures, name, mode, variant)
        missing = [row for row in ROWS[mode] if sum(monitor.counts[n][row] for n in monitor.counts) == 0]
        problems = [f"row '{row}' never occurs" for row in missing] + monitor.problems
        if not problems:
            y = write_hardened(out, name, arch, module, x, provenance)
            return monitor, y, faults, variant
        print(f"{name}: seed variant {variant} rejected: {'; '.join(problems)}")
    sys.exit(f"generate_hardened_fixtures.py: {name}: no usable seed in {MAX_VARIANTS} variants")


def print_coverage(monitor, mode):
    """The coverage table: elements per row (of docs/hardening.md's tables) and layer."""
    layers = list(monitor.counts)
    width = max(len(r) for r in ROWS[mode]) + 2
    print(" " * width + "".join(f"{n:>14s}" for n in layers) + f"{'total':>10s}")
    for row in ROWS[mode]:
        values = [monitor.counts[n][row] for n in layers]
        print(f"{row:<{width}s}" + "".join(f"{v:>14d}" for v in values) + f"{sum(values):>10d}")


def main():
    out = start_generator(__doc__)

    for name, mode in FIXTURES.items():
        monitor, y, faults, variant = make_fixture(out, HERE / "fixtures", name, mode)
        print(f"\n{name}.h5 ({mode}, seed variant {variant}): logits {list(y.shape)}, "
              f"{(out / f'{name}.h5').stat().st_size / 1024:.0f} KiB")
        for line in faults.log:
            print(f"  fault: {line}")
        for line in monitor.notes:
            print(f"  note: {line}")
        print_coverage(monitor, mode)
    total = sum((out / f"{name}.h5").stat().st_size for name in FIXTURES)
    print(f"\n{len(FIXTURES)} fixtures, {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
