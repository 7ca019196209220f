"""The Python binding against the onnxq command: the same options and the same calibration
samples, from numpy arrays, dicts, iterables or a CalibrationDataReader, must give a model
byte-identical to `onnxq quantize`'s, and C byte-identical to `onnxq compile`'s; errors raise
onnxq.Error with the library's message. Needs $ONNXQ_LIBRARY (libonnxq.so), $ONNXQ_CLI (the
onnxq command of the same build) and $ONNXQ_SOURCE_ROOT (for examples/)."""
import filecmp
import glob
import logging
import os
import re
import subprocess
import tempfile
import unittest

import numpy as np

import onnxq

ROOT = os.environ.get("ONNXQ_SOURCE_ROOT",
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CLI = os.environ["ONNXQ_CLI"]
MODEL = os.path.join(ROOT, "examples", "fashion_cnn.onnx")
CALIB = os.path.join(ROOT, "examples", "calib")
SHAPE = {"input": (1, 1, 28, 28)}
logging.getLogger("onnxq").setLevel(logging.ERROR)


def calib_arrays():
    """examples/calib's 256 samples, float32 [256, 1, 1, 28, 28], in the CLI's order."""
    return np.stack([np.load(f) for f in sorted(glob.glob(os.path.join(CALIB, "*.npy")))])


def cli(*args):
    r = subprocess.run([CLI] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise AssertionError("onnxq %s: exit %d: %s" % (" ".join(args), r.returncode,
                                                        r.stderr.decode()))
    return r.stdout.decode()


class Reader:
    """ONNX Runtime's CalibrationDataReader protocol: get_next() -> dict or None."""

    def __init__(self, x):
        self.rows = iter(x)

    def get_next(self):
        row = next(self.rows, None)
        return None if row is None else {"input": row}


class BindingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.x = calib_arrays()
        cls.ref = cls.path("ref.onnx")
        cli("quantize", MODEL, "--calib", CALIB, "--input-shape", "input=1,1,28,28",
            "-o", cls.ref)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def path(cls, name):
        return os.path.join(cls.tmp.name, name)

    def same(self, a, b):
        self.assertTrue(filecmp.cmp(a, b, shallow=False), "%s differs from %s" % (a, b))

    def test_version(self):
        self.assertEqual(cli("--version").strip(), "onnxq " + onnxq.__version__)
        self.assertEqual(onnxq.version(), onnxq.__version__)
        self.assertRegex(onnxq.__version__, r"^\d+\.\d+\.\d+$")

    def test_structs_match_header(self):
        # field names in order, read from onnxq.h: a field added to the header but not to the
        # binding fails here even where padding would hide it from the struct_size check
        from onnxq import _lib
        with open(os.path.join(ROOT, "lib", "onnxq.h")) as f:
            header = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
        for c_name, py in [("onnxq_options", _lib.Options), ("onnxq_array", _lib.Array),
                           ("onnxq_input_shape", _lib.InputShape),
                           ("onnxq_compile_info", _lib.CompileInfo),
                           ("onnxq_eval_result", _lib.EvalResult)]:
            body = re.search(r"typedef struct %s \{(.*?)\} %s;" % (c_name, c_name), header, re.S)
            self.assertIsNotNone(body, c_name)
            fields = [re.findall(r"(\w+)\s*(?:\[[^]]*\])?\s*$", d.strip())[0]
                      for d in body.group(1).split(";") if d.strip()]
            with self.subTest(struct=c_name):
                self.assertEqual([n for n, _ in py._fields_], fields)

    def test_numpy_samples_equal_cli(self):
        out = self.path("np.onnx")
        onnxq.quantize(MODEL, out, calib=self.x, input_shapes=SHAPE)
        self.same(out, self.ref)

    def test_rows_without_batch_dim(self):
        # [256, 1, 28, 28]: each row is the input's shape without its leading 1
        out = self.path("rows.onnx")
        onnxq.quantize(MODEL, out, calib=self.x.reshape(256, 1, 28, 28), input_shapes=SHAPE)
        self.same(out, self.ref)

    def test_iterables_and_reader_equal_cli(self):
        for what, calib in [("dicts", [{"input": a} for a in self.x]),
                            ("generator", (a.astype(np.float64) for a in self.x)),
                            ("dict of arrays", {"input": self.x}),
                            ("reader", Reader(self.x))]:
            out = self.path("it.onnx")
            onnxq.quantize(MODEL, out, calib=calib, input_shapes=SHAPE)
            with self.subTest(calib=what):
                self.same(out, self.ref)

    def test_options_equal_cli(self):
        ref = self.path("opt_ref.onnx")
        cli("quantize", MODEL, "--calib", CALIB, "--input-shape", "input=1,1,28,28",
            "--observer", "percentile", "--percentile", "99.9", "--per-tensor", "--act-type",
            "s8", "--calib-limit", "100", "--format", "qop", "-o", ref)
        out = self.path("opt.onnx")
        onnxq.quantize(MODEL, out, calib=self.x, format="qop", input_shapes=SHAPE,
                       percentile=99.9, per_tensor=True, act_type="s8", calib_limit=100)
        self.same(out, ref)
        files = self.path("files.onnx")  # calibration files through the binding
        onnxq.quantize(MODEL, files, calib=CALIB, format="qop", input_shapes=SHAPE,
                       observer="percentile", percentile=99.9, per_tensor=True, act_type="s8",
                       calib_limit=100)
        self.same(files, ref)

    def test_compile_equals_cli(self):
        ref, out = self.path("c_ref"), self.path("c_py")
        cli("compile", MODEL, "--calib", CALIB, "--input-shape", "input=1,1,28,28",
            "--emit-c", ref, "--name", "net")
        info = onnxq.compile(MODEL, out, calib=self.x, input_shapes=SHAPE, name="net")
        self.assertGreater(info["kernel_calls"], 0)
        self.assertGreaterEqual(info["workspace_bytes"], info["workspace_lower_bound"])
        for f in ("net.h", "net.c", "net_weights.c"):
            self.same(os.path.join(out, f), os.path.join(ref, f))

    def test_report_and_eval(self):
        html = self.path("r.html")
        text = onnxq.report(MODEL, calib=self.x[:16], html=html, input_shapes=SHAPE)
        self.assertIn("/conv1/Conv", text)
        self.assertTrue(os.path.getsize(html) > 0)
        correct, total = onnxq.eval(self.ref, os.path.join(ROOT, "examples", "test100_input.npy"),
                                    os.path.join(ROOT, "examples", "test100_labels.npy"))
        want = cli("eval", self.ref, "--data", os.path.join(ROOT, "examples", "test100_input.npy"),
                   "--labels", os.path.join(ROOT, "examples", "test100_labels.npy"))
        self.assertIn("(%d/%d)" % (correct, total), want)

    def test_errors(self):
        with self.assertRaises(onnxq.Error) as e:
            onnxq.quantize(self.path("missing.onnx"), self.path("o.onnx"), calib=CALIB)
        self.assertIn("missing.onnx", str(e.exception))
        self.assertEqual(e.exception.status_name, "io")
        with self.assertRaises(onnxq.Error) as e:  # the library names both shapes
            onnxq.quantize(MODEL, self.path("o.onnx"), calib=np.zeros((4, 3, 28, 28), np.float32),
                           input_shapes=SHAPE)
        self.assertIn("shape", str(e.exception))
        self.assertIn("'input'", str(e.exception))
        bad = self.x[:8].copy()
        bad[3, 0, 0, 5, 5] = np.nan
        with self.assertRaises(onnxq.Error) as e:
            onnxq.quantize(MODEL, self.path("o.onnx"), calib=bad, input_shapes=SHAPE)
        self.assertIn("NaN", str(e.exception))
        with self.assertRaises(ValueError):  # names checked against the model's inputs
            onnxq.quantize(MODEL, self.path("o.onnx"), calib=[{"image": self.x[0]}])

        def broken():
            yield self.x[0]
            raise KeyError("from the reader")
        with self.assertRaises(KeyError):  # the iterator's own exception comes back
            onnxq.quantize(MODEL, self.path("o.onnx"), calib=broken(), input_shapes=SHAPE)
        with self.assertRaises(TypeError):
            onnxq.quantize(MODEL, self.path("o.onnx"), calib=CALIB, obsever="mse")
        with self.assertRaises(ValueError):
            onnxq.quantize(MODEL, self.path("o.onnx"), calib=CALIB, observer="median")
        with self.assertRaises(onnxq.Error) as e:
            onnxq.quantize(MODEL, self.path("o.onnx"), calib=[])
        self.assertIn("no samples", str(e.exception))
        self.assertFalse(os.path.exists(self.path("o.onnx")))


if __name__ == "__main__":
    unittest.main()
