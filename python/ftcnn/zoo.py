"""Networks users commonly bring that are not built-in architectures, as PyTorch factories for
`python3 -m ftcnn.export --module ftcnn.zoo:FACTORY` (docs/bring_your_own_model.md).

mobilenet_v2_cifar: the CIFAR variant of MobileNetV2 (Sandler et al. 2018) that CIFAR model collections use
(e.g. chenyaofo/pytorch-cifar-models): torchvision's MobileNetV2 with a stride-1 stem and a stride-1 second
stage, so a 32 x 32 image is halved three times (32 -> 16 -> 8 -> 4) instead of five. Depthwise 3x3
convolutions, ReLU6, inverted residual blocks, global average pooling; 2.24 M parameters at 10 classes.
"""

from torch import nn

# torchvision's table, rows (expansion t, channels c, blocks n, stride of the first block s), with the second
# row's stride 2 -> 1; the stem's stride is changed to 1 below.
MOBILENET_V2_CIFAR_SETTING = [[1, 16, 1, 1], [6, 24, 2, 1], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1],
                              [6, 160, 3, 2], [6, 320, 1, 1]]


def mobilenet_v2_cifar(num_classes=10, width_mult=1.0):
    """MobileNetV2 for 3 x 32 x 32 inputs (torchvision's module, so its state_dict names are torchvision's)."""
    import torchvision  # only this factory needs it

    net = torchvision.models.MobileNetV2(num_classes=num_classes, width_mult=width_mult,
                                         inverted_residual_setting=MOBILENET_V2_CIFAR_SETTING)
    stem = net.features[0][0]
    if not isinstance(stem, nn.Conv2d):
        raise RuntimeError("torchvision's MobileNetV2 no longer starts with a Conv2d; update ftcnn.zoo")
    stem.stride = (1, 1)
    return net
