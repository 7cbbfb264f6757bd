"""A protocol version, once loaded, is immutable; changed content needs a new version."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.protocol_store import find, register

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _version(version: str, content_hash: str) -> dict[str, object]:
    return {
        "protocol_id": "spine-miss-lumbar",
        "version": version,
        "content_hash": content_hash,
        "source_name": "spine-miss-lumbar.yaml",
        "content": f"version: {version}",
        "now": NOW,
    }


async def test_loading_the_same_file_twice_adds_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        first, added = await register(session, **_version("1", "a" * 64))  # type: ignore[arg-type]
        assert added
    async with sessions.begin() as session:
        again, added_again = await register(session, **_version("1", "a" * 64))  # type: ignore[arg-type]
    assert not added_again
    assert again.id == first.id


async def test_changed_content_under_an_old_label_is_a_new_version(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        first, _ = await register(session, **_version("1", "a" * 64))  # type: ignore[arg-type]
    async with sessions.begin() as session:
        changed, added = await register(session, **_version("1", "b" * 64))  # type: ignore[arg-type]
    assert added
    assert changed.id != first.id
    assert changed.version == "1+bbbbbbbb"
    async with sessions() as session:
        assert (await find(session, "spine-miss-lumbar", "1")).content_hash == "a" * 64  # type: ignore[union-attr]


async def test_find_gives_a_named_version_or_the_newest(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        await register(session, **_version("1", "a" * 64))  # type: ignore[arg-type]
        await register(session, **_version("2", "b" * 64))  # type: ignore[arg-type]
    async with sessions() as session:
        newest = await find(session, "spine-miss-lumbar", None)
        named = await find(session, "spine-miss-lumbar", "1")
        missing = await find(session, "spine-miss-lumbar", "9")
    assert newest is not None and newest.version == "2"
    assert named is not None and named.version == "1"
    assert missing is None
