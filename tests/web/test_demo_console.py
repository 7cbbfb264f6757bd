"""``eras demo --console``: the demo's ward on the console, signed in with the printed link,
and the README's screenshot of its worklist taken from that run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import expect

from bot.app.demo_console import run_console_demo

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "console-worklist.png"


async def test_the_demo_serves_its_ward_on_the_console_with_a_sign_in_link(
    browser_page: Any,
) -> None:
    page, lines, seen = browser_page, list[str](), list[str]()

    async def look(url: str, link: str) -> None:
        assert f"  {link}" in lines and link.startswith(f"{url}/sign-in/")
        await page.goto(link)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Worklist")
        for ref in ("DEMO-001", "DEMO-002", "DEMO-003"):
            await expect(page.get_by_role("row").filter(has_text=ref)).to_have_count(1)
        results = await Axe().run(page)
        bad = [v["id"] for v in results.response["violations"] if v.get("impact") in BAD]
        assert bad == []
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=SCREENSHOT, full_page=True)
        await page.get_by_role("link", name="Roster").click()
        await expect(page.get_by_role("heading", level=2)).to_have_text("4 patients")
        seen.append(url)

    await run_console_demo(lines.append, "127.0.0.1:0", look)
    assert seen, "the console was never served"
    assert any("The care-team console is at http://127.0.0.1:" in line for line in lines)


BAD = ("serious", "critical")
