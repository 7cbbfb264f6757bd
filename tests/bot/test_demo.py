"""``eras demo`` plays the whole story end to end, without a delivery failing."""

from bot.app.demo import run_demo


async def test_the_demo_tells_the_whole_story() -> None:
    lines: list[str] = []
    await run_demo(lines.append)
    transcript = "\n".join(lines)
    for moment in (
        "Ana ▸ [Acknowledge] on the card in the ward's chat",
        "✅ Acknowledged by Ana at 18:04",  # the discharge-day evening check
        "✔ Resolved by Ana at 18:24: Advice given",
        "POD 2",
    ):
        assert moment in transcript
    assert "Forbidden" not in transcript and "failed" not in transcript.lower()
