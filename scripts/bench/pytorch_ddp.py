"""PyTorch reference: DistributedDataParallel on the quickstart MLP, each rank holding its
contiguous shard of the training set in memory (what a user writes to beat the quickstart).
gloo on the CPU; with --device cuda, NCCL with each rank on GPU (local rank) and its shard there.
Launch with mpirun -np N (rank and size come from Open MPI's environment).
Rank 0 prints one JSON line with the best epoch's samples/s over all ranks.
"""
import argparse
import json
import os
import time

import torch
import torch.distributed as dist
from torch import nn
from torchvision import datasets

parser = argparse.ArgumentParser()
parser.add_argument("--root", required=True, help="directory holding FashionMNIST/raw/")
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--batch", type=int, default=64, help="per rank")
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--device", default="cpu")
args = parser.parse_args()
torch.set_num_threads(args.threads)

for name, ompi in (("RANK", "OMPI_COMM_WORLD_RANK"), ("WORLD_SIZE", "OMPI_COMM_WORLD_SIZE"),
                   ("LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK")):
    if name not in os.environ and ompi in os.environ:
        os.environ[name] = os.environ[ompi]
os.environ.setdefault("RANK", "0")
os.environ.setdefault("WORLD_SIZE", "1")
os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
os.environ.setdefault("MASTER_PORT", "29533")
cuda = args.device == "cuda"
backend = "nccl" if cuda else "gloo"
device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0"))) if cuda else torch.device("cpu")
if cuda:
    torch.cuda.set_device(device)
dist.init_process_group(backend)
rank, world = dist.get_rank(), dist.get_world_size()

data = datasets.FashionMNIST(root=args.root, train=True, download=False)
per_rank = len(data.targets) // world
images = data.data.float().div(255).unsqueeze(1)[rank * per_rank:(rank + 1) * per_rank].to(device)
labels = data.targets[rank * per_rank:(rank + 1) * per_rank].to(device)

torch.manual_seed(0)
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                      nn.Linear(512, 10)).to(device)
ddp = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if cuda else None)
optimizer = torch.optim.SGD(ddp.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()

epoch_seconds = []
for epoch in range(args.epochs):
    dist.barrier()
    start = time.perf_counter()
    for i in range(0, per_rank, args.batch):
        loss = loss_fn(ddp(images[i:i + args.batch]), labels[i:i + args.batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if cuda:
        torch.cuda.synchronize()
    dist.barrier()
    epoch_seconds.append(time.perf_counter() - start)

if rank == 0:
    print(json.dumps({"reference": f"pytorch-ddp-{backend}", "ranks": world, "threads": args.threads,
                      "epoch_seconds": epoch_seconds,
                      "samples_per_second": per_rank * world / min(epoch_seconds)}))
dist.destroy_process_group()
