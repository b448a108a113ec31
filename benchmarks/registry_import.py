"""Import 1,000,000 store rows from CSV, validated, against a raw ``COPY`` of the same rows into
the same table.

The validated import is the registry's import job as the importer role runs it (queued with
its file, claimed, then ``registry.handlers.import_jobs.run_job``, all or nothing; the clock runs for the
job, not for storing the upload): every field checked, repeated keys found, rows loaded with their history rows and
``registry.store.registered`` events in one transaction. The baseline is PostgreSQL's own
``COPY … FROM`` the same file into the same (emptied) table with the same indexes.

Goals: rows/s ratio >= 0.7; the import stays at or under 250 MB resident
(the benchmark process's peak RSS, printed).
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import datetime as dt
import gc
import os
import random
import resource
import tempfile
import time
from pathlib import Path

import asyncpg

from benchmarks import results
from benchmarks.common import drop_database, fresh_database
from benchmarks.registry_search import CITIES, name
from registry.data.regions import load_country_regions
from registry.db import MIGRATIONS_DIR
from registry.db.regions import sync_regions
from registry.domain.imports.columns import ImportKind
from registry.domain.imports.jobs import BATCH_ROWS, ImportMode, UploadedFile
from registry.domain.imports.validation import RowContext
from registry.domain.regions import RegionTree
from registry.handlers.import_jobs import run_job
from registry.handlers.import_queue import claim, enqueue
from shared.auth import Principal, Role
from shared.db import create_pool

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
HEADER = ["平台", "平台店铺ID", "店铺名称", "个人店主", "所属地区代码", "类目", "开店日期"]
COLUMNS = ["platform", "platform_shop_id", "name", "owner_individual", "region_code", "category",
           "opened_on"]  # fmt: skip


def write_file(path: Path) -> None:
    rng = random.Random(11)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(ROWS):
            writer.writerow(
                ["douyin", f"dy{n:09d}", name(rng), "个人", rng.choice(CITIES), "土特产",
                 f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"]
            )  # fmt: skip


def reset_peak_rss() -> None:
    """Start the process's peak RSS afresh (Linux: VmHWM), so that the figure is this
    benchmark's, not the high-water mark of the benchmarks run before it in the same process
    (``python -m benchmarks`` runs them one after another: run after awards_designations,
    203 MiB, and notifications_fanout, the import read 228 MiB, where earlier runs read 185).
    What they freed is given back to the system first (a collection, then glibc's
    ``malloc_trim``): in production the import runs in its own process (the importer role),
    where no other benchmark's freed heap sits resident under its peak."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # not Linux, or not allowed: the lifetime peak (ru_maxrss) stands


def peak_rss_mb() -> float:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        status = ""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ticks(stat: str, fields: slice) -> int:
    # /proc/<pid>/stat: the command may hold spaces; the fields after it do not.
    return sum(int(v) for v in stat.rsplit(")", 1)[1].split()[fields])


async def database_cpu(dsn: str) -> float | None:
    """CPU seconds the database's processes used so far (its postmaster's children, live and
    reaped), when PostgreSQL runs on this machine; None otherwise. Wall-clock rates are noisy on
    a shared machine: the database's CPU per row is the figure to compare between versions."""
    connection = await asyncpg.connect(dsn)
    try:
        # The server's own process ids may be another namespace's: find it by its data folder.
        data = await connection.fetchval("SELECT current_setting('data_directory')")
    finally:
        await connection.close()
    try:
        stats = {}
        postmaster = None
        for folder in Path("/proc").glob("[0-9]*"):
            try:
                stats[folder.name] = (folder / "stat").read_text()
                command = (folder / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue  # ended meanwhile (its time is the postmaster's cutime now)
            if b"-D" in command and command[command.index(b"-D") + 1 :][:1] == [data.encode()]:
                postmaster = folder.name
        if postmaster is None:
            return None
        # utime, stime, cutime, cstime (fields 14-17; 1-17 after the command are 3-17).
        ticks = _ticks(stats[postmaster], slice(11, 15))
        for text in stats.values():
            if text.rsplit(")", 1)[1].split()[1] == postmaster:
                ticks += _ticks(text, slice(11, 13))
    except (OSError, IndexError, ValueError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


async def validated_import(dsn: str, path: Path, regions: RegionTree) -> float:
    pool = await create_pool(dsn, min_size=2, max_size=4)
    try:
        upload = UploadedFile(path=path, name=path.name, sha256=os.urandom(8).hex())
        caller = Principal(subject="bench", roles=frozenset({Role.province_admin}))
        await enqueue(
            pool, kind=ImportKind.stores, mode=ImportMode.all_or_nothing, upload=upload,
            caller=caller, region_code=None,
        )  # fmt: skip
        job = await claim(pool, "bench", dt.timedelta(minutes=5))
        assert job is not None
        context = RowContext(
            region_known=lambda code: code in regions and regions.get(code).is_current,
            may_write=lambda code: True,
        )
        started = time.perf_counter()
        result = await run_job(
            pool, job, path=path, context=context, topic_prefix="bench.",
            batch_rows=int(os.environ.get("BENCH_BATCH_ROWS", BATCH_ROWS)),
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        if result is None or result["status"] != "succeeded" or result["loaded_rows"] != ROWS:
            raise RuntimeError(f"import did not load every row: {result and dict(result)}")
        return elapsed
    finally:
        await pool.close()


async def raw_copy(dsn: str, path: Path) -> float:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("TRUNCATE stores, outbox, entity_changes")
        # COPY has no ids or authors to give: the table supplies them (the only change).
        await connection.execute(
            "ALTER TABLE stores ALTER id SET DEFAULT gen_random_uuid(), "
            "ALTER created_by SET DEFAULT 'bench'"
        )
        await connection.execute("VACUUM ANALYZE stores")
        started = time.perf_counter()
        await connection.copy_to_table(
            "stores", source=path, columns=COLUMNS, format="csv", header=True
        )
        elapsed = time.perf_counter() - started
        loaded = await connection.fetchval("SELECT count(*) FROM stores")
        if loaded != ROWS:
            raise RuntimeError(f"COPY loaded {loaded} rows")
        return elapsed
    finally:
        await connection.close()


async def main() -> None:
    reset_peak_rss()
    dsn = await fresh_database("import", MIGRATIONS_DIR)
    regions = RegionTree(load_country_regions())
    await sync_regions(dsn, load_country_regions())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "stores.csv"
        write_file(path)
        size_mb = path.stat().st_size / 1e6
        try:
            cpu_started, db_started = time.process_time(), await database_cpu(dsn)
            imported = await validated_import(dsn, path, regions)
            cpu = (time.process_time() - cpu_started) / ROWS * 1000
            db_imported = await database_cpu(dsn)
            rss = peak_rss_mb()
            copied = await raw_copy(dsn, path)
            db_copied = await database_cpu(dsn)
        finally:
            await drop_database(dsn)
    import_rate, copy_rate = ROWS / imported, ROWS / copied
    print(f"registry_import: {ROWS:,} store rows from CSV ({size_mb:.0f} MB)")
    print(
        f"  validated import  {import_rate:>10,.0f} rows/s  ({imported:.1f} s, with events and history)"
    )
    print(f"  raw COPY          {copy_rate:>10,.0f} rows/s  ({copied:.1f} s)")
    print(f"  ratio             {import_rate / copy_rate:.2f}  (goal >= 0.7)")
    print(f"  peak RSS          {rss:,.0f} MB  (goal <= 250 MB)")
    print(f"  this process CPU  {cpu * 1000:.1f} µs/row during the import")
    if db_started is not None and db_imported is not None and db_copied is not None:
        # The COPY figure includes its TRUNCATE and VACUUM: small next to a million rows.
        import_db, copy_db = db_imported - db_started, db_copied - db_imported
        print(
            f"  database CPU      import {import_db / ROWS * 1e6:.1f} µs/row, "
            f"COPY {copy_db / ROWS * 1e6:.1f} µs/row, ratio {copy_db / import_db:.2f}"
        )
    results.record(
        "registry_import",
        f"bulk import {ROWS:,} rows / raw COPY",
        ours=f"{import_rate:,.0f} rows/s",
        baseline=f"{copy_rate:,.0f} rows/s",
        ratio=import_rate / copy_rate,
        goal=">= 0.7",
        passed=import_rate / copy_rate >= 0.7,
        peak_mib=rss,
        cpu_ms=cpu,
    )
    results.record(
        "registry_import",
        "bulk import peak RSS",
        ours=f"{rss:,.0f} MiB",
        goal="<= 250 MiB",
        passed=rss <= 250,
    )
