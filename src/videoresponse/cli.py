"""The `videoresponse` command: serve, demo, migrate, users, audit."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from videoresponse.config import get_settings
from videoresponse.core import audit
from videoresponse.core.auth import service as accounts
from videoresponse.core.auth.rules import AccountError, Role
from videoresponse.core.db import Database

app = typer.Typer(
    help="Video Response: video appointments for victims and witnesses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
users_app = typer.Typer(
    help="Staff accounts: add, list, disable, enable, set-number.", no_args_is_help=True
)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
retention_app = typer.Typer(help="Erase records past their retention period.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")
evidence_app = typer.Typer(help="Evidence: check an exported case bundle.", no_args_is_help=True)
app.add_typer(evidence_app, name="evidence")
risk_app = typer.Typer(help="The risk checklist (DASH or a force's own).", no_args_is_help=True)
app.add_typer(risk_app, name="risk")

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)
CLI_ACTOR = "cli:" + getpass.getuser()


def _database() -> Database:
    return Database(get_settings().database_url)


def _fail(message: str) -> typer.Exit:
    errors.print(f"[red]Error:[/red] {message}", highlight=False)
    return typer.Exit(code=1)


def _require_migrated() -> None:
    from sqlalchemy.exc import OperationalError

    from videoresponse.migrations import current_and_head

    url = get_settings().database_url
    try:
        current, head = current_and_head(url)
    except OperationalError as error:
        raise _fail(f"Cannot reach the database: {error.orig}") from None
    if current != head:
        raise _fail(
            f"The database is at revision {current or 'none'}, this code needs {head}. "
            "Run `videoresponse migrate` first."
        )


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema to this version, keeping all data."""
    from videoresponse.migrations import current_and_head, upgrade

    url = get_settings().database_url
    before, _ = current_and_head(url)
    upgrade(url)
    after, _ = current_and_head(url)
    if before == after:
        console.print(f"Database is up to date (revision {after}).")
    else:
        console.print(f"Database upgraded from {before or 'empty'} to revision {after}.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(help="Worker processes (PostgreSQL for more than 1).")
    ] = 1,
) -> None:
    """Serve the web application and its API."""
    import uvicorn

    _require_migrated()
    console.print(f"Serving Video Response on http://{host}:{port} (Ctrl+C to stop)")
    uvicorn.run(
        "videoresponse.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        server_header=False,
        # Signalling messages are small; a 16 MB frame (uvicorn's default) is an attack.
        ws_max_size=1_048_576,
        log_level="info",
    )


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="Send what is due now, then stop.")] = False,
) -> None:
    """Send due texts: run this beside `serve --workers N`, or several on PostgreSQL."""
    import signal
    import threading
    from datetime import timedelta

    from videoresponse.notify.rules import load_wording
    from videoresponse.notify.service import make_provider
    from videoresponse.notify.worker import TextWorker

    _require_migrated()
    settings = get_settings()
    text_worker = TextWorker(
        _database(),
        settings,
        make_provider(settings),
        load_wording(settings.wording_file),
        lease=timedelta(seconds=settings.text_send_lease_seconds),
    )
    if once:
        done = text_worker.run_once()
        console.print(
            f"Sent {done.sent}, retrying {done.retried}, failed {done.failed}, "
            f"held {done.held}, expired {done.expired}."
        )
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    console.print(f"Sending texts through {settings.sms_provider} (Ctrl+C to stop)")
    text_worker.run_until(stop)


@app.command()
def demo() -> None:
    """Create demo accounts and data once; running it again changes nothing."""
    from videoresponse.demo import DEMO_ACCOUNTS, create_demo

    _require_migrated()
    created = create_demo(_database(), get_settings())
    table = Table(title="Demo sign-ins" + ("" if created else " (already there)"))
    for column in ("Role", "Username", "Password"):
        table.add_column(column)
    for account in DEMO_ACCOUNTS:
        table.add_row(account.role.label, account.username, account.password)
    console.print(table)
    console.print(
        "To see the caller's side: sign in as handler or supervisor, open 'Texts sent' and "
        "follow a link. It asks for the caller's date of birth, shown on each case page "
        "(the demo callers were all born on 14 March)."
    )


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Sign-in name, e.g. a collar number.")],
    role: Annotated[Role, typer.Option(help="What the account may do.")],
    name: Annotated[str, typer.Option(help="The person's full name.")],
    gender: Annotated[str | None, typer.Option(help="female or male, for officers.")] = None,
    number: Annotated[
        str | None, typer.Option(help='Rank and number for sealed statements, e.g. "PC 1234".')
    ] = None,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="At least 12 characters; asked for if not given.",
        ),
    ] = "",
) -> None:
    """Add a staff account."""
    _require_migrated()
    try:
        member = accounts.add_user(
            _database(),
            username=username,
            display_name=name,
            role=role,
            password=password,
            gender=gender,
            rank_and_number=number,
            by=CLI_ACTOR,
        )
    except AccountError as error:
        raise _fail(str(error)) from None
    console.print(f"Added {member.username} ({member.role.label}).")


@users_app.command("set-number")
def users_set_number(
    username: str,
    number: Annotated[str, typer.Argument(help='Rank and number, e.g. "PC 1234".')],
) -> None:
    """Set the rank and number printed on the statements an officer countersigns."""
    _require_migrated()
    try:
        saved = accounts.set_number(
            _database(), username=username, rank_and_number=number, by=CLI_ACTOR
        )
    except AccountError as error:
        raise _fail(str(error)) from None
    console.print(f"{username} is now {saved}.")


@users_app.command("list")
def users_list() -> None:
    """List staff accounts."""
    _require_migrated()
    table = Table()
    for column in ("Username", "Name", "Role", "Status"):
        table.add_column(column)
    for member, active in accounts.list_users(_database()):
        table.add_row(
            member.username,
            member.display_name,
            member.role.label,
            "active" if active else "disabled",
        )
    console.print(table)


def _set_active(username: str, active: bool) -> None:
    _require_migrated()
    try:
        accounts.set_active(_database(), username=username, active=active, by=CLI_ACTOR)
    except AccountError as error:
        raise _fail(str(error)) from None
    console.print(f"{username} is now {'enabled' if active else 'disabled'}.")


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Disable an account and end its sessions."""
    _set_active(username, False)


@users_app.command("enable")
def users_enable(username: str) -> None:
    """Enable a disabled or locked account."""
    _set_active(username, True)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the whole hash chain; exit 1 and name the first bad entry if it is broken."""
    _require_migrated()
    db = _database()
    with db.sessions() as session:
        report = audit.verify_chain(session)
    if not report.intact:
        raise _fail(
            f"audit log broken at entry {report.first_bad_seq}: {report.problem} "
            f"({report.entries_checked} entries before it are intact)"
        )
    console.print(f"Audit log intact: {report.entries_checked} entries checked.")


@evidence_app.command("verify")
def evidence_verify(
    bundle: Annotated[Path, typer.Argument(help="An exported case bundle (.zip).")],
    expect_manifest: Annotated[
        str | None,
        typer.Option(
            "--expect-manifest",
            metavar="SHA256",
            help="The manifest's SHA-256 recorded at export (on the export page and in the "
            "audit log): without it the bundle is only checked against itself.",
        ),
    ] = None,
) -> None:
    """Re-check every file in a bundle against its manifest; exit 1 naming each that differs."""
    from rich.markup import escape

    from videoresponse.evidence.export import verify_bundle

    result = verify_bundle(bundle, expect_manifest)
    console.print(f"Manifest SHA-256: {result.manifest_sha256 or 'none'}", highlight=False)
    for problem in result.problems:
        # File names come from the bundle: escaped, so they cannot restyle the output.
        errors.print(f"[red]Problem:[/red] {escape(problem)}", highlight=False)
    if result.problems:
        raise typer.Exit(code=1)
    console.print(f"All {result.files} files match.")
    if expect_manifest is None:
        console.print(
            "Compare the manifest's SHA-256 with the one recorded at export "
            "(or run again with --expect-manifest).",
            highlight=False,
        )


@evidence_app.command("sweep")
def evidence_sweep(
    hours: Annotated[
        int,
        typer.Option(
            min=1, help="Withdraw uploads still arriving this long after their appointment ended."
        ),
    ] = 24,
) -> None:
    """Withdraw abandoned uploads, discarding their staged bytes (each in the audit log).
    Run it daily, beside `retention run`."""
    from videoresponse.evidence.service import Vault
    from videoresponse.evidence.uploads import sweep_abandoned

    _require_migrated()
    settings = get_settings()
    swept = sweep_abandoned(_database(), Vault.from_settings(settings), hours=hours, by=CLI_ACTOR)
    shown = ", ".join(str(i) for i in swept) or "none"
    console.print(f"Withdrew {len(swept)} abandoned upload(s): {shown}.", highlight=False)


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be erased; change nothing.")
    ] = False,
) -> None:
    """Delete or anonymise what is past its date, recording each erasure in the audit log."""
    from videoresponse.retention import service as retention

    _require_migrated()
    results = retention.run(_database(), get_settings(), by=CLI_ACTOR, dry_run=dry_run)
    verb = "Would erase" if dry_run else "Erased"
    table = Table(title=f"Retention{' (dry run: nothing changed)' if dry_run else ''}")
    for column in ("Class", "Kept for", "Method", "Count", "Ids"):
        table.add_column(column)
    for result in results:
        shown = ", ".join(str(i) for i in result.ids[:100])
        if len(result.ids) > 100:
            shown += f" … and {len(result.ids) - 100} more"
        table.add_row(
            result.name,
            "for ever" if result.kept_for_ever else f"{result.keep_days} days",
            result.method,
            str(len(result.ids)),
            shown or "-",
        )
    console.print(table)
    console.print(f"{verb} {sum(len(r.ids) for r in results)} records.")


@risk_app.command("check-file")
def risk_check_file(
    path: Annotated[Path, typer.Argument(help="A checklist file (TOML) to check.")],
) -> None:
    """Check a risk checklist file before pointing VIDEORESPONSE_RISK_CHECKLIST_FILE at it."""
    from videoresponse.risk.checklist import ChecklistError, load_checklist

    try:
        checklist = load_checklist(path)
    except ChecklistError as error:
        raise _fail(str(error)) from None
    factors = sum(q.high_risk_factor for q in checklist.questions)
    console.print(
        f"{checklist.title}: id {checklist.id}, version {checklist.version}, "
        f"{len(checklist.questions)} questions ({factors} high-risk factors), "
        f"medium from {checklist.thresholds.medium} and high from "
        f"{checklist.thresholds.high} yes answers. The file is fine."
    )


if __name__ == "__main__":
    app()
