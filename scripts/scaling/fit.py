"""Fits the scaling model's inputs to a study's measurements (runs.csv):

- compute: a rank's step time without gradient averaging, t = a + s * batch, per thread count;
- within a node: one bucket's node-shared reduction, t = alpha + g * bytes (the ranks reduce
  their segments in parallel, so g is a per-rank streaming cost);
- between nodes (runs with one rank per node): one bucket's MPI_Allreduce,
  t = 2 log2(N) alpha + 2 (N-1)/N bytes / beta (Rabenseifner's reduce-scatter + allgather).

Fewer than two distinct x values leave the intercept at 0 and put everything in the slope."""

import math
import statistics

# Parameter counts and 4 MiB gradient buckets of the registry's models (src/model/registry.cpp;
# buckets as plan_buckets in src/comm/gradient_sync.cpp fills them, from the last layer back:
# wide-mlp's are its last layer with the second bias, the 16 MB middle weight, the first bias,
# and the 6.4 MB first weight).
MODELS = {
    "quickstart-mlp": {"parameters": 669_706, "buckets": 1},
    "wide-mlp": {"parameters": 5_824_522, "buckets": 4},
    "small-cnn": {"parameters": 421_642, "buckets": 1},
}


def gradient_bytes(model):
    return 4 * MODELS[model]["parameters"]


def line_fit(points):
    """Least squares y = a + b x, with a >= 0 and b >= 0 (costs are never negative)."""
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    if len(set(xs)) < 2:
        return 0.0, max(0.0, statistics.fmean(ys) / statistics.fmean(xs))
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x in xs)
    intercept = my - slope * mx
    if slope <= 0 or intercept < 0:
        # Noise (e.g. cores shared with other work) gave an unphysical line: a cost that falls
        # with size, or a negative fixed cost. Refit through the origin, all of it per unit.
        return 0.0, sum(x * y for x, y in points) / sum(x * x for x in xs)
    return intercept, slope


def compute_points(rows, model):
    """{threads: [(batch per rank, seconds of a step without the wait for the sums)]}."""
    by_threads = {}
    for r in rows:
        if r["model"] == model:
            compute = r["step_seconds"] - r["allreduce_seconds_per_step"]
            by_threads.setdefault(int(r["threads"]), []).append((r["batch_per_rank"], compute))
    return dict(sorted(by_threads.items()))


def fit_compute(rows, model):
    """{threads: (a seconds, s seconds per sample)} for one model."""
    by_threads = compute_points(rows, model)
    if not by_threads:
        raise ValueError(f"no run of model {model} to fit its compute time")
    return {t: line_fit(points) for t, points in by_threads.items()}


def serial_fraction(rows, model, compute, fallback):
    """Amdahl's serial fraction from the 2-thread runs against 1 thread at the same batch, or
    `fallback` without both: each 2-thread run's measured step beside the 1-thread line at its
    batch (a measurement there, when there is one), the median over the 2-thread runs."""
    two_threads = compute_points(rows, model).get(2)
    if 1 not in compute or not two_threads:
        return fallback, False
    a, s = compute[1]
    fractions = [2 * t2 / (a + s * batch) - 1 for batch, t2 in two_threads]
    return min(1.0, max(0.0, statistics.median(fractions))), True


def per_bucket_points(rows, keep):
    points = []
    for r in rows:
        if keep(r) and r["model"] in MODELS:
            buckets = MODELS[r["model"]]["buckets"]
            per_bucket = r["allreduce_seconds_per_step"] / buckets
            points.append((gradient_bytes(r["model"]) / buckets, per_bucket, r))
    return points


def fit_intra_node(rows):
    """(alpha, g) or None when no run had several ranks on one node."""
    points = per_bucket_points(rows, lambda r: r["nodes"] == 1 and r["ranks_per_node"] > 1)
    return line_fit([(x, y) for x, y, _ in points]) if points else None


def two_term_fit(samples):
    """Least squares y = p * u + q * v through the origin, p, q >= 0."""
    suu = sum(u * u for u, _, _ in samples)
    svv = sum(v * v for _, v, _ in samples)
    suv = sum(u * v for u, v, _ in samples)
    suy = sum(u * y for u, _, y in samples)
    svy = sum(v * y for _, v, y in samples)
    det = suu * svv - suv * suv
    if det > 1e-12 * suu * svv:
        p, q = (suy * svv - svy * suv) / det, (svy * suu - suy * suv) / det
        if p >= 0 and q >= 0:
            return p, q
    return 0.0, svy / svv  # degenerate or negative latency: all of it is bandwidth


def fit_network(rows):
    """(alpha, beta) or None when no run had one rank on each of several nodes, or when those
    runs measured no time for the bytes (so no bandwidth)."""
    points = per_bucket_points(rows, lambda r: r["nodes"] > 1 and r["ranks_per_node"] == 1)
    if not points:
        return None
    samples = []
    for x, y, r in points:
        n = r["nodes"]
        samples.append((2 * math.ceil(math.log2(n)), 2 * (n - 1) / n * x, y))
    alpha, inverse_beta = two_term_fit(samples)
    return (alpha, 1 / inverse_beta) if inverse_beta > 0 else None
