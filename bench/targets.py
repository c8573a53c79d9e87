"""Issue 13's targets (item 3), evaluated on the figures of one run (pure; tested by
tests/test_bench_harness.py). A target whose figures were not measured in this run (a
database or scale left out, wrk missing) is reported as not run: it neither passes nor
fails."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bench.plan import ADD, BIG_TAB, CLIENT_HOME, CLONE, FLOOR, KEY_REQUESTS

PAGE_P95_MS = 50.0
RATIO_MAX = 2.0
HOME_RPS_MIN = 400.0
HOME_RPS_FLOOR_SHARE = 0.5
BIG_TAB_TODAY_P50_MS = 350.0
BIG_TAB_SPEEDUP = 10.0
BULK_SECONDS_MAX = 1.0


@dataclass(frozen=True)
class Target:
    name: str
    passed: bool | None  # None: not measured in this run
    figure: str
    limit: str

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "FAIL", None: "not run"}[self.passed]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict}


def _label(run: dict[str, Any]) -> str:
    return f"{run['db']} {run['scale']}"


def _page_targets(run: dict[str, Any]) -> list[Target]:
    out = []
    floor = run.get("floor") or {}
    for request in KEY_REQUESTS:
        if not request.key:
            continue
        figures = run["requests"].get(request.name) or {}
        where = f"{_label(run)}, {request.name}"
        http = figures.get("http")
        if figures.get("error") or not http:
            failed = figures.get("error") or "not measured"
            out.append(Target(f"{where}: p95", False, str(failed), f"<= {PAGE_P95_MS:g} ms"))
            continue
        p95 = http["p95_ms"]
        out.append(
            Target(f"{where}: p95", p95 <= PAGE_P95_MS, f"{p95:.1f} ms", f"<= {PAGE_P95_MS:g} ms")
        )
        ratio = figures.get("ratio")
        if ratio is None or not floor:
            out.append(Target(f"{where}: p50 / (floor + SQL)", None, "no floor", "<= 2"))
        else:
            figure = (
                f"{ratio:.3f} ({http['p50_ms']:.1f} / ({floor['p50_ms']:.1f} + "
                f"{figures['sql']['p50_ms']:.1f}) ms)"
            )
            out.append(
                Target(
                    f"{where}: p50 / (floor + SQL)",
                    ratio <= RATIO_MAX,
                    figure,
                    f"<= {RATIO_MAX:g}",
                )
            )
    return out


def _big_tab_target(run: dict[str, Any]) -> Target:
    limit_ms = BIG_TAB_TODAY_P50_MS / BIG_TAB_SPEEDUP
    figures = run["requests"].get(BIG_TAB) or {}
    name = f"{_label(run)}, {BIG_TAB}: p50 10x faster than {BIG_TAB_TODAY_P50_MS:g} ms"
    http = figures.get("http")
    if not http:
        return Target(name, False, str(figures.get("error") or "not measured"), "")
    p50 = http["p50_ms"]
    return Target(name, p50 <= limit_ms, f"{p50:.1f} ms", f"<= {limit_ms:g} ms")


def _throughput_targets(run: dict[str, Any]) -> list[Target]:
    name_min = f"{_label(run)}, {CLIENT_HOME} under wrk: requests/s"
    name_share = f"{_label(run)}, {CLIENT_HOME} under wrk: share of the floor's requests/s"
    throughput = run.get("throughput") or {}
    home, floor = throughput.get(CLIENT_HOME), throughput.get(FLOOR)
    if not home or not floor or home.get("error") or floor.get("error"):
        why = (home or {}).get("error") or (floor or {}).get("error") or "not run"
        return [
            Target(name_min, None, why, f">= {HOME_RPS_MIN:g}"),
            Target(name_share, None, why, f">= {HOME_RPS_FLOOR_SHARE:g}"),
        ]
    share = home["rps"] / floor["rps"] if floor["rps"] else 0.0
    return [
        Target(name_min, home["rps"] >= HOME_RPS_MIN, f"{home['rps']:.0f}", f">= {HOME_RPS_MIN:g}"),
        Target(
            name_share,
            share >= HOME_RPS_FLOOR_SHARE,
            f"{share:.2f} ({home['rps']:.0f} / {floor['rps']:.0f})",
            f">= {HOME_RPS_FLOOR_SHARE:g}",
        ),
    ]


def _bulk_targets(run: dict[str, Any]) -> list[Target]:
    out = []
    for name in (CLONE, ADD):
        figures = run.get("bulk", {}).get(name) or {}
        target = f"{_label(run)}, {name}"
        if figures.get("error") or "seconds" not in figures:
            failed = figures.get("error") or "not measured"
            out.append(Target(target, False, str(failed), f"< {BULK_SECONDS_MAX:g} s"))
            continue
        seconds = figures["seconds"]
        out.append(
            Target(
                target,
                seconds < BULK_SECONDS_MAX,
                f"{seconds:.3f} s, {figures['queries']} queries",
                f"< {BULK_SECONDS_MAX:g} s",
            )
        )
    return out


def _same_queries(small: dict[str, Any], large: dict[str, Any]) -> list[Target]:
    """Every key request (and the clone) makes as many queries at large as at small."""
    out = []
    pairs = [(r.name, "requests") for r in KEY_REQUESTS if r.key] + [(CLONE, "bulk")]
    for name, section in pairs:
        at_small = (small.get(section, {}).get(name) or {}).get("queries")
        at_large = (large.get(section, {}).get(name) or {}).get("queries")
        target = f"{small['db']}, {name}: queries at small = at large"
        if at_small is None or at_large is None:
            out.append(Target(target, False, f"{at_small} / {at_large}", "equal"))
        else:
            out.append(Target(target, at_small == at_large, f"{at_small} / {at_large}", "equal"))
    return out


def evaluate(runs: list[dict[str, Any]]) -> list[Target]:
    """Every target of issue 13 item 3 that this run's figures decide."""
    out: list[Target] = []
    by_key = {(run["db"], run["scale"]): run for run in runs}
    for run in runs:
        if run["scale"] == "large":
            out += _page_targets(run)
            out.append(_big_tab_target(run))
        out += _bulk_targets(run)
    large_pg = by_key.get(("postgres", "large"))
    if large_pg is not None:
        out += _throughput_targets(large_pg)
    for db in sorted({run["db"] for run in runs}):
        if (db, "small") in by_key and (db, "large") in by_key:
            out += _same_queries(by_key[(db, "small")], by_key[(db, "large")])
    return out
