#!/usr/bin/env python3
"""Small transformer encoders for the encoder test suite (random init, fixed seed).

text_{gelu,relu}_op{14,17}.onnx: token ids int64 [1, S] and an attention mask int64 [1, S]
(1 = token, 0 = padding) -> embedding (Gather) + learned position add + 2 layers of
nn.TransformerEncoderLayer (d 64, 4 heads) -> logits [1, 10] from the first token.
vit_{gelu,relu}_op{14,17}.onnx: image [1, 1, 28, 28] -> 7x7 patches (Conv) + class token
(Concat) + position add + 2 layers -> LayerNorm -> logits [1, 10] from the class token.
torch 1.13 exports LayerNormalization as one op at opset 17 and decomposed
(ReduceMean/Sub/Pow/Sqrt/Div) at opset 14. Also writes calibration and test inputs as .npy.
usage: make_models.py OUT_DIR
"""
import os
import sys

import numpy as np
import torch
from torch import nn

S, D, H, VOCAB, NCLS = 16, 64, 4, 100, 10


class Text(nn.Module):
    def __init__(self, act):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, D)
        self.pos = nn.Parameter(torch.randn(1, S, D) * 0.1)
        layer = nn.TransformerEncoderLayer(D, H, dim_feedforward=128, dropout=0.0,
                                           activation=act, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(D, NCLS)

    def forward(self, ids, mask):
        x = self.emb(ids) + self.pos
        x = self.enc(x, src_key_padding_mask=mask == 0)
        return self.head(x[:, 0])


class ViT(nn.Module):
    def __init__(self, act):
        super().__init__()
        self.patch = nn.Conv2d(1, D, 7, stride=7)
        self.cls = nn.Parameter(torch.randn(1, 1, D) * 0.1)
        self.pos = nn.Parameter(torch.randn(1, 17, D) * 0.1)
        layer = nn.TransformerEncoderLayer(D, H, dim_feedforward=128, dropout=0.0,
                                           activation=act, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(D)
        self.head = nn.Linear(D, NCLS)

    def forward(self, img):
        x = self.patch(img).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        x = self.norm(self.enc(x))
        return self.head(x[:, 0])


def text_inputs(rng, n):
    ids = rng.integers(0, VOCAB, size=(n, 1, S)).astype(np.int64)
    mask = np.ones((n, 1, S), np.int64)
    for i in range(n):
        mask[i, 0, rng.integers(S // 2, S + 1):] = 0
    return ids, mask


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    for act in ("gelu", "relu"):
        torch.manual_seed(13)
        text = Text(act).eval()
        torch.manual_seed(17)
        vit = ViT(act).eval()
        ids = torch.zeros(1, S, dtype=torch.int64)
        mask = torch.ones(1, S, dtype=torch.int64)
        img = torch.zeros(1, 1, 28, 28)
        for op in (14, 17):
            # grad enabled: keeps PyTorch off its fused inference path, which has no export
            torch.onnx.export(text, (ids, mask), f"{out}/text_{act}_op{op}.onnx",
                              input_names=["ids", "mask"], output_names=["logits"],
                              opset_version=op)
            torch.onnx.export(vit, (img,), f"{out}/vit_{act}_op{op}.onnx",
                              input_names=["image"], output_names=["logits"],
                              opset_version=op)
    for name, n in (("calib", 16), ("test", 8)):
        ids, mask = text_inputs(rng, n)
        d = f"{out}/text_{name}"
        os.makedirs(d, exist_ok=True)
        np.save(f"{d}/ids.npy", ids.reshape(n, S))
        np.save(f"{d}/mask.npy", mask.reshape(n, S))
        img = rng.random((n, 1, 28, 28), dtype=np.float32)
        np.save(f"{out}/vit_{name}.npy", img)


if __name__ == "__main__":
    main()
