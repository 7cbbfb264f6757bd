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
        "Maria ▸ I have a concern",
        "numbness between the legs: call 112 now",  # before the first question
        # what the old five-item screen never asked: fluid from the wound, a temperature
        "[wound_fluid = clear_watery] (csf_leak_wound)",
        "[temperature = 38.3 °C, wound_fluid = clear_watery] (fever_wound_signs)",
        "without waiting for us, if you get chest pain",  # the safety net ends urgent advice
        "[concern_words = Since this morning clear watery fluid",  # her words, on the card
    ):
        assert moment in transcript
    concern = transcript[transcript.index("Maria ▸ I have a concern") :]
    assert concern.count("A nurse will call you within the hour") == 1  # told once
    assert "Forbidden" not in transcript and "failed" not in transcript.lower()
