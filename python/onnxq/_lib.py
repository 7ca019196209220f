"""ctypes declarations of libonnxq's public header onnxq.h, and where the library is found.

The structures mirror onnxq.h field by field; onnxq_options_init() writes struct_size, which
is checked against ctypes.sizeof(Options), so a binding and a library that disagree on the
layout fail at load time instead of passing garbage.
"""
import ctypes
import ctypes.util
import glob
import os

MAX_RANK = 8

# onnxq_status, in the header's order
STATUS_NAMES = ("ok", "invalid model", "unsupported op", "unsupported attribute", "shape",
                "dtype", "out of memory", "io", "data", "usage", "internal")


class Array(ctypes.Structure):
    """onnxq_array: a dense C-order tensor the caller owns."""
    _fields_ = [("dtype", ctypes.c_int), ("rank", ctypes.c_int32),
                ("dims", ctypes.c_int64 * MAX_RANK), ("data", ctypes.c_void_p)]


class InputShape(ctypes.Structure):
    """onnxq_input_shape: a fixed shape for a graph input with symbolic dims."""
    _fields_ = [("name", ctypes.c_char_p), ("rank", ctypes.c_int32),
                ("dims", ctypes.c_int64 * MAX_RANK)]


class CompileInfo(ctypes.Structure):
    """onnxq_compile_info: what onnxq_session_emit_c wrote."""
    _fields_ = [("kernel_calls", ctypes.c_uint32), ("macs", ctypes.c_double),
                ("weight_bytes", ctypes.c_size_t), ("workspace_bytes", ctypes.c_size_t),
                ("workspace_lower_bound", ctypes.c_size_t), ("float_nodes", ctypes.c_uint32)]


class EvalResult(ctypes.Structure):
    """onnxq_eval_result: top-1 of a classifier."""
    _fields_ = [("correct", ctypes.c_uint64), ("total", ctypes.c_uint64),
                ("seconds", ctypes.c_double)]


LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)
PROGRESS_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint32,
                               ctypes.c_uint32)
OUTPUT_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(ctypes.c_char),
                             ctypes.c_size_t)
SAMPLE_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint32,
                             ctypes.POINTER(Array), ctypes.c_uint32)

_STRS = ctypes.POINTER(ctypes.c_char_p)


class Options(ctypes.Structure):
    """onnxq_options, field by field (see onnxq.h for each meaning)."""
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("calib", _STRS), ("ncalib", ctypes.c_uint32),
        ("sample_fn", SAMPLE_FN), ("sample_user", ctypes.c_void_p),
        ("calib_limit", ctypes.c_uint32),
        ("mode", ctypes.c_int), ("observer", ctypes.c_int), ("percentile", ctypes.c_float),
        ("per_tensor", ctypes.c_int), ("act_type", ctypes.c_int),
        ("act_symmetric", ctypes.c_int), ("reduce_range", ctypes.c_int),
        ("exclude", _STRS), ("nexclude", ctypes.c_uint32),
        ("op_types", _STRS), ("nop_types", ctypes.c_uint32),
        ("overrides", _STRS), ("noverrides", ctypes.c_uint32),
        ("save_calib", ctypes.c_char_p), ("load_calib", ctypes.c_char_p),
        ("input_shapes", ctypes.POINTER(InputShape)), ("ninput_shapes", ctypes.c_uint32),
        ("equalize", ctypes.c_int), ("equalize_relu6", ctypes.c_int),
        ("bias_correct", ctypes.c_int),
        ("target_sqnr_set", ctypes.c_int), ("target_sqnr", ctypes.c_float),
        ("max_drop_set", ctypes.c_int), ("max_drop", ctypes.c_float),
        ("eval_data", ctypes.c_char_p), ("eval_labels", ctypes.c_char_p),
        ("eval_limit", ctypes.c_uint32),
        ("custom_ops", ctypes.c_int),
        ("custom_op_types", _STRS), ("ncustom_op_types", ctypes.c_uint32),
        ("dump_after", ctypes.c_char_p), ("stop_after", ctypes.c_char_p),
        ("verify", ctypes.c_int),
        ("name", ctypes.c_char_p), ("target", ctypes.c_char_p), ("debug_dump", ctypes.c_int),
        ("log_fn", LOG_FN), ("log_user", ctypes.c_void_p),
        ("progress_fn", PROGRESS_FN), ("progress_user", ctypes.c_void_p),
        ("output_fn", OUTPUT_FN), ("output_user", ctypes.c_void_p),
        ("skip_check", ctypes.c_int), ("check_samples", ctypes.c_uint32),
        ("compare_model", ctypes.c_char_p),
        ("profile", ctypes.c_int),
    ]


def _candidates():
    """Paths to try, in order: $ONNXQ_LIBRARY; the install prefix this package sits in (the
    libdir recorded at install time, _install.py); the system's search (ctypes.util)."""
    env = os.environ.get("ONNXQ_LIBRARY")
    if env:
        return [env]
    found = []
    try:
        from . import _install  # written by meson install
        here = os.path.dirname(os.path.abspath(__file__))
        d = here
        for _ in range(8):  # <prefix>/lib/python3/dist-packages/onnxq -> <prefix>
            d = os.path.dirname(d)
            lib = os.path.join(d, _install.LIBDIR, _install.SONAME)
            if os.path.exists(lib):
                found.append(lib)
                break
        if os.path.isabs(_install.LIBDIR):
            found.append(os.path.join(_install.LIBDIR, _install.SONAME))
    except ImportError:
        pass
    name = ctypes.util.find_library("onnxq")
    if name:
        found.append(name)
    return found


def load():
    """The loaded libonnxq with argument and result types set; OSError naming what was tried."""
    tried = _candidates()
    errors = []
    for path in tried:
        try:
            lib = ctypes.CDLL(path)
            break
        except OSError as e:
            errors.append(str(e))
    else:
        raise OSError("libonnxq not found (tried: %s); set ONNXQ_LIBRARY to the path of "
                      "libonnxq.so%s" % (", ".join(tried) or "nothing",
                                         "; " + "; ".join(errors) if errors else ""))
    sess = ctypes.c_void_p
    p = ctypes.POINTER
    sigs = {
        "onnxq_version": (ctypes.c_char_p, []),
        "onnxq_version_number": (ctypes.c_int, []),
        "onnxq_status_string": (ctypes.c_char_p, [ctypes.c_int]),
        "onnxq_options_init": (None, [p(Options)]),
        "onnxq_session_new": (ctypes.c_int, [p(Options), p(sess)]),
        "onnxq_session_free": (None, [sess]),
        "onnxq_session_status": (ctypes.c_int, [sess]),
        "onnxq_session_error": (ctypes.c_char_p, [sess]),
        "onnxq_session_warnings": (ctypes.c_uint32, [sess]),
        "onnxq_quantize": (ctypes.c_int, [sess, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]),
        "onnxq_compile": (ctypes.c_int, [sess, ctypes.c_char_p, ctypes.c_char_p,
                                         p(CompileInfo)]),
        "onnxq_report": (ctypes.c_int, [sess, ctypes.c_char_p, ctypes.c_char_p,
                                        ctypes.c_char_p]),
        "onnxq_eval": (ctypes.c_int, [sess, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                      ctypes.c_uint32, ctypes.c_uint32, p(EvalResult)]),
        "onnxq_model_load": (ctypes.c_int, [sess, ctypes.c_char_p, p(ctypes.c_void_p)]),
        "onnxq_model_free": (None, [ctypes.c_void_p]),
        "onnxq_model_num_inputs": (ctypes.c_uint32, [ctypes.c_void_p]),
        "onnxq_model_input_info": (ctypes.c_char_p, [ctypes.c_void_p, ctypes.c_uint32,
                                                     p(Array)]),
        "onnxq_check_override": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_char_p,
                                                ctypes.c_size_t]),
    }
    for fn, (res, args) in sigs.items():
        f = getattr(lib, fn)
        f.restype = res
        f.argtypes = args
    o = Options()
    lib.onnxq_options_init(ctypes.byref(o))
    if o.struct_size != ctypes.sizeof(Options):
        raise OSError("libonnxq at %s has onnxq_options of %d bytes, this binding %d: a "
                      "library and binding of different versions" %
                      (path, o.struct_size, ctypes.sizeof(Options)))
    return lib
