"""The PyTorch networks of the bench models, shared by make.py (training, export) and bench/torch/
(PyTorch int8 baselines): the Fashion-MNIST CNN (conv-bn-relu blocks, max pooling, linear) and MLP
(784-256-128-10, Linear-ReLU). Both take normalized float32 input [N,1,28,28] and return logits [N,10]."""
import torch
from torch import nn


class FashionCNN(nn.Module):
    """conv(1->16)-bn-relu-maxpool, conv(16->32)-bn-relu-maxpool, conv(32->64)-bn-relu, flatten, linear(3136->10)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        self.relu3 = nn.ReLU()
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64 * 7 * 7, 10)

    def forward(self, x):
        x = self.pool1(self.relu1(self.bn1(self.conv1(x))))
        x = self.pool2(self.relu2(self.bn2(self.conv2(x))))
        x = self.relu3(self.bn3(self.conv3(x)))
        return self.fc(self.flatten(x))


class FashionMLP(nn.Module):
    """flatten, linear(784->256)-relu, linear(256->128)-relu, linear(128->10)."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(784, 256)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(256, 128)
        self.relu2 = nn.ReLU()
        self.fc3 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.flatten(x)
        x = self.relu1(self.fc1(x))
        x = self.relu2(self.fc2(x))
        return self.fc3(x)


FASHION_NETS = {"fashion_cnn": FashionCNN, "fashion_mlp": FashionMLP}


def load_trained(name, path):
    """Builds network `name` ('fashion_cnn' or 'fashion_mlp') in eval mode with the state dict at `path`."""
    net = FASHION_NETS[name]()
    net.load_state_dict(torch.load(path, map_location="cpu"))
    return net.eval()
