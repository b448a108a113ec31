"""``ecom-admin``: the operators' commands against the services' REST APIs.

    ecom-admin imports run stores stores-*.csv --mode good_rows
    ecom-admin imports show <job id>
    ecom-admin dlq replay --consumer notifications --bootstrap-servers kafka:9092
    ecom-admin deliveries resend <delivery id> ...
    ecom-admin windows open guizhou-shibaiqianwan-2023 annual-report 2026
    ecom-admin programmes progress guizhou-shibaiqianwan-2023 --by city

The token is ``--token`` or ``ECOM_TOKEN`` (a bearer token of a role the route admits: the
province for windows and re-sends); the services' addresses ``--registry-url`` … or
``ECOM_REGISTRY_URL`` … (the local stack's by default). Answers come in Chinese unless
``--lang en``. Exit status: 0 done, 1 refused or failed (the service's problem is printed),
2 wrong usage.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from shared.admin import client as api
from shared.messaging import dlq_cli
from shared.messaging.consumer import dead_letter_topic

console = Console(highlight=False)


@dataclass
class Wiring:
    """What tests replace: the HTTP transport, the pause between polls, the DLQ replay."""

    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    replay: Callable[[list[str]], None] = field(default=dlq_cli.main)


@dataclass
class Options:
    token: str | None
    urls: dict[str, str]
    language: str
    wiring: Wiring

    def client(self) -> api.AdminClient:
        if not self.token:
            raise typer.BadParameter("give --token or set ECOM_TOKEN", param_hint="--token")
        return api.AdminClient(
            token=self.token,
            urls=self.urls,
            language=self.language,
            transport=self.wiring.transport,
        )


app = typer.Typer(
    name="ecom-admin",
    help="Operators' commands for the e-commerce programmes backend (REST APIs, dead letters).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
imports_app = typer.Typer(
    help="Bulk imports into the registry (CSV or XLSX).", no_args_is_help=True
)
dlq_app = typer.Typer(help="Dead letters (wraps ecom-dlq).", no_args_is_help=True)
deliveries_app = typer.Typer(help="The notifications delivery ledger.", no_args_is_help=True)
windows_app = typer.Typer(help="Reporting windows (submissions).", no_args_is_help=True)
programmes_app = typer.Typer(help="Programmes and their targets (registry).", no_args_is_help=True)
calendar_app = typer.Typer(help="The working-day calendar (registry).", no_args_is_help=True)
app.add_typer(imports_app, name="imports")
app.add_typer(dlq_app, name="dlq")
app.add_typer(deliveries_app, name="deliveries")
app.add_typer(windows_app, name="windows")
app.add_typer(programmes_app, name="programmes")
app.add_typer(calendar_app, name="calendar")


def _url_option(service: str) -> Any:
    return typer.Option(
        f"--{service}-url",
        envvar=f"ECOM_{service.upper()}_URL",
        help=f"Base URL of the {service} API",
    )


@app.callback()
def main_options(
    ctx: typer.Context,
    token: Annotated[
        str | None, typer.Option(envvar="ECOM_TOKEN", help="Bearer token", show_default=False)
    ] = None,
    registry_url: Annotated[str, _url_option("registry")] = api.LOCAL_URLS["registry"],
    submissions_url: Annotated[str, _url_option("submissions")] = api.LOCAL_URLS["submissions"],
    notifications_url: Annotated[str, _url_option("notifications")] = api.LOCAL_URLS[
        "notifications"
    ],
    lang: Annotated[str, typer.Option(help="Language of the answers: zh-CN or en")] = "zh-CN",
) -> None:
    wiring = ctx.obj if isinstance(ctx.obj, Wiring) else Wiring()
    urls = {
        **api.LOCAL_URLS,
        "registry": registry_url,
        "submissions": submissions_url,
        "notifications": notifications_url,
    }
    ctx.obj = Options(token=token, urls=urls, language=lang, wiring=wiring)


def _options(ctx: typer.Context) -> Options:
    options = ctx.obj
    if not isinstance(options, Options):  # only when a command is invoked without the app
        raise typer.BadParameter("ecom-admin options missing")
    return options


def _refused(problem: api.ApiProblem) -> typer.Exit:
    console.print(f"[red]refused[/red] {problem}")
    return typer.Exit(code=1)


# --- imports ----------------------------------------------------------------------------------


def _job_line(job: dict[str, Any]) -> str:
    return (
        f"{job['id']} {job['kind']} {job['mode']}: {job['status']}; "
        f"{job['processed_rows']}/{job['total_rows']} rows, loaded {job['loaded_rows']}, "
        f"skipped {job['skipped_rows']}, bad {job['error_rows']}"
        + (f"; {job['failure']}" if job.get("failure") else "")
    )


def _follow(options: Options, admin: api.AdminClient, job: dict[str, Any], progress: Progress,
            poll: float, deadline: float) -> dict[str, Any]:  # fmt: skip
    task = progress.add_task(f"{job.get('file_name') or job['id']}", total=None)
    while job["status"] not in api.ENDED:
        if time.monotonic() > deadline:
            break
        total = max(job["total_rows"], job["processed_rows"]) or None
        progress.update(task, total=total, completed=job["processed_rows"])
        options.wiring.sleep(poll)
        job = admin.import_job(str(job["id"]))
    progress.update(task, total=job["total_rows"] or 1, completed=job["total_rows"] or 1)
    return job


@imports_app.command("run")
def imports_run(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="enterprises, stores or residents")],
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)],
    mode: Annotated[str, typer.Option(help="dry_run, all_or_nothing or good_rows")] = "dry_run",
    poll: Annotated[float, typer.Option(help="Seconds between progress reads")] = 1.0,
    timeout: Annotated[float, typer.Option(help="Give up following a job after this")] = 3600.0,
) -> None:
    """Upload each file as an import job and follow it to its end, with progress bars."""
    if kind not in api.IMPORT_KINDS:
        raise typer.BadParameter(f"one of {', '.join(api.IMPORT_KINDS)}", param_hint="KIND")
    if mode not in api.IMPORT_MODES:
        raise typer.BadParameter(f"one of {', '.join(api.IMPORT_MODES)}", param_hint="--mode")
    options = _options(ctx)
    failed = False
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with options.client() as admin, Progress(*columns, console=console) as progress:
        for path in files:
            upload = progress.add_task(f"upload {path.name}", total=path.stat().st_size)
            try:
                job = admin.start_import(
                    kind, path, mode=mode, on_sent=functools.partial(progress.advance, upload)
                )
            except api.ApiProblem as problem:
                progress.console.print(f"[red]{path.name}: refused[/red] {problem}")
                failed = True
                continue
            job = _follow(options, admin, job, progress, poll, time.monotonic() + timeout)
            colour = "green" if job["status"] == "succeeded" else "red"
            progress.console.print(f"[{colour}]{path.name}[/{colour}] {_job_line(job)}")
            failed = failed or job["status"] != "succeeded"
    if failed:
        raise typer.Exit(code=1)


@imports_app.command("show")
def imports_show(ctx: typer.Context, job_id: str) -> None:
    """One import job's progress and result."""
    with _options(ctx).client() as admin:
        try:
            job = admin.import_job(job_id)
        except api.ApiProblem as problem:
            raise _refused(problem) from problem
    console.print(_job_line(job))
    for error in job.get("errors", [])[:20]:
        console.print(f"  row {error['row']} {error.get('column') or ''}: {error['reason']}")


# --- dead letters -------------------------------------------------------------------------------


@dlq_app.command(
    "replay", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
)
def dlq_replay(
    ctx: typer.Context,
    consumer: Annotated[str, typer.Option(help="The consumer, e.g. notifications")],
    bootstrap_servers: Annotated[str, typer.Option(envvar="ECOM_KAFKA_BOOTSTRAP_SERVERS")],
    topic_prefix: Annotated[str, typer.Option(help="KAFKA_TOPIC_PREFIX of the deployment")] = "",
) -> None:
    """Re-publish a consumer's dead letters to their original topics: ``ecom-dlq replay``,
    to which any further option goes unchanged (its Kafka security options, for one)."""
    options = _options(ctx)
    topic = dead_letter_topic(topic_prefix, consumer)
    argv = ["replay", "--consumer", consumer, "--bootstrap-servers", bootstrap_servers,
            "--topic-prefix", topic_prefix, *ctx.args]  # fmt: skip
    with console.status(f"replaying {topic} …"):
        options.wiring.replay(argv)


# --- deliveries ---------------------------------------------------------------------------------


@deliveries_app.command("resend")
def deliveries_resend(
    ctx: typer.Context, delivery_ids: Annotated[list[str], typer.Argument()]
) -> None:
    """Queue failed deliveries again (the province only; each re-send is audited)."""
    refused = 0
    with _options(ctx).client() as admin:
        for delivery_id in delivery_ids:
            try:
                delivery = admin.resend_delivery(delivery_id)
            except api.ApiProblem as problem:
                console.print(f"[red]{delivery_id}: refused[/red] {problem}")
                refused += 1
                continue
            console.print(f"{delivery_id}: {delivery['status']} ({delivery['channel']})")
    if refused:
        raise typer.Exit(code=1)


# --- windows ----------------------------------------------------------------------------------


@windows_app.command("open")
def windows_open(
    ctx: typer.Context,
    programme_id: str,
    window: Annotated[str, typer.Argument(help="The reporting window's id in the programme")],
    year: int,
) -> None:
    """Open a reporting window now and freeze its roster (the province)."""
    with _options(ctx).client() as admin:
        try:
            opened = admin.open_window(programme_id, window, year)
        except api.ApiProblem as problem:
            raise _refused(problem) from problem
    console.print(
        f"{opened['id']}: {opened['status']}, due {opened['due_at']}, locks {opened['locks_at']}"
    )


# --- programmes -------------------------------------------------------------------------------


def _share(value: Any) -> str:
    if value is None:
        return "—"
    share = min(max(float(value), 0.0), 1.0)
    filled = round(share * 20)
    return f"{'█' * filled}{'░' * (20 - filled)} {float(value) * 100:.1f}%"


@programmes_app.command("progress")
def programmes_progress(
    ctx: typer.Context,
    programme_id: str,
    year: Annotated[int | None, typer.Option(help="Year of per-year targets")] = None,
    by: Annotated[str | None, typer.Option(help="area, city or county breakdown")] = None,
) -> None:
    """Each target of a programme: its value, where it stands, and the share met."""
    with _options(ctx).client() as admin:
        try:
            progress = admin.programme_progress(programme_id, year=year, by=by)
        except api.ApiProblem as problem:
            raise _refused(problem) from problem
    table = Table(
        title=f"{progress['programme_id']} {progress['year']} (as of {progress['as_of']})"
    )
    for column in ("target", "goal", "current", "met", "share met"):
        table.add_column(column)
    for target in progress["targets"]:
        met = {True: "yes", False: "no"}.get(target.get("met"), "—")
        current = "—" if target.get("current") is None else str(target["current"])
        goal = f"{target['comparison']} {target['target']} {target['unit']}"
        table.add_row(target["name"], goal, current, met, _share(target.get("share_met")))
        for area in target.get("by_area") or []:
            label = f"  {area['region_code']} {area.get('name') or ''}".rstrip()
            area_met = {True: "yes", False: "no"}.get(area.get("met"), "")
            table.add_row(label, "", str(area["current"]), area_met, _share(area.get("share_met")))
    console.print(table)


# --- calendar ---------------------------------------------------------------------------------


def _dates(data: Any, key: str, source: Path) -> list[str]:
    values = data.get(key, []) if isinstance(data, dict) else None
    if not isinstance(values, list):
        raise typer.BadParameter(f"{source}: `{key}` is a list of dates", param_hint="FILE")
    return [value.isoformat() if hasattr(value, "isoformat") else str(value) for value in values]


@calendar_app.command("load")
def calendar_load(
    ctx: typer.Context,
    year: int,
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="YAML or JSON with `holidays` and `workdays` (调休), lists of YYYY-MM-DD",
        ),
    ],
) -> None:
    """Load a year of China's working-day calendar (the province), or correct a year there is."""
    import yaml  # JSON is YAML too; dates come back as dates

    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    holidays, workdays = _dates(data, "holidays", file), _dates(data, "workdays", file)
    with _options(ctx).client() as admin:
        try:
            loaded = admin.load_calendar_year(year, holidays=holidays, workdays=workdays)
        except api.ApiProblem as problem:
            raise _refused(problem) from problem
    console.print(
        f"{year}: {len(loaded.get('holidays', holidays))} holidays, "
        f"{len(loaded.get('workdays', workdays))} workdays loaded"
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
