"""Figures from timings (pure: no Django, no I/O; tests/test_bench_harness.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) by linear interpolation between the closest ranks
    (numpy's default); ValueError on no values."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} is not between 0 and 100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def summary_ms(seconds: Sequence[float]) -> dict[str, float | int]:
    """n, p50, p95, p99, min and max in milliseconds of durations given in seconds."""
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "min_ms": round(min(ms), 3),
        "max_ms": round(max(ms), 3),
    }


def ratio(p50_ms: float, floor_p50_ms: float, sql_p50_ms: float) -> float:
    """A request's p50 over what it cannot go below: the floor view's p50 plus the raw
    time of its own SQL."""
    base = floor_p50_ms + sql_p50_ms
    if base <= 0:
        raise ValueError("the floor plus raw SQL must be positive")
    return round(p50_ms / base, 3)
