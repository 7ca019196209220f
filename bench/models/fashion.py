"""Fashion-MNIST loader for the bench scripts: reads the idx files of Debian's dataset-fashion-mnist
(/usr/share/datasets/fashion-mnist/*.gz) into numpy arrays, and the normalization every tool uses
((x/255 - MEAN)/STD, applied OUTSIDE the models)."""
import gzip
import os

import numpy as np

DATA_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
MEAN = 0.2860
STD = 0.3530
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_idx(path):
    """Reads one (optionally gzipped) idx file into a numpy array of its stored shape and dtype."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an idx file (bad magic)")
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    dtype = dtypes.get(data[2])
    if dtype is None:
        raise ValueError(f"{path}: unknown idx element type 0x{data[2]:02x}")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=dtype, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f"{path}: size {arr.size} does not match dims {dims}")
    return arr.reshape(dims)


def load(split="test", data_dir=DATA_DIR):
    """Returns (images uint8 [N,28,28], labels int64 [N]) for split 'train' (60000) or 'test' (10000)."""
    prefix = {"train": "train", "test": "t10k"}[split]
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz")).astype(np.int64)
    return images, labels


def normalize(images):
    """uint8 [N,28,28] -> float32 [N,1,28,28], (x/255 - MEAN)/STD (the models' expected input)."""
    x = images.astype(np.float32) / np.float32(255.0)
    x = (x - np.float32(MEAN)) / np.float32(STD)
    return x.reshape(-1, 1, 28, 28).astype(np.float32)


def load_test_set(data_dir=DATA_DIR):
    """Returns (normalized float32 [10000,1,28,28], labels int64 [10000]) of the test split."""
    images, labels = load("test", data_dir)
    return normalize(images), labels
