"""PyTorch reference for GPUs: the quickstart MLP with the training set in GPU memory and every
full step (forward, backward, SGD update) recorded once as a CUDA graph and replayed, as
PyTorch's CUDA-graph documentation shows ("whole network capture"). The fastest loop PyTorch
itself offers for this launch-bound model. Prints one JSON line with the best epoch's samples/s.
"""
import argparse
import json
import time

import torch
from torch import nn
from torchvision import datasets

parser = argparse.ArgumentParser()
parser.add_argument("--root", required=True, help="directory holding FashionMNIST/raw/")
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--batch", type=int, default=64)
args = parser.parse_args()
device = torch.device("cuda")

data = datasets.FashionMNIST(root=args.root, train=True, download=False)
images = data.data.to(device).float().div(255).unsqueeze(1)
labels = data.targets.to(device)
full = len(labels) // args.batch * args.batch  # the graph replays full batches only

torch.manual_seed(0)
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                      nn.Linear(512, 10)).to(device)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
static_x = images[:args.batch].clone()
static_y = labels[:args.batch].clone()

side = torch.cuda.Stream()
side.wait_stream(torch.cuda.current_stream())
with torch.cuda.stream(side):
    for _ in range(3):  # warm-up outside the graph
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(static_x), static_y).backward()
        optimizer.step()
torch.cuda.current_stream().wait_stream(side)

graph = torch.cuda.CUDAGraph()
optimizer.zero_grad(set_to_none=True)
with torch.cuda.graph(graph):
    static_loss = loss_fn(model(static_x), static_y)
    static_loss.backward()
    optimizer.step()

epoch_seconds = []
for epoch in range(args.epochs):
    torch.cuda.synchronize()
    start = time.perf_counter()
    for i in range(0, full, args.batch):
        static_x.copy_(images[i:i + args.batch])
        static_y.copy_(labels[i:i + args.batch])
        graph.replay()
    torch.cuda.synchronize()
    epoch_seconds.append(time.perf_counter() - start)

print(json.dumps({"reference": "pytorch-cuda-graph", "epoch_seconds": epoch_seconds,
                  "samples_per_second": full / min(epoch_seconds)}))
