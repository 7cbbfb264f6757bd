"""``eras demo`` plays the whole story end to end, without a delivery failing."""

from bot.app.demo import run_demo


async def test_the_demo_tells_the_whole_story() -> None:
    lines: list[str] = []
    await run_demo(lines.append)
    transcript = "\n".join(lines)
    for moment in (
        "Ana ▸ [Acknowledge] on the card in the ward's chat",
        "✅ Acknowledged by Ana at 09:04",
        "✔ Resolved by Ana at 09:24: Advice given",
        "POD 2",
        "Maria ▸ I have a concern",
        "numbness between the legs: call 112 now",  # before the first question
        "will reply within 24 h",  # a concern is never "on track"
        "(patient_concern)",
        "[concern_words = Since this morning clear watery fluid",  # her words, on the card
    ):
        assert moment in transcript
    assert "Forbidden" not in transcript and "failed" not in transcript.lower()
