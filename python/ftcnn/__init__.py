"""ftcnn's Python side: the PyTorch twins of the engine's architectures and the tools around its model files.

  cifar, cifar_binary   CIFAR JPEG packs and the official binary files the engine reads (numpy, PIL)
  models, hardening     architecture JSON and the PyTorch modules built from it, hardened layers included
  model_file            reads and writes ftcnn model files (docs/model_format.md)
  export, train         command lines: python3 -m ftcnn.export ..., python3 -m ftcnn.train ...
  trace, verify         a PyTorch module as an ftcnn architecture (torch.fx); an export checked through ftcnn

Put <repo>/python on PYTHONPATH. Importing the package imports nothing else; only the modules that need
PyTorch (models, hardening, model_file, export, train) import it.
"""
