"""ftcnn in Python: the engine's commands and forward pass in this process, the PyTorch twins of its
architectures, and the tools around its model files (docs/python.md).

  commands              every command as a function: ftcnn.eval, campaign, replay, merge, vuln, profile,
                        harden, prune, bench, info (run by the compiled module ftcnn._core)
  model                 ftcnn.load_model(path): forward passes on numpy batches
  errors                the commands' errors as exceptions (ftcnn.Error, ftcnn.UsageError, ...)

  cifar, cifar_binary   CIFAR JPEG packs and the official binary files the engine reads (numpy, PIL)
  models, hardening     architecture JSON and the PyTorch modules built from it, hardened layers included
  model_file            reads and writes ftcnn model files (docs/model_format.md)
  export, train         command lines: python3 -m ftcnn.export ..., python3 -m ftcnn.train ...
  trace, verify         a PyTorch module as an ftcnn architecture (torch.fx); an export checked through ftcnn

`pip install .` installs the package with its compiled module (and the ftcnn command); from a build tree,
put <build>/python on PYTHONPATH (<repo>/python serves the pure-Python modules alone). Importing the package
imports neither numpy nor PyTorch nor the compiled module: the commands load it when first called, and only
the modules that need PyTorch (models, hardening, model_file, export, train) import it.
"""

from .commands import (bench, bench_variants, campaign, devices, eval, harden, info, merge, profile, prune,
                       read_campaign, replay, run, vuln, CampaignResult)
from .errors import Error, InternalError, Interrupted, UsageError


def load_model(path, arch=""):
    """A model file in the engine, for forward passes on numpy batches (ftcnn.model.Model)."""
    from .model import load_model as load
    return load(path, arch)
