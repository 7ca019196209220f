"""onnxq from Python: float ONNX models to int8 ONNX or standalone C, through libonnxq.

A ctypes binding of the C API (onnxq.h) with no build step: it needs only the installed
libonnxq.so (found through $ONNXQ_LIBRARY, the install prefix this package sits in, or the
system's library search) and, for in-memory calibration data, numpy.

    import onnxq
    onnxq.quantize("model.onnx", "model.int8.onnx", calib="calib/")         # files, as the CLI
    onnxq.quantize("model.onnx", "model.int8.onnx", calib=x)                # numpy [N, ...]
    onnxq.quantize("model.onnx", "out.onnx", calib=reader, observer="entropy")
    info = onnxq.compile("model.onnx", "out_c/", calib=x, name="net")
    table = onnxq.report("model.onnx", calib=x, html="report.html")

calib is a path or a list of paths (.npy / .pb files or directories, as `--calib`), a numpy
array whose rows along axis 0 are the samples of a one-input model, a dict {input name: array
of rows}, or any iterable of samples (each an array or a dict {input name: array}), including
an object with get_next() like ONNX Runtime's CalibrationDataReader. In-memory samples are
streamed through the library's sample callback, one at a time; no file is written.
Options are the fields of onnxq_options, named as the command-line flags without dashes
(observer="entropy", per_tensor=True, act_type="s8", exclude=["conv_3"], input_shapes={"x":
(1, 3, 224, 224)}, overrides={"t": "minmax"}, target_sqnr=40.0, ...). Failures raise
onnxq.Error carrying the library's message (which names the file, node and op).
"""
import ctypes
import logging
import os

from . import _lib

__all__ = ["Error", "quantize", "compile", "report", "eval", "version", "__version__"]

_L = _lib.load()
__version__ = _L.onnxq_version().decode()
_log = logging.getLogger("onnxq")


def version():
    """The library's version, "MAJOR.MINOR.PATCH" (the same as `onnxq --version`)."""
    return _L.onnxq_version().decode()


class Error(Exception):
    """A failed library call: status (an onnxq_status number), status_name and the message."""

    def __init__(self, status, message):
        self.status = status
        self.status_name = (_lib.STATUS_NAMES[status] if 0 <= status < len(_lib.STATUS_NAMES)
                            else str(status))
        super().__init__(message or self.status_name)


_ENUMS = {
    "mode": {"static": 0, "dynamic": 1},
    "observer": {"minmax": 0, "moving-average": 1, "moving_average": 1, "mse": 2,
                 "entropy": 3, "percentile": 4},
    "act_type": {"u8": 0, "uint8": 0, "s8": 1, "int8": 1},
}
_FORMATS = {"qdq": 0, "qop": 1, "int": 2}
_FLAGS = ("per_tensor", "act_symmetric", "reduce_range", "equalize", "equalize_relu6",
          "bias_correct", "verify", "debug_dump", "skip_check", "profile")
_STRINGS = ("save_calib", "load_calib", "eval_data", "eval_labels", "dump_after",
            "stop_after", "name", "target", "compare_model")
_COUNTS = ("calib_limit", "eval_limit", "check_samples")
_LISTS = {"exclude": "nexclude", "op_types": "nop_types", "overrides": "noverrides",
          "custom_op_types": "ncustom_op_types"}


def _b(s):
    return os.fsencode(s) if s is not None else None


def _strs(keep, items):
    arr = (ctypes.c_char_p * (len(items) + 1))(*[_b(x) for x in items])
    keep.append(arr)
    return ctypes.cast(arr, ctypes.POINTER(ctypes.c_char_p))


class _Session:
    """One onnxq_session with its options; keeps every buffer the options point to alive."""

    def __init__(self, options, calib=None, model=None):
        self.keep = []
        self.text = []
        self.sample_error = None
        o = _lib.Options()
        _L.onnxq_options_init(ctypes.byref(o))
        self._set_options(o, dict(options))
        self._set_calib(o, calib, model)
        self.log_cb = _lib.LOG_FN(self._on_log)
        self.out_cb = _lib.OUTPUT_FN(self._on_output)
        o.log_fn = self.log_cb
        o.output_fn = self.out_cb
        self.opts = o
        self.s = ctypes.c_void_p()
        st = _L.onnxq_session_new(ctypes.byref(o), ctypes.byref(self.s))
        if st != 0:
            msg = _L.onnxq_session_error(self.s).decode(errors="replace")
            _L.onnxq_session_free(self.s)
            self.s = None
            raise Error(st, msg)

    def _set_options(self, o, opts):
        percentile_given = "percentile" in opts
        for key, value in opts.items():
            if key in _ENUMS:
                table = _ENUMS[key]
                if value not in table:
                    raise ValueError("%s=%r: one of %s" % (key, value, ", ".join(table)))
                setattr(o, key, table[value])
            elif key in _FLAGS:
                setattr(o, key, 1 if value else 0)
            elif key in _STRINGS:
                setattr(o, key, _b(os.fspath(value)) if value is not None else None)
            elif key in _COUNTS:
                setattr(o, key, int(value))
            elif key in _LISTS:
                if isinstance(value, str):
                    raise TypeError("%s takes a list of strings, not a string" % key)
                if key == "overrides" and isinstance(value, dict):
                    value = ["%s=%s" % kv for kv in value.items()]
                items = [str(v) for v in value]
                setattr(o, key, _strs(self.keep, items))
                setattr(o, _LISTS[key], len(items))
                if key == "custom_op_types" and items:
                    o.custom_ops = 1
            elif key == "percentile":
                p = float(value)
                if not 50 < p <= 100:
                    raise ValueError("percentile wants a value in (50, 100], not %r" % value)
                o.percentile = p
            elif key == "target_sqnr":
                o.target_sqnr_set, o.target_sqnr = 1, float(value)
            elif key == "max_drop":
                o.max_drop_set, o.max_drop = 1, float(value)
            elif key == "input_shapes":
                shapes = (_lib.InputShape * max(len(value), 1))()
                for i, (name, dims) in enumerate(dict(value).items()):
                    dims = [int(d) for d in dims]
                    if not 1 <= len(dims) <= _lib.MAX_RANK:
                        raise ValueError("input_shapes[%r]: rank %d" % (name, len(dims)))
                    shapes[i].name = _b(name)
                    shapes[i].rank = len(dims)
                    for k, d in enumerate(dims):
                        shapes[i].dims[k] = d
                self.keep.append(shapes)
                o.input_shapes, o.ninput_shapes = shapes, len(value)
            elif key == "custom_ops":
                o.custom_ops = 1 if value else 0
            else:
                raise TypeError("unknown onnxq option %r" % key)
        # as the command: --percentile alone selects the percentile observer
        if percentile_given and "observer" not in opts:
            o.observer = _ENUMS["observer"]["percentile"]

    def _set_calib(self, o, calib, model):
        if calib is None:
            return
        if isinstance(calib, (str, bytes, os.PathLike)):
            calib = [calib]
        if isinstance(calib, (list, tuple)) and calib and all(
                isinstance(c, (str, bytes, os.PathLike)) for c in calib):
            items = [os.fsdecode(c) for c in calib]
            o.calib, o.ncalib = _strs(self.keep, items), len(items)
            return
        try:
            from ._samples import SampleStream
        except ImportError as e:
            raise ImportError("calibration samples from memory need numpy (%s); calibration "
                              "files or directories do not" % e) from e
        self.stream = SampleStream(calib, lambda: self._input_names(model))
        self.sample_cb = _lib.SAMPLE_FN(self._on_sample)
        o.sample_fn = self.sample_cb

    def _input_names(self, model):
        """The model's graph input names, loaded by a second session of the same options (asked
        for the first dict sample, from inside the sample callback, where the first session is
        busy); None when it cannot be loaded."""
        s = ctypes.c_void_p()
        if model is None or _L.onnxq_session_new(ctypes.byref(self.opts), ctypes.byref(s)) != 0:
            _L.onnxq_session_free(s)
            return None
        m = ctypes.c_void_p()
        names = None
        if _L.onnxq_model_load(s, _b(os.fspath(model)), ctypes.byref(m)) == 0:
            names = [_L.onnxq_model_input_info(m, i, None).decode()
                     for i in range(_L.onnxq_model_num_inputs(m))]
            _L.onnxq_model_free(m)
        _L.onnxq_session_free(s)
        return names

    def _on_sample(self, user, index, inputs, ninputs):
        try:
            return self.stream.fill(index, inputs, ninputs)
        except BaseException as e:  # raised again after the library call returns
            self.sample_error = e
            return -1

    def _on_log(self, user, level, msg):
        text = msg.decode(errors="replace")
        if level == 0:
            _log.warning("%s", text)
        else:
            _log.info("%s", text)

    def _on_output(self, user, text, n):
        self.text.append(ctypes.string_at(text, n))

    def check(self, st):
        """Raises the sample callback's exception, or Error for a failed status."""
        if self.sample_error is not None:
            e, self.sample_error = self.sample_error, None
            raise e
        if st != 0:
            raise Error(st, _L.onnxq_session_error(self.s).decode(errors="replace"))

    def output(self):
        return b"".join(self.text).decode(errors="replace")

    def close(self):
        if self.s:
            _L.onnxq_session_free(self.s)
            self.s = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def quantize(model_in, model_out, calib=None, *, format="qdq", **options):
    """Quantizes model_in and writes model_out (format "qdq", "qop" or "int"), as `onnxq
    quantize MODEL --calib ... -o OUT`. Returns the number of warnings logged."""
    if format not in _FORMATS:
        raise ValueError("format=%r: one of qdq, qop, int" % format)
    with _Session(options, calib, model_in) as s:
        s.check(_L.onnxq_quantize(s.s, _b(os.fspath(model_in)), _b(os.fspath(model_out)),
                                  _FORMATS[format]))
        return _L.onnxq_session_warnings(s.s)


def compile(model_in, out_dir, calib=None, **options):
    """Quantizes model_in and writes standalone C into out_dir, as `onnxq compile MODEL
    --emit-c OUT_DIR` (name=, target=, debug_dump= as there). Returns what was written:
    {kernel_calls, macs, weight_bytes, workspace_bytes, workspace_lower_bound, float_nodes}."""
    with _Session(options, calib, model_in) as s:
        info = _lib.CompileInfo()
        s.check(_L.onnxq_compile(s.s, _b(os.fspath(model_in)), _b(os.fspath(out_dir)),
                                 ctypes.byref(info)))
        return {f: getattr(info, f) for f, _ in _lib.CompileInfo._fields_}


def report(model_in, calib=None, *, html=None, json=None, **options):
    """Per-layer accuracy report, as `onnxq report`: returns the text table; html / json
    paths get the HTML page and the JSON figures (eval_data= and eval_labels= add top-1)."""
    with _Session(options, calib, model_in) as s:
        s.check(_L.onnxq_report(s.s, _b(os.fspath(model_in)),
                                _b(os.fspath(html)) if html is not None else None,
                                _b(os.fspath(json)) if json is not None else None))
        return s.output()


def eval(model, data, labels, *, batch=0, limit=0, **options):
    """Top-1 of a classifier on data.npy / labels.npy, as `onnxq eval`: (correct, total)."""
    with _Session(options) as s:
        r = _lib.EvalResult()
        s.check(_L.onnxq_eval(s.s, _b(os.fspath(model)), _b(os.fspath(data)),
                              _b(os.fspath(labels)), int(batch), int(limit), ctypes.byref(r)))
        return r.correct, r.total
