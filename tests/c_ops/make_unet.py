"""A small U-Net (Conv, ConvTranspose, bilinear and nearest Resize, Concat skips) exported by
torch.onnx at several opsets, with calibration samples, for unet.sh. Weights are random
(seeded): the test checks the compiled program against the interpreter, not accuracy.
usage: make_unet.py OUTDIR OPSET...
Writes OUTDIR/unet_op<OPSET>.onnx (input [1, 3, 16, 16]) and OUTDIR/calib/x<i>.npy (8 samples)."""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.e1 = nn.Conv2d(3, 8, 3, padding=1)
        self.e2 = nn.Conv2d(8, 16, 3, padding=1)
        self.mid = nn.Conv2d(16, 16, 3, padding=1)
        self.up1 = nn.ConvTranspose2d(16, 16, 2, stride=2)
        self.d1 = nn.Conv2d(32, 16, 3, padding=1)
        self.d2a = nn.Conv2d(16, 8, 1)
        self.d2 = nn.Conv2d(16, 8, 3, padding=1)
        self.head = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        a = F.relu(self.e1(x))                                    # 16x16
        b = F.relu(self.e2(F.max_pool2d(a, 2)))                   # 8x8
        m = F.relu(self.mid(F.max_pool2d(b, 2)))                  # 4x4
        u = self.up1(m)                                           # 8x8 (ConvTranspose)
        c = F.relu(self.d1(torch.cat([u, b], 1)))
        v = F.interpolate(c, scale_factor=2.0, mode="bilinear", align_corners=False)  # 16x16
        v = self.d2a(v)
        w = F.relu(self.d2(torch.cat([v, a], 1)))
        y = self.head(w)
        return y + F.interpolate(F.avg_pool2d(y, 4), scale_factor=4.0, mode="nearest")


out = sys.argv[1]
os.makedirs(os.path.join(out, "calib"), exist_ok=True)
torch.manual_seed(3)
net = UNet().eval()
x = torch.randn(1, 3, 16, 16)
for opset in map(int, sys.argv[2:]):
    torch.onnx.export(net, x, os.path.join(out, f"unet_op{opset}.onnx"), opset_version=opset,
                      input_names=["x"], output_names=["y"])
rng = np.random.RandomState(5)
for i in range(8):
    np.save(os.path.join(out, "calib", f"x{i}.npy"), rng.randn(1, 3, 16, 16).astype(np.float32))
