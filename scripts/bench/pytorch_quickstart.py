"""PyTorch reference: the quickstart (fashion.py) training loop, timed per epoch.

Same model, loss, optimizer, batch size and (no) shuffling as the tutorial, with its
DataLoader over torchvision's FashionMNIST, on the CPU or (--device cuda) a GPU, as the
tutorial moves each batch there. Prints one JSON line:
{"reference": "pytorch-quickstart", "samples_per_second": best epoch, "epoch_seconds": [...], ...}
"""
import argparse
import json
import time

import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.transforms import ToTensor

parser = argparse.ArgumentParser()
parser.add_argument("--root", required=True, help="directory holding FashionMNIST/raw/")
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--batch", type=int, default=64)
parser.add_argument("--device", default="cpu")
args = parser.parse_args()
torch.set_num_threads(args.threads)

train = datasets.FashionMNIST(root=args.root, train=True, download=False, transform=ToTensor())
test = datasets.FashionMNIST(root=args.root, train=False, download=False, transform=ToTensor())
train_loader = DataLoader(train, batch_size=args.batch)
test_loader = DataLoader(test, batch_size=args.batch)

torch.manual_seed(0)
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                      nn.Linear(512, 10)).to(args.device)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)

epoch_seconds, accuracy = [], []
for epoch in range(args.epochs):
    start = time.perf_counter()
    model.train()
    for x, y in train_loader:
        x, y = x.to(args.device), y.to(args.device)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    epoch_seconds.append(time.perf_counter() - start)
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in test_loader:
            x, y = x.to(args.device), y.to(args.device)
            correct += (model(x).argmax(1) == y).sum().item()
    accuracy.append(correct / len(test))

print(json.dumps({"reference": "pytorch-quickstart", "device": args.device, "threads": args.threads,
                  "epoch_seconds": epoch_seconds, "test_accuracy": accuracy,
                  "samples_per_second": len(train) / min(epoch_seconds)}))
