#!/usr/bin/python3
"""Writes the layer and model fixtures in test/fixtures/ (see test/fixtures/README.md).

  PYTHONPATH=python test/generate_fixtures.py [--out test/fixtures]

Each fixture is an ftcnn model file holding one layer (or the whole `small` model) plus two float32 root
datasets: `fixture_input` (batch first) and `fixture_output`, PyTorch's float32 output for it in eval mode.
Every case seeds torch from its own name, so adding or changing a case leaves the others' bytes alone.
"""

import argparse
import zlib
from pathlib import Path

import torch

from ftcnn import cifar, model_file
from ftcnn import models as fm

# (file stem, layer description, per-item input shape, batch, input kind)
CASES = [
    ("conv2d_3x3_s1_p1_bias", fm.conv2d("features.0", 5, 7, 3, 1, 1, bias=True), [5, 13, 11], 3, "normal"),
    ("conv2d_5x5_s2_p2_nobias", fm.conv2d("features.0", 4, 6, 5, 2, 2, bias=False), [4, 15, 17], 2, "normal"),
    ("conv2d_11x11_s4_p5", fm.conv2d("features.0", 3, 5, 11, 4, 5, bias=True), [3, 32, 32], 2, "normal"),
    ("conv2d_1x1_s1_p0", fm.conv2d("features.0", 6, 3, 1, 1, 0, bias=True), [6, 7, 9], 2, "normal"),
    ("conv2d_3x3_s2_p0", fm.conv2d("features.0", 3, 5, 3, 2, 0, bias=True), [3, 9, 14], 2, "normal"),
    ("conv2d_3x5_s2x1_p1x2", fm.conv2d("features.0", 3, 5, [3, 5], [2, 1], [1, 2], bias=True), [3, 11, 13], 2,
     "normal"),
    # Grouped (2 groups of 3 -> 2 channels) and depthwise (groups = channels, MobileNet's 3x3 stride 2).
    ("conv2d_groups2", fm.conv2d("features.0", 6, 4, 3, 1, 1, bias=True, groups=2), [6, 9, 8], 2, "normal"),
    ("conv2d_depthwise_s2", fm.conv2d("features.0", 8, 8, 3, 2, 1, bias=False, groups=8), [8, 11, 10], 2,
     "normal"),
    ("linear_bias", fm.linear("classifier.0", 37, 19, bias=True), [37], 5, "normal"),
    ("linear_nobias", fm.linear("classifier.0", 64, 10, bias=False), [64], 3, "normal"),
    ("batchnorm2d_eps1e-5", fm.batchnorm2d("features.0", 6, 1e-5), [6, 7, 5], 3, "normal"),
    ("batchnorm2d_eps1e-3", fm.batchnorm2d("features.0", 6, 1e-3), [6, 7, 5], 3, "normal"),
    ("relu_mixed", fm.simple("features.0", "relu"), [5, 7, 3], 3, "with_zeros"),
    # Values around 0 and 6, exact zeros and sixes: both clamps and both ends of the pass-through range.
    ("relu6_mixed", fm.simple("features.0", "relu6"), [5, 7, 3], 3, "around_six"),
    ("leaky_relu_0.2", fm.leaky_relu("features.0", 0.2), [5, 7, 3], 3, "with_zeros"),
    # 9 rows: floor mode drops the last row.
    ("maxpool2d_2x2_s2", fm.pool2d("features.0", "maxpool2d", 2, 2), [3, 9, 10], 2, "normal"),
    # All-negative input: a padding treated as 0 instead of -inf would win the edge windows.
    ("maxpool2d_3x3_s2_p1", fm.pool2d("features.0", "maxpool2d", 3, 2, 1), [3, 11, 9], 2, "negative"),
    ("avgpool2d_2x2_s2", fm.pool2d("features.0", "avgpool2d", 2, 2), [3, 9, 10], 2, "normal"),
    # count_include_pad: edge windows divide by 9 although they cover fewer inputs.
    ("avgpool2d_3x3_s2_p1", fm.pool2d("features.0", "avgpool2d", 3, 2, 1), [3, 11, 9], 2, "normal"),
    # 7 x 5: PyTorch divides the plane's sum by 7 and then by 5, not by 35 (not the same float).
    ("global_avgpool_7x5", fm.simple("features.0", "global_avgpool"), [4, 7, 5], 3, "normal"),
    ("global_avgpool_8x8", fm.simple("features.0", "global_avgpool"), [6, 8, 8], 2, "normal"),
    ("flatten_4x3x5", fm.simple("flatten", "flatten"), [4, 3, 5], 3, "normal"),
    ("dropout_identity", fm.simple("classifier.0", "dropout"), [3, 5, 7], 3, "normal"),
]


def start_generator(description):
    """Every fixture generator's start: parses `--out` (default test/fixtures/), creates it, and makes torch
    deterministic on one thread (one summation order, whatever the machine). Returns the folder."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "fixtures"))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    return out


def seed_for(name):
    torch.manual_seed(zlib.crc32(name.encode()))


def make_input(shape, batch, kind):
    x = torch.randn(batch, *shape)
    if kind == "with_zeros":
        x[x.abs() < 0.3] = 0.0  # exact zeros among positives and negatives
    elif kind == "around_six":
        x = x * 5.0
        x[x.abs() < 0.5] = 0.0
        x[(x - 6.0).abs() < 0.5] = 6.0
    elif kind == "negative":
        x = -1.0 - x.abs()
    return x


def randomise_batchnorm(module):
    """BatchNorm with non-trivial affine parameters and running statistics (fresh ones are 1/0/0/1)."""
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.5)
                m.running_mean.normal_(0.0, 0.5)
                m.running_var.uniform_(0.5, 2.0)


def randomise_biases(module):
    """Conv and linear biases start near zero; make them large enough that a dropped bias shows."""
    for m in module.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and m.bias is not None:
            with torch.no_grad():
                m.bias.normal_(0.0, 0.5)


def round_to_few_bits(module, bits=2):
    """Rounds every float tensor to integer multiples of a power of two, at most 2**bits of them in magnitude.

    Only for the whole-model fixture: its 357k parameters would take 1.4 MB as arbitrary floats, while
    values on a coarse power-of-two grid shrink about five-fold under shuffle + gzip."""
    with torch.no_grad():
        for tensor in module.state_dict().values():
            if tensor.is_floating_point():
                step = 2.0 ** (torch.ceil(torch.log2(tensor.abs().max())).item() - bits)
                tensor.copy_(torch.round(tensor / step) * step)


def blob_images(count):
    """uint8 [count, 32, 32, 3] images of smooth colour blobs plus a little noise.

    Pixel noise alone averages out in the pooling layers and gives every image nearly the same logits;
    blobs give the whole-model fixture distinct outputs per image."""
    coarse = torch.rand(count, 3, 4, 4) * 255
    smooth = torch.nn.functional.interpolate(coarse, size=(32, 32), mode="bilinear", align_corners=False)
    noisy = smooth + torch.randn(count, 3, 32, 32) * 8
    return noisy.clamp(0, 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def write_fixture(out, name, arch, module, x):
    module.eval()
    with torch.no_grad():
        y = module(x)
    classes = cifar.CIFAR10_CLASSES if arch["num_classes"] == 10 else []
    model_file.save_model(
        out / f"{name}.h5", module, arch, "synthetic", classes,
        cifar.NORMALIZATION["cifar10"]["mean"], cifar.NORMALIZATION["cifar10"]["std"],
        {"created_by": "ftcnn test/generate_fixtures.py", "source": f"random, torch.manual_seed(crc32('{name}'))",
         "torch": torch.__version__},
        extra_datasets={"fixture_input": x.numpy(), "fixture_output": y.numpy()})
    # Read back: the file must reproduce its own output through the generic loader.
    loaded, metadata = model_file.load_model(out / f"{name}.h5")
    with torch.no_grad():
        again = loaded(torch.from_numpy(metadata["extra"]["fixture_input"]))
    assert torch.equal(again, torch.from_numpy(metadata["extra"]["fixture_output"])), name
    return list(x.shape), list(y.shape)


def main():
    out = start_generator(__doc__)

    for name, layer, shape, batch, kind in CASES:
        seed_for(name)
        arch = {"arch": "fixture", "input": shape, "num_classes": 0, "layers": [layer]}
        module = fm.build_module(arch)
        randomise_batchnorm(module)
        randomise_biases(module)
        shapes = write_fixture(out, name, arch, module, make_input(shape, batch, kind))
        print(f"{name}.h5: {shapes[0]} -> {shapes[1]}")

    name = "model_small"
    seed_for(name)
    arch = fm.architecture("small")
    module = fm.build_module(arch)
    randomise_batchnorm(module)
    round_to_few_bits(module)
    # Contiguous NCHW, as the file stores it: preprocess gives a channels-last view, on which PyTorch may pick
    # another convolution kernel than on the stored copy, and the read-back below would differ in the last bit.
    x = model_file.preprocess(blob_images(4), {"scale": model_file.PIXEL_SCALE,
                                               **cifar.NORMALIZATION["cifar10"]}).contiguous()
    shapes = write_fixture(out, name, arch, module, x)
    print(f"{name}.h5: {shapes[0]} -> {shapes[1]}")
    total = sum(p.stat().st_size for p in out.glob("*.h5"))
    print(f"{len(CASES) + 1} fixtures, {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
