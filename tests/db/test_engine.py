"""The engine's connections as the bot needs them."""

from __future__ import annotations

from sqlalchemy import text

from db.engine import create_engine


async def test_postgres_connections_do_not_compile_the_bot_s_queries(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("SHOW jit")) == "off"
    finally:
        await engine.dispose()
