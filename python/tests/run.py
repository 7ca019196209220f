"""Runs the binding's tests (test_*.py here) with the interpreter given: the package of
$ONNXQ_BINDING_DIR (an installed one, which finds its libonnxq by itself) or else of python/
here, over the libonnxq of $ONNXQ_LIBRARY when set. Without numpy it prints why and exits 77, which meson reports as SKIP: the
tests never pass without running. usage: python3 run.py"""
import os
import sys
import unittest

try:
    import numpy  # noqa: F401
except ImportError:
    print("SKIP: numpy is not installed for %s (Debian: apt-get install python3-numpy); the "
          "onnxq binding's tests need it" % sys.executable)
    sys.exit(77)

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("ONNXQ_BINDING_DIR") or os.path.dirname(here))
suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py")
result = unittest.TextTestRunner(verbosity=2).run(suite)
if result.skipped:
    print("skipped tests are failures here: %s" % [str(t) for t, _ in result.skipped])
sys.exit(0 if result.wasSuccessful() and not result.skipped and result.testsRun else 1)
