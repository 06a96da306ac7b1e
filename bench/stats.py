"""Small, pure helpers for the benchmark: percentiles, medians of rounds, the printed table."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile (0-100) with linear interpolation between ranks; NaN for no values."""
    if not values:
        return math.nan
    if not 0 <= pct <= 100:
        raise ValueError(f"A percentile is between 0 and 100, not {pct}.")
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * pct / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max/mean of a list of latencies in milliseconds, rounded for printing."""
    if not latencies_ms:
        return {"n": 0, "p50": math.nan, "p95": math.nan, "p99": math.nan, "max": math.nan, "mean": math.nan}
    return {
        "n": len(latencies_ms),
        "p50": round(percentile(latencies_ms, 50), 2),
        "p95": round(percentile(latencies_ms, 95), 2),
        "p99": round(percentile(latencies_ms, 99), 2),
        "max": round(max(latencies_ms), 2),
        "mean": round(statistics.fmean(latencies_ms), 2),
    }


def median_of_rounds(rounds: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Per key, the median over rounds of the numeric values (non-numeric: taken from the first round).

    NaN and None values are left out of the median; a key with no numeric value left is NaN.
    """
    if not rounds:
        return {}
    merged: dict[str, Any] = {}
    for key in rounds[0]:
        values = [r.get(key) for r in rounds]
        numbers = [
            float(v)
            for v in values
            if isinstance(v, int | float) and not isinstance(v, bool) and not math.isnan(float(v))
        ]
        first = values[0]
        if isinstance(first, int | float) and not isinstance(first, bool):
            merged[key] = round(statistics.median(numbers), 3) if numbers else math.nan
        else:
            merged[key] = first
    return merged


def ratio(ours: float | None, theirs: float | None) -> float | None:
    """ours / theirs, or None when either is missing, NaN or theirs is zero."""
    if ours is None or theirs is None:
        return None
    if math.isnan(ours) or math.isnan(theirs) or theirs == 0:
        return None
    return round(ours / theirs, 2)


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def format_table(rows: Iterable[Sequence[Any]], header: Sequence[str]) -> str:
    """A Markdown table (it reads well in a terminal too)."""
    cells = [[fmt(v) for v in row] for row in rows]
    widths = [len(h) for h in header]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(widths[i]) for i, v in enumerate(values)) + " |"

    out = [line(list(header)), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out.extend(line(row) for row in cells)
    return "\n".join(out)
