"""The datasets --data reads (docs/datasets.md), end to end: torchvision's CIFAR python folders and generic
.npz / .h5 array files give ftcnn eval the accuracy (and the predictions) PyTorch gets on the same images.

Run by ctest (CMakeLists.txt) with PYTHONPATH=python and FTCNN_BINARY set; by hand:
  PYTHONPATH=python FTCNN_BINARY=build/ftcnn python3 -m pytest test/python/test_datasets.py
"""

import importlib.util
import json
import pickle
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from ftcnn import cifar_binary, datasets, model_file, verify

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "test" / "fixtures" / "datasets"
MODEL = ROOT / "data" / "default" / "small_cifar10.h5"
SLICE = ROOT / "data" / "default" / "cifar10-test-slice"


def _generator():
    spec = importlib.util.spec_from_file_location("generate_dataset_fixtures",
                                                  ROOT / "test" / "generate_dataset_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ftcnn_eval(model, data, *extra):
    run = subprocess.run([verify.find_binary(), "eval", "--model", str(model), "--data", str(data), "--device", "cpu",
                          "--json", *extra], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def torch_predictions(module, data, preprocessing, count=None):
    with torch.no_grad():
        return module.eval()(data.preprocess(preprocessing, 0, count)).argmax(1).numpy()


def test_the_committed_pickles_are_what_the_generator_writes(tmp_path):
    _generator().write_cifar_python(tmp_path)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert written and all((FIXTURES / p).read_bytes() == (tmp_path / p).read_bytes() for p in written)


def test_python2_style_pickles_load_in_real_python_as_in_the_reader():
    """The hand-assembled cPickle bytes are real pickles: pickle.load gives the arrays datasets.load gives."""
    for style in ("py2", "p2", "p4"):
        with open(FIXTURES / style / "cifar-10-batches-py" / "test_batch", "rb") as f:
            raw = pickle.load(f, encoding="bytes")
        data = {k.decode() if isinstance(k, bytes) else k: v for k, v in raw.items()}
        read = datasets.load(FIXTURES / style / "cifar-10-batches-py")
        assert np.array_equal(data["data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), read.images)
        assert list(read.labels) == list(data["labels"])
        assert np.array_equal(data["data"], _generator().pixels(0, len(read.labels)))


def test_the_python_reader_refuses_foreign_globals(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("ran",))
    (tmp_path / "batches.meta").write_bytes(pickle.dumps({"label_names": []}, protocol=2))
    (tmp_path / "test_batch").write_bytes(pickle.dumps({"data": Evil(), "labels": []}, protocol=2))
    # Protocol 2 names Python 3's builtins module __builtin__.
    with pytest.raises(ValueError, match="refusing the global __builtin__.print"):
        datasets.load(tmp_path)
    run = subprocess.run([verify.find_binary(), "eval", "--model", str(MODEL), "--data", str(tmp_path)],
                         capture_output=True, text=True)
    assert run.returncode == 1 and "refusing the global __builtin__.print" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("style", ["py2", "protocol2", "protocol4"])
def test_a_torchvision_cifar_folder_gives_the_binary_folders_and_pytorchs_accuracy(tmp_path, style):
    """Real CIFAR-10 test images (the bundled slice) as torchvision's cifar-10-batches-py: ftcnn eval on the
    folder, and on torchvision's root holding it, matches the binary folder and the PyTorch twin."""
    images, labels, names, _ = cifar_binary.read_split(SLICE, "test")
    folder = tmp_path / "root" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    entries = [("batch_label", b"testing batch 1 of 1"), ("labels", [int(v) for v in labels]),
               ("data", images.transpose(0, 3, 1, 2).reshape(len(images), -1)),
               ("filenames", [f"image_{i}.png".encode() for i in range(len(images))])]
    meta = [("num_cases_per_batch", len(images)), ("label_names", [n.encode() for n in names]), ("num_vis", 3072)]
    if style == "py2":
        (folder / "test_batch").write_bytes(_generator().Py2Pickler().dump(entries))
        (folder / "batches.meta").write_bytes(_generator().Py2Pickler().dump(meta))
    else:
        protocol = int(style[-1])
        (folder / "test_batch").write_bytes(pickle.dumps(dict(entries), protocol=protocol))
        (folder / "batches.meta").write_bytes(pickle.dumps(dict(meta), protocol=protocol))

    binary = ftcnn_eval(MODEL, SLICE, "--images", "200")
    from_python = ftcnn_eval(MODEL, folder, "--images", "200")
    from_root = ftcnn_eval(MODEL, tmp_path / "root", "--images", "200")
    assert from_python["images"] == 200 and from_python["dataset"] == "cifar10"
    assert from_python["correct"] == binary["correct"] == from_root["correct"]

    module, metadata = model_file.load_model(MODEL)
    data = datasets.load(folder)
    predicted = torch_predictions(module, data, metadata["preprocessing"], 200)
    assert int((predicted == data.labels[:200]).sum()) == from_python["correct"]
    assert from_python["correct"] > 100  # a trained model on real images, not chance


# A small CNN for 28 x 28 one-channel images, as a user would write it.
NETS = '''
import torch
from torch import nn


def make_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(16 * 6 * 6, 32), nn.ReLU(), nn.Linear(32, 10))
'''


def synthetic_digits(count, seed):
    """uint8 [N, 28, 28] images of 10 classes: class c is a bright bar at a class-dependent place and angle,
    over noise; int64 labels. Deterministic."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 10
    images = rng.integers(0, 90, size=(count, 28, 28)).astype(np.int64)
    for i, c in enumerate(labels):
        row = 3 + 2 * c + rng.integers(-1, 2)
        if c % 2:
            images[i, row:row + 3, 4:24] += 150
        else:
            images[i, 4:24, row:row + 3] += 150
    return np.clip(images, 0, 255).astype(np.uint8), labels


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    """The user's CNN briefly trained on synthetic digits and exported (traced, verified) with ftcnn.export."""
    folder = tmp_path_factory.mktemp("digits")
    (folder / "user_digit_nets.py").write_text(NETS)
    sys.path.insert(0, str(folder))
    try:
        import user_digit_nets
        net = user_digit_nets.make_net()
    finally:
        sys.path.remove(str(folder))
    train_x, train_y = synthetic_digits(600, 1)
    x = (torch.from_numpy(train_x).float()[:, None] / 255.0 - 0.5) / 0.25
    y = torch.from_numpy(train_y)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    torch.manual_seed(0)
    for _ in range(3):
        for batch in torch.randperm(len(x)).split(50):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(x[batch]), y[batch]).backward()
            optimizer.step()
    torch.save(net.state_dict(), folder / "weights.pt")
    test_x, test_y = synthetic_digits(200, 2)
    datasets.write_arrays(folder / "digits-test.npz", test_x, test_y)
    run = subprocess.run([sys.executable, "-m", "ftcnn.export", "--module", "user_digit_nets:make_net", "--in",
                          str(folder / "weights.pt"), "--input-shape", "1,28,28", "--mean", "0.5", "--std", "0.25",
                          "--class-names", ",".join(f"digit{i}" for i in range(10)), "--name", "digits",
                          "--data", str(folder / "digits-test.npz"), "--out", str(folder / "digits.h5")],
                         capture_output=True, text=True, cwd=folder,
                         env={**__import__("os").environ, "PYTHONPATH": f"{folder}:{ROOT / 'python'}"})
    assert run.returncode == 0, run.stderr
    return folder / "digits.h5", test_x, test_y


def write_variant(path, kind, images, labels):
    """The same test images in one of the layouts the docs name."""
    if kind == "uint8 NHW npz":
        np.savez(path, images=images, labels=labels.astype(np.uint8))
    elif kind == "uint8 NHWC compressed npz":
        np.savez_compressed(path, x_test=images[..., None], y_test=labels.astype(np.int32),
                            class_names=np.array([f"digit{i}" for i in range(10)]))
    elif kind == "float32 NCHW npz":
        np.savez(path, x_test=images[:, None].astype(np.float32) / 255.0, y_test=labels)
    elif kind == "uint8 NHWC h5":
        with h5py.File(path, "w") as f:
            f.create_dataset("x_test", data=images[..., None], compression="gzip")
            f.create_dataset("y_test", data=labels.astype(np.int16))
            f.attrs["num_classes"] = 10
    else:  # float32 NCHW h5
        with h5py.File(path, "w") as f:
            f.create_dataset("images", data=images[:, None].astype(np.float32) / 255.0)
            f.create_dataset("labels", data=labels)


@pytest.mark.parametrize("kind, suffix", [("uint8 NHW npz", ".npz"), ("uint8 NHWC compressed npz", ".npz"),
                                          ("float32 NCHW npz", ".npz"), ("uint8 NHWC h5", ".h5"),
                                          ("float32 NCHW h5", ".h5")])
def test_an_array_file_of_28x28_images_gives_pytorchs_accuracy_and_predictions(digits_model, tmp_path, kind,
                                                                                suffix):
    model, images, labels = digits_model
    path = tmp_path / f"digits{suffix}"
    write_variant(path, kind, images, labels)
    logits = tmp_path / "logits.h5"
    result = ftcnn_eval(model, path, "--logits", str(logits))
    assert result["images"] == len(images)

    module, metadata = model_file.load_model(model)
    data = datasets.load(path)
    assert data.scaled == kind.startswith("float32") and data.item == [1, 28, 28]
    expected = torch_predictions(module, data, metadata["preprocessing"])
    with h5py.File(logits, "r") as f:
        got = f["logits"][...].argmax(1)
    assert np.array_equal(got, expected)
    assert result["correct"] == int((expected == labels).sum())
    assert result["accuracy"] > 0.5  # the patterns were learned: the comparison is not between two guesses


def test_train_reads_the_same_inputs(tmp_path):
    """ftcnn.train takes --data: a CIFAR python folder trains (one tiny epoch) into a model ftcnn evaluates."""
    out = tmp_path / "small.h5"
    run = subprocess.run([sys.executable, "-m", "ftcnn.train", "--arch", "small", "--data",
                          str(FIXTURES / "py2" / "cifar-10-batches-py"), "--epochs", "1", "--batch", "4",
                          "--threads", "1", "--out", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "5 training images" in run.stdout
    assert ftcnn_eval(out, FIXTURES / "py2" / "cifar-10-batches-py")["images"] == 2


def _build_twice(blob):
    """The pickle `blob` with its first numpy array BUILT a second time with the same state: a crafted file
    in which the array's shape would be given twice over one array's bytes."""
    import pickletools
    ops = list(pickletools.genops(blob))
    # _reconstruct(ndarray, (0,), b'b'): the one REDUCE whose arguments are a TUPLE3 (a memo PUT between).
    puts = ("BINPUT", "LONG_BINPUT", "MEMOIZE")
    reduce_at = next(i for i, (op, _, _) in enumerate(ops) if op.name == "REDUCE" and (
        ops[i - 1][0].name == "TUPLE3" or (ops[i - 1][0].name in puts and ops[i - 2][0].name == "TUPLE3")))
    put_op, memo, put_pos = ops[reduce_at + 1]
    assert put_op.name in ("BINPUT", "LONG_BINPUT"), put_op.name
    state_start = ops[reduce_at + 2][2]
    # The state tuple builds its dtype first (BUILD of the dtype), then the array's BUILD.
    build_pos = [pos for op, _, pos in ops[reduce_at:] if op.name == "BUILD"][1]
    get = b"h" + bytes([memo]) if memo < 256 else b"j" + memo.to_bytes(4, "little")
    # POP: the array stays on the stack after BUILD, and the dict takes the first one
    return blob[:build_pos + 1] + get + blob[state_start:build_pos + 1] + b"0" + blob[build_pos + 1:]


def test_an_array_built_twice_is_refused_not_read_past_its_bytes(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    source = FIXTURES / "p2" / "cifar-10-batches-py"
    (folder / "batches.meta").write_bytes((source / "batches.meta").read_bytes())
    crafted = _build_twice((source / "test_batch").read_bytes())
    (folder / "test_batch").write_bytes(crafted)
    run = subprocess.run([verify.find_binary(), "eval", "--model", str(MODEL), "--data", str(folder)],
                         capture_output=True, text=True)
    assert run.returncode == 1, (run.returncode, run.stderr)
    assert "a second BUILD of one numpy array" in run.stderr


def _slice_arrays(count=40):
    images, labels = cifar_binary.read_split(SLICE, "test")[:2]
    return images[:count], labels[:count].astype(np.int64)


def test_float_images_outside_0_1_are_refused_and_keras_labels_taken(tmp_path):
    images, labels = _slice_arrays()
    scaled = images.transpose(0, 3, 1, 2).astype(np.float32) / 255
    np.savez(tmp_path / "scaled.npz", x_test=scaled, y_test=labels.reshape(-1, 1), num_classes=np.int64(10))
    reference = ftcnn_eval(MODEL, SLICE, "--images", "40")
    assert ftcnn_eval(MODEL, tmp_path / "scaled.npz")["correct"] == reference["correct"]
    np.savez(tmp_path / "raw.npz", x_test=scaled * 255, y_test=labels, num_classes=np.int64(10))
    run = subprocess.run([verify.find_binary(), "eval", "--model", str(MODEL), "--data", str(tmp_path / "raw.npz")],
                         capture_output=True, text=True)
    assert run.returncode == 1 and "float images must be scaled to [0, 1]" in run.stderr, run.stderr


def test_an_npz_whose_member_declares_more_than_it_can_inflate_to_is_refused(tmp_path):
    images, labels = _slice_arrays()
    np.savez_compressed(tmp_path / "d.npz", x_test=images, y_test=labels)
    blob = bytearray((tmp_path / "d.npz").read_bytes())
    # numpy writes zip64 sizes: the central directory entry's extra field holds the 8-byte uncompressed size.
    entry = blob.index(b"PK\x01\x02")
    name_length = int.from_bytes(blob[entry + 28:entry + 30], "little")
    extra = entry + 46 + name_length
    if int.from_bytes(blob[entry + 24:entry + 28], "little") == 0xFFFFFFFF:
        assert int.from_bytes(blob[extra:extra + 2], "little") == 1  # the zip64 field
        blob[extra + 4:extra + 12] = (1 << 40).to_bytes(8, "little")
    else:
        blob[entry + 24:entry + 28] = (0xFFFFFFF0).to_bytes(4, "little")
    (tmp_path / "lie.npz").write_bytes(bytes(blob))
    run = subprocess.run([verify.find_binary(), "eval", "--model", str(MODEL), "--data", str(tmp_path / "lie.npz")],
                         capture_output=True, text=True)
    assert run.returncode == 1 and "compressed)" in run.stderr, run.stderr
