"""bench/results/latest.json and latest.md from one run's figures (pure but for the
writing; tests/test_bench_harness.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.plan import BULK, FLOOR, KEY_REQUESTS, THROUGHPUT
from bench.targets import Target, evaluate


def _cell(figures: dict[str, Any] | None, wanted: int) -> str:
    if not figures:
        return "-"
    if figures.get("error"):
        return f"error: {figures['error']}"
    http = figures.get("http") or {}
    parts = [f"{http['p50_ms']:.1f} / {http['p95_ms']:.1f}"] if http else []
    if http and http["n"] < wanted:
        parts[0] += f" (only {http['n']} requests)"
    if "sql" in figures:
        parts.append(f"SQL {figures['sql']['p50_ms']:.1f}")
    if "queries" in figures:
        parts.append(f"{figures['queries']} q")
    if figures.get("ratio") is not None:
        parts.append(f"{figures['ratio']:.2f}x")
    return " · ".join(parts)


def markdown(meta: dict[str, Any], runs: list[dict[str, Any]], targets: list[Target]) -> str:
    labels = [f"{run['db']} {run['scale']}" for run in runs]
    lines = [
        f"Portail `make bench`, {meta['date']} on {meta['machine']} ({meta['cpus']} CPUs), "
        f"Python {meta['python']}, Django {meta['django']}, "
        f"{meta.get('postgres') or 'no PostgreSQL'}, {meta.get('sqlite') or 'no SQLite'}, "
        f"gunicorn {meta['gunicorn']['version']} "
        f"(`{meta['gunicorn']['how']}`), {meta['requests']} timed requests after "
        f"{meta['warmup']} of warm-up{', QUICK smoke run' if meta.get('quick') else ''}.",
        "",
        "Each cell: p50 / p95 ms over HTTP · raw SQL p50 ms · queries · p50 / (floor p50 "
        "+ raw SQL p50).",
        "",
        "| request | " + " | ".join(labels) + " |",
        "|---|" + "---|" * len(labels),
    ]
    floor_cells = [
        _cell({"http": run["floor"]}, meta["requests"]) if run.get("floor") else "-" for run in runs
    ]
    lines.append(f"| {FLOOR} | " + " | ".join(floor_cells) + " |")
    for request in KEY_REQUESTS:
        cells = [_cell(run["requests"].get(request.name), meta["requests"]) for run in runs]
        name = request.name if request.key else f"{request.name} (not a key page)"
        lines.append(f"| {name} | " + " | ".join(cells) + " |")

    lines += ["", "| bulk (rolled back) | " + " | ".join(labels) + " |"]
    lines.append("|---|" + "---|" * len(labels))
    for name in BULK:
        cells = []
        for run in runs:
            figures = run.get("bulk", {}).get(name)
            if not figures:
                cells.append("-")
            elif figures.get("error"):
                cells.append(f"error: {figures['error']}")
            else:
                cells.append(f"{figures['seconds'] * 1000:.0f} ms · {figures['queries']} q")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")

    measured = [run for run in runs if run.get("throughput")]
    for run in measured:
        lines += [
            "",
            f"Throughput, {run['db']} {run['scale']} (wrk, {meta['wrk']['connections']} "
            f"connections, {meta['wrk']['seconds']} s each):",
            "",
            "| request | requests/s | p50 ms | p99 ms | errors |",
            "|---|---|---|---|---|",
        ]
        for name in THROUGHPUT:
            figures = run["throughput"].get(name) or {}
            if figures.get("error") or not figures:
                lines.append(f"| {name} | {figures.get('error', '-')} | | | |")
                continue
            lines.append(
                f"| {name} | {figures['rps']:.0f} | {figures['p50_ms']:.1f} | "
                f"{figures['p99_ms']:.1f} | {figures['errors']} |"
            )

    lines += ["", "| target | figure | limit | verdict |", "|---|---|---|---|"]
    lines += [f"| {t.name} | {t.figure} | {t.limit} | {t.verdict} |" for t in targets]
    failed = sum(1 for t in targets if t.passed is False)
    skipped = sum(1 for t in targets if t.passed is None)
    lines += [
        "",
        f"{len(targets) - failed - skipped} targets pass, {failed} fail, {skipped} not run.",
        "",
    ]
    return "\n".join(lines)


def write(
    directory: Path, meta: dict[str, Any], runs: list[dict[str, Any]], targets: list[Target]
) -> tuple[Path, Path]:
    """Write latest.json (every figure) and latest.md (the tables) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    as_json = directory / "latest.json"
    as_md = directory / "latest.md"
    document = {"meta": meta, "runs": runs, "targets": [t.as_dict() for t in targets]}
    as_json.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    as_md.write_text(markdown(meta, runs, targets))
    return as_json, as_md


def rewrite(directory: Path) -> Path:
    """latest.md again from latest.json (targets evaluated again from its figures)."""
    document = json.loads((directory / "latest.json").read_text())
    runs = document["runs"]
    return write(directory, document["meta"], runs, evaluate(runs))[1]


if __name__ == "__main__":  # python -m bench.report [results directory]
    import sys

    print(rewrite(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "results"))
