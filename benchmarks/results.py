"""The closing table of a ``make bench`` run: one line per goal, both sides side by side.

Each benchmark prints its own detail as it goes and records here the lines of the performance
goals it measures: what was measured through the service and its baseline (the bare library or
SQL on the same machine, in the same run), their ratio, the goal and whether it was met, the
peak resident memory and CPU time per operation of the side under test. ``python -m
benchmarks`` prints the table once every benchmark ran; a benchmark that crashed gets a FAILED
line of its own, so the table always shows every goal of the benchmarks run.
"""

from __future__ import annotations

from dataclasses import dataclass

# Goals: which benchmark measures them, and what the table says when the benchmark crashed.
GOALS: dict[str, tuple[str, ...]] = {
    "submissions_rush": ("12-10 rush / raw asyncpg", "12-10 rush p99"),
    "registry_import": ("bulk import / raw COPY", "bulk import peak RSS"),
    "outbox_relay": ("outbox relay / bare producer", "relay p99 commit→publish"),
    "awards_round": ("application steps / no-op updates", "application step p95"),
    "statistics_month": ("statistics month / bare SQL",),
    "notifications_fanout": ("reminder fan-out / bare httpx", "fan-out memory growth"),
    "registry_search": ("search p95 (every shape)",),
    "awards_designations": ("yearly evaluation / no-op workflows",),
    "registry_writes": ("registry writes cpu",),
}


@dataclass(frozen=True)
class Line:
    benchmark: str
    measure: str
    ours: str  # the side under test, with its unit
    baseline: str  # the bare side, with its unit ("" when the goal is absolute)
    ratio: str  # ours/baseline as the goal reads it ("" when absolute)
    goal: str
    passed: bool | None  # None: recorded without a goal (context only)
    peak: str = ""  # peak resident memory of the side under test
    cpu: str = ""  # CPU time per operation of the side under test


RESULTS: list[Line] = []


def record(
    benchmark: str,
    measure: str,
    *,
    ours: str,
    goal: str,
    passed: bool | None,
    baseline: str = "",
    ratio: float | None = None,
    peak_mib: float | None = None,
    cpu_ms: float | None = None,
) -> None:
    RESULTS.append(
        Line(
            benchmark=benchmark,
            measure=measure,
            ours=ours,
            baseline=baseline,
            ratio="" if ratio is None else f"{ratio:.2f}",
            goal=goal,
            passed=passed,
            peak="" if peak_mib is None else f"{peak_mib:,.0f} MiB",
            cpu="" if cpu_ms is None else f"{cpu_ms:.2f} ms",
        )
    )


def record_crash(benchmark: str) -> None:
    for measure in GOALS.get(benchmark, (benchmark,)):
        record(benchmark, measure, ours="crashed", goal="", passed=False)


def table() -> str:
    header = ("measure", "ours", "baseline", "ratio", "goal", "peak RSS", "cpu/op", "")
    rows = [header] + [
        (
            line.measure,
            line.ours,
            line.baseline,
            line.ratio,
            line.goal,
            line.peak,
            line.cpu,
            "" if line.passed is None else "PASS" if line.passed else "FAIL",
        )
        for line in RESULTS
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    rendered = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    rendered.insert(1, "  ".join("-" * width for width in widths))
    passed = sum(1 for line in RESULTS if line.passed)
    failed = sum(1 for line in RESULTS if line.passed is False)
    rendered.append(f"{passed} goals met, {failed} not met")
    return "\n".join(rendered)
