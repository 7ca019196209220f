#!/usr/bin/python3
# Writes the small .npy fixtures read by tests/frontend/test_tensor_io.c (numpy's own writer,
# so the reader is checked against an independent implementation). Run from this folder.
import numpy as np
np.save("arange_2x3_f4.npy", np.arange(6, dtype="<f4").reshape(2, 3) - 2.5)
np.save("i8_4.npy", np.array([-3, 0, 1 << 40, 7], dtype="<i8"))
np.save("b1_3.npy", np.array([True, False, True]))
np.save("u1_scalar.npy", np.array(200, dtype="u1"))
np.lib.format.write_array(open("v2_f4.npy", "wb"), np.array([1.5, -2.0], dtype="<f4"), version=(2, 0))
np.save("fortran_f4.npy", np.asfortranarray(np.ones((2, 2), dtype="<f4")))
np.save("big_endian_f4.npy", np.ones(2, dtype=">f4"))
