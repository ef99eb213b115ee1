"""The scaling model: step time = compute + reduction within the node + allreduce between
nodes, with nothing overlapped (dptrain averages gradients after backward), so

  compute(b, T)     = (a + s b) / (speedup(T) * core speed)    fitted a, s at 1 thread
  within(L, n)      = k alpha_node + max(n g, 2 L n / node memory bandwidth)
  between(N, n)     = k 2 log2(N) alpha_net + 2 (N-1)/N n / beta_net   (0 on one node)

for per-rank batch b, T threads per rank, L ranks per node, N nodes, gradient bytes n in k
buckets. Strong scaling keeps the global batch G: b = G / (N L). Weak scaling keeps b."""

import math
from dataclasses import dataclass


@dataclass
class Machine:
    """What the prediction needs to know about the target; network figures may be assumed."""
    cores_per_node: int
    network_latency_s: float
    network_bandwidth: float
    node_memory_bandwidth: float
    core_speed: float
    dataset_samples: int


@dataclass
class Workload:
    gradient_bytes: float
    buckets: int
    compute_intercept_s: float  # a: per step, 1 thread
    compute_per_sample_s: float  # s: per sample, 1 thread
    serial_fraction: float
    node_alpha_s: float  # per bucket, within a node
    node_seconds_per_byte: float  # g


def thread_speedup(threads, serial_fraction):
    return 1.0 / (serial_fraction + (1.0 - serial_fraction) / threads)


def compute_seconds(w, m, batch, threads):
    one_thread = w.compute_intercept_s + w.compute_per_sample_s * batch
    return one_thread / (thread_speedup(threads, w.serial_fraction) * m.core_speed)


def within_node_seconds(w, m, ranks_per_node):
    if ranks_per_node == 1:
        return 0.0
    per_bucket = w.gradient_bytes / w.buckets
    streaming = max(per_bucket * w.node_seconds_per_byte,
                    2 * ranks_per_node * per_bucket / m.node_memory_bandwidth)
    return w.buckets * (w.node_alpha_s + streaming)


def between_nodes_seconds(w, m, nodes):
    if nodes == 1:
        return 0.0
    latency = 2 * math.ceil(math.log2(nodes)) * m.network_latency_s
    bandwidth = 2 * (nodes - 1) / nodes * (w.gradient_bytes / w.buckets) / m.network_bandwidth
    return w.buckets * (latency + bandwidth)


def step_seconds(w, m, nodes, ranks_per_node, threads, batch):
    return (compute_seconds(w, m, batch, threads) + within_node_seconds(w, m, ranks_per_node)
            + between_nodes_seconds(w, m, nodes))


def predict(w, m, node_counts, ranks_per_node, threads, batch_per_rank):
    """Rows of predicted weak and strong scaling from one node with the given layout.
    Strong scaling keeps the one-node global batch, so it ends where a rank's batch drops
    below one sample."""
    global_batch = ranks_per_node * batch_per_rank
    weak_base = step_seconds(w, m, 1, ranks_per_node, threads, batch_per_rank)
    strong_base = weak_base
    rows = []
    for n in node_counts:
        weak = step_seconds(w, m, n, ranks_per_node, threads, batch_per_rank)
        row = {"nodes": n,
               "weak_step_seconds": weak,
               "weak_samples_per_second": n * global_batch / weak,
               "weak_efficiency": weak_base / weak,
               "weak_epoch_seconds": math.ceil(m.dataset_samples / (n * global_batch)) * weak}
        batch = global_batch / (n * ranks_per_node)
        if batch >= 1:
            strong = step_seconds(w, m, n, ranks_per_node, threads, batch)
            row.update(strong_step_seconds=strong,
                       strong_speedup=strong_base / strong,
                       strong_efficiency=strong_base / strong / n,
                       strong_epoch_seconds=math.ceil(m.dataset_samples / global_batch) * strong)
        rows.append(row)
    return rows


def candidate_layouts(cores_per_node):
    """Whole-node layouts ranks x threads with a power-of-two thread count."""
    layouts = []
    threads = 1
    while threads <= min(16, cores_per_node):
        if cores_per_node % threads == 0:
            layouts.append((cores_per_node // threads, threads))
        threads *= 2
    return layouts


def best_layout(w, m, nodes, batch_per_rank):
    """The layout with the highest predicted weak-scaling throughput per node at `nodes`."""
    def throughput(layout):
        ranks, threads = layout
        return ranks * batch_per_rank / step_seconds(w, m, nodes, ranks, threads, batch_per_rank)
    return max(candidate_layouts(m.cores_per_node), key=throughput)


def strong_scaling_limit(rows, threshold=0.5):
    """The most nodes at which strong scaling keeps `threshold` efficiency, and the first node
    count at which adding nodes makes steps slower (None if it never does)."""
    strong = [r for r in rows if "strong_efficiency" in r]
    paying = [r["nodes"] for r in strong if r["strong_efficiency"] >= threshold]
    slower = next((b["nodes"] for a, b in zip(strong, strong[1:])
                   if b["strong_step_seconds"] >= a["strong_step_seconds"]), None)
    return (max(paying) if paying else None), slower
