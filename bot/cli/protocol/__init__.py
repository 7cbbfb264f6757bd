"""``eras protocol``: check, read, try and export follow-up protocols.

Protocols are the shipped ones plus the files in ``ERAS_PROTOCOLS_DIR``. Problems in a file
are printed as ``file:line: message`` on stderr, with exit code 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import CommandFailed, admin_ref, echo_json, settings, with_database
from bot.cli.protocol.show import render
from bot.clock import SystemClock
from bot.protocols import versions as stored
from bot.protocols.sources import (
    LoadedProtocol,
    UnknownProtocol,
    find_protocol,
    load_protocols,
    protocol_files,
    read_protocol_file,
)
from flows import (
    Assessment,
    Protocol,
    ProtocolInvalid,
    answers_problems,
    diff_protocols,
    history_from_json,
    protocol_warnings,
    score,
    score_missed,
    to_fhir_questionnaire,
)
from flows.editor_schema import protocol_json_schema_text


def _fail_with_issues(exc: ProtocolInvalid) -> None:
    for issue in exc.issues:
        click.echo(str(issue), err=True)


def all_protocols() -> dict[str, LoadedProtocol]:
    """Shipped and folder protocols; an invalid file ends the command, naming the line."""
    try:
        return load_protocols(settings().protocols_dir)
    except ProtocolInvalid as exc:
        _fail_with_issues(exc)
        raise CommandFailed("fix the protocol files above (or ERAS_PROTOCOLS_DIR)") from None


def _protocol(protocol_id: str) -> LoadedProtocol:
    try:
        return find_protocol(all_protocols(), protocol_id)
    except UnknownProtocol as exc:
        raise CommandFailed(str(exc)) from None


def _language(loaded: LoadedProtocol, lang: str | None) -> str:
    languages = loaded.protocol.languages
    if lang is None:
        return languages[0]
    if lang not in languages:
        raise CommandFailed(f"{loaded.protocol.id} has no {lang!r} text ({', '.join(languages)})")
    return lang


@click.group()
def protocol() -> None:
    """Follow-up protocols: validate, list, show, score, export, diff."""


@protocol.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check protocol files (or folders of them); problems go to stderr as file:line: message."""
    files = [f for path in paths for f in (protocol_files(path) if path.is_dir() else [path])]
    if not files:
        raise CommandFailed("no protocol files (*.yaml) found")
    failed = False
    for path in files:
        try:
            loaded = read_protocol_file(path)
        except ProtocolInvalid as exc:
            _fail_with_issues(exc)
            failed = True
            continue
        click.echo(f"{path}: ok ({loaded.protocol.id} version {loaded.protocol.version})")
        for warning in protocol_warnings(loaded.protocol):
            click.echo(f"{path}: warning: {warning}", err=True)
    if failed:
        raise CommandFailed("some protocol files are not valid")


@protocol.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_protocols(as_json: bool) -> None:
    """List the protocols available: shipped, then ERAS_PROTOCOLS_DIR's."""
    protocols = list(all_protocols().values())
    if as_json:
        echo_json(
            [
                {
                    "id": p.protocol.id,
                    "version": p.protocol.version,
                    "title": p.protocol.title,
                    "procedures": list(p.protocol.procedures),
                    "languages": list(p.protocol.languages),
                    "source": p.source,
                    "shipped": p.shipped,
                    "sha256": p.sha256,
                }
                for p in protocols
            ]
        )
        return
    width = max(len(p.protocol.id) for p in protocols)
    for p in protocols:
        where = "shipped" if p.shipped else p.source
        click.echo(
            f"{p.protocol.id:{width}}  v{p.protocol.version:<6} {p.protocol.title}  [{where}]"
        )


@protocol.command()
@click.argument("protocol_id", metavar="ID")
@click.option("--pod", type=click.IntRange(min=0), help="Show that day's check-in.")
@click.option("--lang", help="Language of the texts (default: the protocol's first).")
def show(protocol_id: str, pod: int | None, lang: str | None) -> None:
    """Show a protocol the way a reviewer reads it."""
    loaded = _protocol(protocol_id)
    click.echo(render(loaded, pod, _language(loaded, lang)), nl=False)


def _read_json(stream: IO[str], what: str) -> Any:
    try:
        return json.load(stream)
    except json.JSONDecodeError as exc:
        raise CommandFailed(f"{what}: not JSON ({exc})") from None


@protocol.command(name="score")
@click.argument("protocol_id", metavar="ID")
@click.option("--pod", type=click.IntRange(min=0), required=True, help="Day of the check-in.")
@click.option("--answers", type=click.File("r"), help="JSON object: item id → answer ('-': stdin).")
@click.option(
    "--history", type=click.File("r"), help="JSON list of earlier check-ins, oldest first."
)
@click.option("--missed", is_flag=True, help="Score the check-in as missed (no answers).")
@click.option(
    "--kind",
    type=click.Choice(["scheduled", "evening", "concern", "extra"]),
    default="scheduled",
    show_default=True,
    help="The kind of check-in: evening is the discharge-day check, concern a /help screen.",
)
@click.option("--lang", help="Language of the reasons (default: the protocol's first).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def score_command(
    protocol_id: str,
    pod: int,
    answers: IO[str] | None,
    history: IO[str] | None,
    missed: bool,
    kind: str,
    lang: str | None,
    as_json: bool,
) -> None:
    """Score one check-in, to try a case against the rules."""
    if (answers is None) == (not missed):
        raise CommandFailed("give --answers FILE, or --missed for a check-in that was missed")
    loaded = _protocol(protocol_id)
    protocol = loaded.protocol
    language = _language(loaded, lang)
    given = _read_json(answers, "answers") if answers is not None else {}
    if not isinstance(given, dict):
        raise CommandFailed('answers: give a JSON object such as {"pain_back": 7}')
    problems = answers_problems(protocol, given)
    if problems:
        raise CommandFailed("answers: " + "; ".join(problems))
    try:
        past = history_from_json(protocol, _read_json(history, "history")) if history else ()
    except ValueError as exc:
        raise CommandFailed(str(exc)) from None
    assessment = (
        score_missed(protocol, pod, past, kind)
        if missed
        else score(protocol, pod, given, past, kind)
    )
    report = _report(loaded, pod, assessment, language)
    if as_json:
        echo_json(report)
    else:
        click.echo(_report_text(report))


def _report(loaded: LoadedProtocol, pod: int, assessment: Assessment, lang: str) -> dict[str, Any]:
    return {
        "protocol": loaded.protocol.id,
        "version": loaded.protocol.version,
        "sha256": loaded.sha256,
        "pod": pod,
        "tier": assessment.tier.value,
        "findings": [
            {
                "rule": f.rule,
                "tier": f.tier.value,
                "items": list(f.items),
                "values": dict(f.values),
                "reason": f.reason[lang],
            }
            for f in assessment.findings
        ],
        "milestones": [
            {"id": m.id, "item": m.item, "pod": m.pod, "due": m.due, "status": m.status.value}
            for m in assessment.milestones
        ],
        "recovery_score": assessment.recovery_score,
    }


def _report_text(report: dict[str, Any]) -> str:
    lines = [f"{report['protocol']} v{report['version']}, POD {report['pod']}: {report['tier']}"]
    width = max((len(f["rule"]) for f in report["findings"]), default=0)
    for f in report["findings"]:
        items = f" [{', '.join(f['items'])}]" if f["items"] else ""
        lines.append(f"  {f['tier']:13}  {f['rule']:{width}}  {f['reason']}{items}")
    due = [m for m in report["milestones"] if m["due"]]
    if due:
        lines.append("Milestones due: " + ", ".join(f"{m['id']} {m['status']}" for m in due))
    score_words = report["recovery_score"]
    lines.append(f"Recovery score: {'—' if score_words is None else score_words}")
    return "\n".join(lines)


@protocol.command()
@click.argument("protocol_id", metavar="ID")
@click.option("--format", "format_", type=click.Choice(["fhir"]), required=True)
@click.option("--lang", help="Language of the texts (default: the protocol's first).")
def export(protocol_id: str, format_: str, lang: str | None) -> None:
    """Export a protocol's questions (FHIR R4 Questionnaire as JSON)."""
    loaded = _protocol(protocol_id)
    echo_json(to_fhir_questionnaire(loaded.protocol, _language(loaded, lang)))


def _protocol_at(spec: str) -> Protocol:
    """A protocol from a FILE, or a stored version ID@VERSION from the database."""
    path = Path(spec)
    if path.is_file():
        try:
            return read_protocol_file(path).protocol
        except ProtocolInvalid as exc:
            _fail_with_issues(exc)
            raise CommandFailed(f"{spec} must be valid to compare it") from None
    protocol_id, _, version = spec.partition("@")
    if not version:
        raise CommandFailed(f"{spec!r} is neither a file nor ID@VERSION")

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Protocol | None:
        async with sessions() as session:
            return await stored.read(session, protocol_id, version)

    found = with_database(work)
    if found is None:
        raise CommandFailed(
            f"no stored version {spec} (see `eras protocol versions {protocol_id}`)"
        )
    return found


@protocol.command()
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
def diff(old: str, new: str) -> None:
    """List what changed from OLD to NEW (each a FILE or ID@VERSION), for sign-off."""
    changes = diff_protocols(_protocol_at(old), _protocol_at(new))
    for change in changes:
        click.echo(change)
    if not changes:
        click.echo("no changes")


@protocol.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load(path: Path) -> None:
    """Validate the protocol file PATH and store it as a version patients can be enrolled on."""
    try:
        loaded = read_protocol_file(path)
    except ProtocolInvalid as exc:
        _fail_with_issues(exc)
        raise CommandFailed(f"{path} was not loaded") from None

    async def keep(sessions: async_sessionmaker[AsyncSession]) -> tuple[str, bool]:
        async with sessions.begin() as session:
            return await stored.load(session, loaded, now=SystemClock().now(), actor=admin_ref())

    version, added = with_database(keep)
    spec = f"{loaded.protocol.id}@{version}"
    if not added:
        click.echo(f"{spec} is already loaded (same content)")
    elif version != loaded.protocol.version:
        click.echo(
            f"loaded {spec}: the file changed but still says version {loaded.protocol.version!r}; "
            "it is stored under its own label. Give changed files a new version."
        )
    else:
        click.echo(f"loaded {spec}")


@protocol.command()
@click.argument("protocol_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def versions(protocol_id: str, as_json: bool) -> None:
    """List the stored versions of protocol ID, oldest first."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, str]]:
        async with sessions() as session:
            return await stored.versions(session, protocol_id)

    rows = with_database(work)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(f"no stored versions of {protocol_id} yet")
    for r in rows:
        click.echo(
            f"{protocol_id}@{r['version']}  {r['sha256'][:12]}  {r['source']}  {r['loaded_at']}"
        )


@protocol.command()
def schema() -> None:
    """Print the JSON Schema of protocol files (for editors)."""
    click.echo(protocol_json_schema_text(), nl=False)
