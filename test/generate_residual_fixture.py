#!/usr/bin/python3
"""Writes test/fixtures/residual_small.h5: a small residual CNN as a format version 2 (graph) model file,
with its forward and channel-vulnerability references (docs/model_format.md, docs/vulnerability.md).

  PYTHONPATH=python test/generate_residual_fixture.py [--out test/fixtures]

The model (3x32x32 inputs, CIFAR-sized so that campaigns run it on CIFAR images, 10 classes) is written as a plain PyTorch module (`Reference`, independent of
ftcnn.models) with seeded random weights and randomised eval-mode BatchNorm statistics:
  stem      conv3x3(3->8, pad 1) - BN - ReLU
  layer1    conv3x3(8->8) - BN - ReLU - conv3x3(8->8) - BN, add the block input (identity), ReLU
  layer2    conv3x3(8->16, stride 2) - BN - ReLU - conv3x3(16->16) - BN, add the shortcut
            conv1x1(8->16, stride 2) - BN, ReLU
  concat    layer2's output and ReLU(shortcut BN): 32 channels at 16x16
  head      avgpool2d(8, 8) - flatten - linear(128->10)
Convolutions have no bias, the linear layer has one. The stem's ReLU feeds two layers (layer1.conv1 and
layer1.add), the shortcut's BN two more (layer2.add and layer2.shortcut_relu), so gradients accumulate
there; `add` and `concat` are the format's graph layers.

The file is an ftcnn model file (the loader reads it as a model) plus these root datasets:
  fixture_input         float32 [6, 3, 32, 32] inputs (already preprocessed)
  fixture_output        float32 [6, 10] PyTorch's float32 logits (eval mode), as generate_fixtures.py writes
  vuln_input            = fixture_input
  vuln_logits           = fixture_output
  vuln_batch_size       [1] = 4, the batch size of the `batch` method's reference (the last batch is partial)
  vuln_exact/<layer>    expected Eq. (1) scores of the exact method, one per conv2d / linear layer
  vuln_batch/<layer>    expected scores of SentinelNN's batch method
with the scores computed exactly as test/generate_vulnerability_fixture.py does (PyTorch autograd in
float64 on the reference module). The generator checks that ftcnn.models runs the file to the reference
logits within 1e-6 and that the file reads back unchanged.
"""

import torch
import torch.nn.functional as F
from torch import nn

from ftcnn import model_file
from ftcnn import models as fm
from generate_fixtures import start_generator  # test/: the script's own folder
from generate_vulnerability_fixture import CLASSES, make_case

NAME = "residual_small"
COUNT, BATCH = 6, 4


class Reference(nn.Module):
    """The residual model in plain PyTorch; its state_dict keys are the architecture's layer names."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.layer1 = nn.Module()
        self.layer1.conv1 = nn.Conv2d(8, 8, 3, 1, 1, bias=False)
        self.layer1.bn1 = nn.BatchNorm2d(8)
        self.layer1.conv2 = nn.Conv2d(8, 8, 3, 1, 1, bias=False)
        self.layer1.bn2 = nn.BatchNorm2d(8)
        self.layer2 = nn.Module()
        self.layer2.conv1 = nn.Conv2d(8, 16, 3, 2, 1, bias=False)
        self.layer2.bn1 = nn.BatchNorm2d(16)
        self.layer2.conv2 = nn.Conv2d(16, 16, 3, 1, 1, bias=False)
        self.layer2.bn2 = nn.BatchNorm2d(16)
        self.layer2.shortcut = nn.Sequential(nn.Conv2d(8, 16, 1, 2, 0, bias=False), nn.BatchNorm2d(16))
        self.fc = nn.Linear(128, CLASSES)

    def forward(self, x):
        x = self.stem(x)
        b = self.layer1
        x = F.relu(b.bn2(b.conv2(F.relu(b.bn1(b.conv1(x))))) + x)
        b = self.layer2
        shortcut = b.shortcut(x)
        x = F.relu(b.bn2(b.conv2(F.relu(b.bn1(b.conv1(x))))) + shortcut)
        x = torch.cat([x, F.relu(shortcut)], 1)
        return self.fc(torch.flatten(F.avg_pool2d(x, 8, 8), 1))


def architecture():
    """The same model as format version 2 architecture JSON (explicit `inputs` on every layer)."""
    layers = [fm.conv2d("stem.0", 3, 8, 3, 1, 1, bias=False, inputs="input"),
              fm.batchnorm2d("stem.1", 8, inputs="stem.0"),
              fm.simple("stem.2", "relu", inputs="stem.1"),
              fm.conv2d("layer1.conv1", 8, 8, 3, 1, 1, bias=False, inputs="stem.2"),
              fm.batchnorm2d("layer1.bn1", 8, inputs="layer1.conv1"),
              fm.simple("layer1.relu1", "relu", inputs="layer1.bn1"),
              fm.conv2d("layer1.conv2", 8, 8, 3, 1, 1, bias=False, inputs="layer1.relu1"),
              fm.batchnorm2d("layer1.bn2", 8, inputs="layer1.conv2"),
              fm.add("layer1.add", ["layer1.bn2", "stem.2"]),
              fm.simple("layer1.relu2", "relu", inputs="layer1.add"),
              fm.conv2d("layer2.conv1", 8, 16, 3, 2, 1, bias=False, inputs="layer1.relu2"),
              fm.batchnorm2d("layer2.bn1", 16, inputs="layer2.conv1"),
              fm.simple("layer2.relu1", "relu", inputs="layer2.bn1"),
              fm.conv2d("layer2.conv2", 16, 16, 3, 1, 1, bias=False, inputs="layer2.relu1"),
              fm.batchnorm2d("layer2.bn2", 16, inputs="layer2.conv2"),
              fm.conv2d("layer2.shortcut.0", 8, 16, 1, 2, 0, bias=False, inputs="layer1.relu2"),
              fm.batchnorm2d("layer2.shortcut.1", 16, inputs="layer2.shortcut.0"),
              fm.add("layer2.add", ["layer2.bn2", "layer2.shortcut.1"]),
              fm.simple("layer2.relu2", "relu", inputs="layer2.add"),
              fm.simple("layer2.shortcut_relu", "relu", inputs="layer2.shortcut.1"),
              fm.concat("concat", ["layer2.relu2", "layer2.shortcut_relu"]),
              fm.pool2d("avgpool", "avgpool2d", 8, 8, inputs="concat"),
              fm.simple("flatten", "flatten", inputs="avgpool"),
              fm.linear("fc", 128, CLASSES, inputs="flatten")]
    return {"arch": NAME, "input": [3, 32, 32], "num_classes": CLASSES, "layers": layers}


def main():
    out = start_generator(__doc__)
    arch = architecture()
    path = make_case(out, NAME, arch, COUNT, BATCH, module=Reference(), cifar10=True,
                     created_by="ftcnn test/generate_residual_fixture.py")
    # Read back through the generic loader: ftcnn.models' graph runner must give the reference logits.
    loaded, metadata = model_file.load_model(path)
    assert metadata["architecture"] == fm.with_inputs(arch)
    with torch.no_grad():
        again = loaded(torch.from_numpy(metadata["extra"]["fixture_input"]))
    expected = torch.from_numpy(metadata["extra"]["fixture_output"])
    difference = float((again - expected).abs().max())
    assert difference <= 1e-6, difference
    print(f"{path.name}: max |ftcnn.models - reference| {difference:.1e}")


if __name__ == "__main__":
    main()
