"""`make bench`'s pure parts (issue 13): percentiles, the targets' verdicts, wrk's report,
the results files. Nothing here times anything or starts gunicorn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import report, stats, targets, wrk
from bench.plan import ADD, BIG_TAB, CLIENT_HOME, CLONE, FLOOR, KEY_REQUESTS, PROFILE_EDIT


def test_issue13_percentiles_interpolate_between_ranks() -> None:
    assert stats.percentile([5.0], 95) == 5.0
    assert stats.percentile([1, 2, 3, 4], 50) == 2.5
    assert stats.percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert stats.percentile([3, 1, 2], 0) == 1
    assert stats.percentile([3, 1, 2], 100) == 3
    with pytest.raises(ValueError, match="no values"):
        stats.percentile([], 50)
    with pytest.raises(ValueError, match="between 0 and 100"):
        stats.percentile([1], 101)


def test_issue13_summary_is_in_milliseconds_and_the_ratio_is_over_floor_plus_sql() -> None:
    summary = stats.summary_ms([0.010, 0.020, 0.030])
    assert summary["n"] == 3
    assert summary["p50_ms"] == 20.0
    assert summary["max_ms"] == 30.0
    assert stats.ratio(30.0, 10.0, 5.0) == 2.0
    with pytest.raises(ValueError, match="positive"):
        stats.ratio(1.0, 0.0, 0.0)


WRK_REPORT = """Running 20s test @ http://127.0.0.1:8123/p/bench-large/projects/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    35.10ms   10.02ms 210.33ms   80.00%
    Req/Sec   228.50     30.10   300.00     70.00%
  Latency Distribution
     50%   33.20ms
     75%   40.00ms
     90%   48.00ms
     99%    1.20s
  9140 requests in 20.01s, 40.12MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:    456.77
Transfer/sec:      2.00MB
"""


def test_issue13_wrk_report_gives_rate_latency_and_errors() -> None:
    figures = wrk.parse(WRK_REPORT)
    assert figures["rps"] == 456.77
    assert figures["requests"] == 9140
    assert figures["p50_ms"] == pytest.approx(33.2)
    assert figures["p99_ms"] == pytest.approx(1200.0)
    assert (figures["non_2xx"], figures["socket_errors"], figures["errors"]) == (4, 5, 9)
    assert wrk.duration_ms("812.00us") == pytest.approx(0.812)
    with pytest.raises(ValueError, match="not a wrk report"):
        wrk.parse("wrk: connection refused")


def page(p50: float, p95: float, sql: float, queries: int = 8) -> dict[str, Any]:
    return {
        "http": {"n": 200, "p50_ms": p50, "p95_ms": p95},
        "sql": {"p50_ms": sql},
        "queries": queries,
        "ratio": stats.ratio(p50, 5.0, sql),
    }


def run_of(db: str, scale: str, **changes: dict[str, Any]) -> dict[str, Any]:
    requests = {r.name: page(10.0, 20.0, 2.0) for r in KEY_REQUESTS}
    requests.update(changes.get("requests", {}))
    bulk = {
        CLONE: {"seconds": 0.4, "queries": 12},
        ADD: {"seconds": 0.5, "queries": 15},
        PROFILE_EDIT: {"seconds": 0.01, "queries": 5},
    }
    bulk.update(changes.get("bulk", {}))
    run = {
        "db": db,
        "scale": scale,
        "floor": {"n": 200, "p50_ms": 5.0, "p95_ms": 7.0},
        "requests": requests,
        "bulk": bulk,
    }
    if db == "postgres" and scale == "large":
        run["throughput"] = changes.get(
            "throughput",
            {
                FLOOR: {"rps": 900.0, "p50_ms": 15.0, "p99_ms": 30.0, "errors": 0},
                CLIENT_HOME: {"rps": 500.0, "p50_ms": 30.0, "p99_ms": 60.0, "errors": 0},
                BIG_TAB: {"rps": 300.0, "p50_ms": 50.0, "p99_ms": 90.0, "errors": 0},
            },
        )
    return run


def verdicts(runs: list[dict[str, Any]]) -> dict[str, bool | None]:
    return {t.name: t.passed for t in targets.evaluate(runs)}


def test_issue13_every_target_passes_on_good_figures() -> None:
    runs = [run_of(db, scale) for db in ("sqlite", "postgres") for scale in ("small", "large")]
    result = verdicts(runs)
    assert result
    assert all(result.values()), [name for name, ok in result.items() if not ok]
    # Page targets at large only; throughput on PostgreSQL large; queries per database.
    assert "sqlite large, audit list: p95" in result
    assert "sqlite small, audit list: p95" not in result
    assert "postgres large, home (client) under wrk: requests/s" in result
    assert "sqlite, clone dialog: queries at small = at large" in result
    # The profile page is measured but is not a key page.
    assert not any("profile page" in name for name in result)


def test_issue13_each_missed_target_fails_by_name() -> None:
    slow = run_of(
        "postgres",
        "large",
        requests={
            "audit list": page(11.0, 51.0, 1.0),  # p95 over 50 ms
            "project list (staff)": page(30.0, 40.0, 2.0),  # 30 > 2 x (5 + 2)
            BIG_TAB: page(36.0, 45.0, 20.0),  # 36 ms is not 10x faster than 350
            CLIENT_HOME: page(10.0, 20.0, 2.0, queries=9),  # one more query than at small
        },
        bulk={CLONE: {"error": "refused: At most 500 people"}, ADD: {"seconds": 1.2, "queries": 9}},
        throughput={
            FLOOR: {"rps": 900.0, "p50_ms": 15.0, "p99_ms": 30.0, "errors": 0},
            CLIENT_HOME: {"rps": 420.0, "p50_ms": 30.0, "p99_ms": 60.0, "errors": 0},
        },
    )
    result = verdicts([run_of("postgres", "small"), slow])
    failed = {name for name, ok in result.items() if ok is False}
    assert failed == {
        "postgres large, audit list: p95",
        "postgres large, project list (staff): p50 / (floor + SQL)",
        "postgres large, project tab, 1,000 client users: p50 10x faster than 350 ms",
        "postgres, home (client): queries at small = at large",
        "postgres large, clone a customisation to 1,000 people",
        "postgres, clone a customisation to 1,000 people: queries at small = at large",
        "postgres large, add 500 client users to a project",
        # 420 requests/s is over 400 but under half the floor's 900.
        "postgres large, home (client) under wrk: share of the floor's requests/s",
    }


def test_issue13_a_target_not_measured_is_not_run_rather_than_passed() -> None:
    no_wrk = {FLOOR: {"error": "wrk not installed"}, CLIENT_HOME: {"error": "wrk not installed"}}
    result = verdicts([run_of("postgres", "large", throughput=no_wrk)])
    assert result["postgres large, home (client) under wrk: requests/s"] is None
    assert not any("small = at large" in name for name in result)  # one scale only


def test_issue13_results_are_written_as_json_and_a_markdown_table(tmp_path: Path) -> None:
    runs = [run_of("postgres", "small"), run_of("postgres", "large")]
    runs[1]["requests"]["clone dialog"] = {"error": "HTTP 302 /accounts/signin/"}
    runs[1]["requests"]["permission grid"]["http"]["n"] = 57  # out of time
    meta = {
        "date": "2026-11-30T12:00:00+00:00",
        "machine": "test machine",
        "cpus": 2,
        "python": "3.11",
        "django": "5.2",
        "postgres": "postgresql 150020",
        "gunicorn": {"version": "23", "how": "gunicorn -c gunicorn.conf.py"},
        "wrk": {"connections": 16, "seconds": 20},
        "requests": 200,
        "warmup": 20,
    }
    evaluated = targets.evaluate(runs)
    as_json, as_md = report.write(tmp_path / "results", meta, runs, evaluated)

    document = json.loads(as_json.read_text())
    assert document["meta"]["machine"] == "test machine"
    assert document["runs"][1]["requests"]["audit list"]["http"]["p50_ms"] == 10.0
    failed = [t for t in document["targets"] if t["verdict"] == "FAIL"]
    assert [t["name"] for t in failed] == [
        "postgres large, clone dialog: p95",
        "postgres, clone dialog: queries at small = at large",
    ]
    table = as_md.read_text()
    assert "| request | postgres small | postgres large |" in table
    assert "| audit list | 10.0 / 20.0 · SQL 2.0 · 8 q · 1.43x | 10.0 / 20.0" in table
    assert "error: HTTP 302 /accounts/signin/" in table
    assert "10.0 / 20.0 (only 57 requests) · SQL 2.0" in table
    assert "| home (client) | 500 | 30.0 | 60.0 | 0 |" in table
    assert (
        "| postgres large, clone dialog: p95 | HTTP 302 /accounts/signin/ | <= 50 ms | FAIL |"
        in (table)
    )

    assert report.rewrite(tmp_path / "results") == as_md
    assert as_md.read_text() == table  # the same table again from latest.json
