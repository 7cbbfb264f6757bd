"""The query plans of what the bot actually runs, on a database of realistic size.

``StatementLog`` records every distinct statement the bot's engine executes while it is
on (with the parameters of its first run, and which part of the bot ran it); ``explain``
then asks the database how it would run each one: ``EXPLAIN`` on PostgreSQL, ``EXPLAIN
QUERY PLAN`` on SQLite. A statement that reads a big table without an index is flagged.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Base

BIG = 10_000  # rows: a table this size must not be read from end to end
WASTE = 1_000  # rows read only to be dropped by a filter: the index did not narrow enough
_REMOVED = (
    "Rows Removed by Filter",
    "Rows Removed by Index Recheck",
    "Rows Removed by Join Filter",
)
_VERBS = ("SELECT", "UPDATE", "DELETE")
_TABLES = re.compile(r"\b(?:FROM|JOIN|UPDATE)\s+\"?(\w+)\"?", re.IGNORECASE)
_IN_LIST = re.compile(r"IN \((?:\s*(?:\$\d+(?:::\w+)?|\?)\s*,?)+\)")
_WHERE_COLUMNS = re.compile(r"\b(\w+)\.(\w+)\s*(?:=|<|>|!=|IN\b|IS\b|NOT\b|LIKE\b)", re.I)


@dataclass
class Statement:
    sql: str
    parameters: Any
    origin: str  # the bot's function that ran it
    phases: set[str] = field(default_factory=set)
    runs: int = 0

    @property
    def label(self) -> str:
        verb = self.sql.lstrip().split(None, 1)[0].upper()
        tables = list(dict.fromkeys(t.lower() for t in _TABLES.findall(self.sql)))
        where = self.sql.upper().partition(" WHERE ")[2]
        columns = list(dict.fromkeys(f"{t}.{c}".lower() for t, c in _WHERE_COLUMNS.findall(where)))
        lock = " FOR UPDATE SKIP LOCKED" if "SKIP LOCKED" in self.sql.upper() else ""
        text = f"{verb} {', '.join(tables)}"
        return text + (f" where {', '.join(columns)}" if columns else "") + lock


class StatementLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.statements: dict[str, Statement] = {}
        self.phase: str | None = None
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    @contextmanager
    def recording(self, phase: str) -> Iterator[None]:
        self.phase = phase
        try:
            yield
        finally:
            self.phase = None

    def _seen(self, _conn: Any, _cursor: Any, sql: str, parameters: Any, *_rest: Any) -> None:
        if self.phase is None or not sql.lstrip().upper().startswith(_VERBS):
            return
        key = _IN_LIST.sub("IN (…)", sql)  # one statement, whatever the list's length
        found = self.statements.get(key)
        if found is None:
            found = self.statements[key] = Statement(sql, parameters, _origin())
        found.phases.add(self.phase)
        found.runs += 1


def _origin() -> str:
    """The innermost function of the bot (else of ``db``) that ran the statement."""
    fallback = "(flushed at commit)"  # the ORM writes changed rows when a unit of work ends
    for frame in _frames():
        module = frame.f_globals.get("__name__", "")
        where = f"{module}:{frame.f_code.co_qualname}"
        if module.startswith("bot."):
            return where
        if module.startswith("db.") and fallback.startswith("("):
            fallback = where
    return fallback


def _frames() -> Iterator[FrameType]:
    """The stack, across the greenlet in which SQLAlchemy runs its sync core for asyncio:
    the caller's coroutines are on the stack of the greenlet that started it."""
    import greenlet

    frame: FrameType | None = sys._getframe(3)
    current: Any = greenlet.getcurrent()
    while frame is not None or current is not None:
        while frame is not None:
            yield frame
            frame = frame.f_back
        current = current.parent if current is not None else None
        frame = current.gr_frame if current is not None else None


async def explain(log: StatementLog, *, buffers: bool = False) -> list[dict[str, Any]]:
    """Each recorded statement with its plan, problems first.

    On PostgreSQL the statement is run (``EXPLAIN ANALYZE``, in a transaction rolled back
    afterwards), so the plan says how many rows each step really read and threw away: an
    index on a column that hardly narrows the search shows up as well as no index at all.
    With ``buffers``, each step also says how many pages it touched (``BUFFERS``: found in
    the cache + read), and the statement its execution time.
    """
    sizes = await table_sizes(log.engine)
    postgres = log.engine.dialect.name == "postgresql"
    found = []
    async with log.engine.connect() as connection:
        for statement in log.statements.values():
            if postgres:
                steps, wasteful, took = await _postgres_plan(connection, statement, buffers)
            else:
                took = None
                steps, wasteful = await _sqlite_plan(connection, statement)
            found.append(
                {
                    "query": statement.label,
                    "origin": statement.origin,
                    "phases": sorted(statement.phases),
                    "runs": statement.runs,
                    "plan": steps,
                    **({"execution_ms": took} if took is not None else {}),
                    "reads_big_table_without_index": sorted(
                        t for t in wasteful if sizes.get(t, 0) >= BIG
                    ),
                }
            )
    return sorted(found, key=lambda q: (not q["reads_big_table_without_index"], q["origin"]))


async def table_sizes(engine: AsyncEngine) -> dict[str, int]:
    sizes = {}
    async with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            sizes[table.name] = int(
                await connection.scalar(select(func.count()).select_from(table)) or 0
            )
    return sizes


async def _postgres_plan(
    connection: Any, statement: Statement, buffers: bool
) -> tuple[list[str], set[str], float | None]:
    options = "ANALYZE, BUFFERS, FORMAT JSON" if buffers else "ANALYZE, FORMAT JSON"
    transaction = await connection.begin()
    try:
        result = await connection.exec_driver_sql(
            f"EXPLAIN ({options}) " + statement.sql, statement.parameters
        )
        plan = result.scalar()
    finally:
        await transaction.rollback()
    if isinstance(plan, str):
        plan = json.loads(plan)
    steps: list[str] = []
    wasteful: set[str] = set()

    def walk(node: dict[str, Any], depth: int) -> None:
        loops = node.get("Actual Loops", 1)
        rows = node.get("Actual Rows", 0) * loops
        thrown = sum(node.get(k, 0) for k in _REMOVED) * loops
        table = node.get("Relation Name")
        words = [node["Node Type"]]
        if "Index Name" in node:
            words.append(f"using {node['Index Name']}")
        if table:
            words.append(f"on {table}")
        words.append(f"({rows:,} rows" + (f", {thrown:,} read and dropped)" if thrown else ")"))
        if buffers:
            hit, read = node.get("Shared Hit Blocks", 0), node.get("Shared Read Blocks", 0)
            words.append(f"[buffers {hit:,} hit, {read:,} read]")
        steps.append("  " * depth + " ".join(words))
        whole = node["Node Type"] == "Seq Scan" or (
            "Index Name" in node
            and "Index Cond" not in node
            and node["Node Type"] != "Bitmap Index Scan"
        )
        if table and (whole or (thrown >= WASTE and thrown > 10 * rows)):
            wasteful.add(table)
        for child in node.get("Plans", []):
            walk(child, depth + 1)

    walk(plan[0]["Plan"], 0)
    return steps, wasteful, plan[0].get("Execution Time") if buffers else None


async def _sqlite_plan(connection: Any, statement: Statement) -> tuple[list[str], set[str]]:
    """SQLite says which index it would use, not how many rows it reads: only a scan of a
    whole table (or of a whole index) is told apart."""
    result = await connection.exec_driver_sql(
        "EXPLAIN QUERY PLAN " + statement.sql, statement.parameters
    )
    steps = [str(row[-1]) for row in result.all()]
    await connection.rollback()
    scans = {m.group(1) for step in steps if (m := re.match(r"\s*SCAN (\w+)", step))}
    return steps, scans
