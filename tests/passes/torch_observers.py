#!/usr/bin/python3
# Reference qparams from PyTorch 1.13's observers (torch.ao.quantization.observer) on fixed
# inputs, for tests/passes/test_observers.c. Run: /usr/bin/python3 tests/passes/torch_observers.py
# The inputs come from gen() below, which test_observers.c reproduces bit for bit (plain IEEE
# double arithmetic then a cast to float32). Histogram inputs keep integer min/max because
# PyTorch 1.13 bins with histc(min=int(min_val), max=int(max_val)) (we use the float edges).
import math
import warnings

import numpy as np
import torch
from torch.ao.quantization import observer as O

warnings.filterwarnings("ignore")
torch.set_num_threads(1)


def gen(n, seed, lo, hi):
    """Bell-shaped values in [lo, hi] with exact lo and hi at positions 0 and 1."""
    out = np.empty(n, dtype=np.float32)
    c = [0.6180339887498949, 0.4142135623730951, 0.7320508075688772, 0.2360679774997897]
    mid, half = (lo + hi) / 2.0, (hi - lo) / 2.0
    for i in range(n):
        s = 0.0
        for k in range(4):
            s += math.fmod((i + seed) * c[k], 1.0)
        v = mid + (s - 2.0) * half * 0.2   # body within mid +- 0.4 half
        out[i] = v
    out[0] = lo
    out[1] = hi
    return torch.from_numpy(out)


def show(name, obs, *batches):
    for b in batches:
        obs(b)
    s, z = obs.calculate_qparams()
    s = [float(v) for v in s.reshape(-1)]
    z = [int(v) for v in z.reshape(-1)]
    print("%-28s scale=%s zp=%s" % (name, " ".join("%.9g" % v for v in s), " ".join(map(str, z))))


A = gen(1000, 0, -4.0, 8.0)
B = gen(1000, 7, -8.0, 16.0)
C = gen(500, 3, -2.0, 3.0)
R = gen(1000, 5, 0.0, 6.0)
print("# torch", torch.__version__)
show("minmax_u8_A", O.MinMaxObserver(), A)
show("minmax_u8_AC", O.MinMaxObserver(), A, C)
show("minmax_s8sym_A", O.MinMaxObserver(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric), A)
show("minmax_u8sym_A", O.MinMaxObserver(qscheme=torch.per_tensor_symmetric), A)
show("minmax_u8rr_A", O.MinMaxObserver(reduce_range=True), A)
show("minmax_s8_A", O.MinMaxObserver(dtype=torch.qint8), A)
show("movavg_u8_ABC", O.MovingAverageMinMaxObserver(), A, B, C)
W = gen(48, 1, -1.0, 0.5).reshape(4, 3, 2, 2)
show("perch_s8sym127_W", O.PerChannelMinMaxObserver(ch_axis=0, dtype=torch.qint8,
     qscheme=torch.per_channel_symmetric, quant_min=-127, quant_max=127), W)
show("perch_u8_axis1_W", O.PerChannelMinMaxObserver(ch_axis=1), W)
show("hist_u8_A", O.HistogramObserver(), A)
show("hist_u8_AB", O.HistogramObserver(), A, B)
show("hist_s8sym_A", O.HistogramObserver(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric), A)
show("hist_u8_R", O.HistogramObserver(), R)
