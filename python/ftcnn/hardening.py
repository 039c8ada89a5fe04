"""The correction layers of a hardened ftcnn model as PyTorch modules: `edac` (modes edac and dup-only) and
`tmr_vote`, with the semantics of docs/hardening.md, element for element (kernels/edac_rules.hpp is the C++
side). They let PyTorch run a hardened model file: an external check of the engine's layers, and the
PyTorch side of the hardened benchmarks.

The input holds the protected layer's C channels (or features) first and then the copies: the copy of
`duplicated[k]` is channel C + k; the copies of `triplicated[k]` are channels C + k and C + D + k.
"""

import torch
import torch.nn.functional as F
from torch import nn


def _scrub(x):
    """NaN becomes 0 (the paper's NaN scrub); everything else stays, Inf included."""
    return torch.where(torch.isnan(x), torch.zeros_like(x), x)


def _min(a, b):
    """The smaller of two non-NaN values; a tie keeps `a` (so +0 and -0 keep the first), as edac_min."""
    return torch.where(b < a, b, a)


def _per_channel(values, like):
    """A [C] tensor shaped to broadcast over [N, C, ...]."""
    return values.view(1, -1, *([1] * (like.dim() - 2)))


class Edac(nn.Module):
    """`edac` layer: in = out + len(duplicated) channels, out channels. mode "edac" has per-channel
    detection intervals (buffers `lower`, `upper`, fault targets in ftcnn); mode "dup-only" has none."""

    def __init__(self, out_channels, duplicated, mode):
        super().__init__()
        if mode not in ("edac", "dup-only"):
            raise ValueError(f"edac mode '{mode}' is neither 'edac' nor 'dup-only'")
        self.channels, self.mode = out_channels, mode
        self.register_buffer("duplicated", torch.tensor(duplicated, dtype=torch.long), persistent=False)
        if mode == "edac":
            self.register_buffer("lower", torch.zeros(out_channels))
            self.register_buffer("upper", torch.zeros(out_channels))

    def _inside(self, v, lower, upper):
        # Finite and within the bounds; a NaN bound (or lower > upper) leaves nothing inside.
        return torch.isfinite(v) & (v >= lower) & (v <= upper)

    def forward(self, x):
        c, idx = self.channels, self.duplicated
        a = _scrub(x[:, :c])
        b = _scrub(x[:, c:])
        a_dup = a[:, idx]
        if self.mode == "dup-only":
            out = a.clone()
            out[:, idx] = torch.where(a_dup == b, a_dup, _min(a_dup, b))
            return out
        lower, upper = _per_channel(self.lower, x), _per_channel(self.upper, x)
        zero = torch.zeros((), dtype=x.dtype, device=x.device)
        out = torch.where(self._inside(a, lower, upper), a, zero)
        lo_dup, hi_dup = lower[:, idx], upper[:, idx]
        a_in, b_in = self._inside(a_dup, lo_dup, hi_dup), self._inside(b, lo_dup, hi_dup)
        both = torch.where(a_dup == b, a_dup, _min(a_dup, b))
        out[:, idx] = torch.where(a_in & b_in, both, torch.where(a_in, a_dup, torch.where(b_in, b, zero)))
        return out


class TmrVote(nn.Module):
    """`tmr_vote` layer: in = out + 2 len(triplicated) channels, out channels. After the NaN scrub, the value
    two copies agree on bit for bit, else the minimum of the three; other channels pass through scrubbed."""

    def __init__(self, out_channels, triplicated):
        super().__init__()
        self.channels = out_channels
        self.register_buffer("triplicated", torch.tensor(triplicated, dtype=torch.long), persistent=False)

    def forward(self, x):
        c, idx = self.channels, self.triplicated
        d = len(idx)
        out = _scrub(x[:, :c])
        a, b, cc = out[:, idx], _scrub(x[:, c:c + d]), _scrub(x[:, c + d:c + 2 * d])
        ba, bb, bc = (v.contiguous().view(torch.int32) for v in (a, b, cc))
        vote = torch.where((ba == bb) | (ba == bc), a, torch.where(bb == bc, b, _min(_min(a, b), cc)))
        out[:, idx] = vote
        return out


class GroupedCopiesConv2d(nn.Module):
    """A hardened grouped (or depthwise) `conv2d`: weight [C + m D, in / groups, kh, kw] (and bias), the C
    originals first, then the m copies of the D channels in `copied`, as nn.Conv2d's state_dict keys hold
    them. A copy of a channel must read its group's inputs, which only the whole grouped convolution does, so
    as in ftcnn (engine/layers/copy_rows.hpp, copy_rows_whole_layer) each copy set is a whole-layer run with
    the copies' rows in place of their originals', of which only the copied channels are kept; output
    [N, C + m D, H, W] in the order the correction layer reads."""

    def __init__(self, layer, originals, copied, copies_each):
        super().__init__()
        self.stride, self.padding = tuple(layer["stride"]), tuple(layer["padding"])
        self.groups, self.originals, self.copies_each = layer.get("groups", 1), originals, copies_each
        self.register_buffer("copied", torch.tensor(copied, dtype=torch.long), persistent=False)
        grown = originals + copies_each * len(copied)
        if grown != layer["out"]:
            raise ValueError(f"layer '{layer['name']}': {layer['out']} output channels, its correction layer reads "
                             f"{originals} + {copies_each} x {len(copied)} copies")
        # nn.Conv2d's initialisation (a model file's values replace it).
        self.weight = nn.Parameter(torch.empty(grown, layer["in"] // self.groups, *layer["kernel"]))
        nn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)
        self.bias = nn.Parameter(torch.zeros(grown)) if layer["bias"] else None

    def _run(self, x, rows):
        bias = self.bias[rows] if self.bias is not None else None
        return F.conv2d(x, self.weight[rows], bias, self.stride, self.padding, 1, self.groups)

    def forward(self, x):
        c, idx, d = self.originals, self.copied, len(self.copied)
        originals = torch.arange(c, device=x.device)
        outputs = [self._run(x, originals)]
        for j in range(self.copies_each):
            rows = originals.clone()
            rows[idx] = c + j * d + torch.arange(d, device=x.device)
            outputs.append(self._run(x, rows)[:, idx])
        return torch.cat(outputs, 1)
