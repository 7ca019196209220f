"""Calibration samples from memory, handed to libonnxq's sample callback one at a time.

A stream is made from a numpy array (rows along axis 0 are the samples of a one-input model),
a dict {input name: array of rows}, an object with get_next() (ONNX Runtime's
CalibrationDataReader: a dict per call, None at the end) or any iterable of samples (each an
array or a dict {input name: array}). Each sample is converted to the dtype the library asks
for and must have the input's shape, or that shape without a leading batch dim of 1 (as a
calibration file may); any other shape is passed on, and the library's error names both.
"""
import ctypes

import numpy as np

from . import _lib

_DTYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 6: np.int32, 7: np.int64, 9: np.bool_,
           11: np.float64}


def _rows(arrays):
    """Yields dicts {name: row i} from {name: array of rows}, all of one length."""
    n = {len(a) for a in arrays.values()}
    if len(n) != 1:
        raise ValueError("calibration arrays of different lengths: %s" %
                         {k: len(a) for k, a in arrays.items()})
    for i in range(n.pop()):
        yield {k: a[i] for k, a in arrays.items()}


class SampleStream:
    """Feeds samples to the library; names_fn() gives the model's input names (or None), asked
    once, for the first dict sample."""

    def __init__(self, calib, names_fn):
        self.names_fn = names_fn
        self.names = None
        self.names_known = False
        if isinstance(calib, np.ndarray):
            self.it = iter(calib)
        elif isinstance(calib, dict):
            self.it = _rows({k: np.asarray(v) for k, v in calib.items()})
        elif hasattr(calib, "get_next"):
            self.it = iter(calib.get_next, None)
        else:
            self.it = iter(calib)
        self.held = []  # the arrays of the current sample (the library copies them)

    def _by_input(self, sample, ninputs):
        """The sample's arrays in graph input order."""
        if isinstance(sample, dict):
            if not self.names_known:
                self.names, self.names_known = self.names_fn(), True
            if self.names is None:
                if ninputs != 1 or len(sample) != 1:
                    raise ValueError("a dict sample needs the model's input names")
                return list(sample.values())
            missing = [n for n in self.names if n not in sample]
            extra = [k for k in sample if k not in self.names]
            if missing or extra:
                raise ValueError("calibration sample: %s%s (model inputs: %s)" % (
                    "no input %s" % ", ".join(map(repr, missing)) if missing else "",
                    "%sunknown input %s" % ("; " if missing else "",
                                             ", ".join(map(repr, extra))) if extra else "",
                    ", ".join(self.names)))
            return [sample[n] for n in self.names]
        if ninputs != 1:
            raise ValueError("the model has %d inputs: give each sample as a dict {name: "
                             "array}" % ninputs)
        return [sample]

    def fill(self, index, inputs, ninputs):
        """The sample callback: 1 with inputs filled, 0 at the end (exceptions propagate)."""
        sample = next(self.it, None)
        if sample is None:
            return 0
        self.held = []
        for k, value in enumerate(self._by_input(sample, ninputs)):
            t = inputs[k]
            want = tuple(t.dims[i] for i in range(t.rank))
            dtype = _DTYPES.get(t.dtype)
            if dtype is None:
                raise TypeError("model input %d has element type %d, which the binding does "
                                "not fill" % (k, t.dtype))
            a = np.ascontiguousarray(np.asarray(value), dtype=dtype)
            if a.shape != want and (1,) + a.shape == want:
                a = a.reshape(want)
            if a.ndim > _lib.MAX_RANK:
                raise ValueError("calibration sample %d: rank %d" % (index, a.ndim))
            t.rank = a.ndim
            for i, d in enumerate(a.shape):
                t.dims[i] = d
            t.data = a.ctypes.data_as(ctypes.c_void_p)
            self.held.append(a)
        return 1
