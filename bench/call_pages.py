"""Bytes a caller's phone downloads to reach the call: join landing, identity check, their
appointment, the device check, and the waiting room (which is also the call page).

Measured in Chromium (Chrome DevTools Protocol, encodedDataLength: bytes on the wire,
headers included, compressed as the browser negotiated) against a real server. Two figures:
- caller_pages_bytes: the whole journey in one fresh browser, its cache working as usual;
- caller_pages_bytes_cold: each page on its own with the cache disabled (the worst case).
The signalling WebSocket's messages and the media are not page loads and are not counted.

Run: .venv/bin/python bench/call_pages.py   Merges its figures into bench/results/call.json.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright  # noqa: E402
from tests.e2e.conftest import CHROMIUM, LiveServer  # noqa: E402
from tests.e2e.test_call_flow import (  # noqa: E402
    CALL_ARGS,
    appointment_starting_soon,
    link_from_outbox,
)
from tests.live import cli, environment, serving  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "call.json"
BUDGET = 200 * 1024
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


@contextmanager
def live_server() -> Iterator[LiveServer]:
    """`migrate`, `demo` and `serve` in a folder of its own, as `make run` does."""
    with tempfile.TemporaryDirectory(prefix="vr-bench-call-") as folder:
        data_dir = Path(folder)
        env = environment(data_dir)
        cli(env, "migrate")
        cli(env, "demo")
        with serving(env, data_dir / "server.log") as url:
            yield LiveServer(url, data_dir, env)


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CALL_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class WireBytes:
    """Bytes received by one page, per response, from the DevTools network events."""

    def __init__(self, context: BrowserContext, page: Page, cache: bool) -> None:
        self.session = context.new_cdp_session(page)
        self.session.send("Network.enable")
        self.session.send("Network.setCacheDisabled", {"cacheDisabled": not cache})
        self.urls: dict[str, str] = {}
        self.encoded: dict[str, int] = {}
        self.decoded: dict[str, int] = {}
        self.session.on("Network.requestWillBeSent", self._sent)
        self.session.on("Network.dataReceived", self._data)
        self.session.on("Network.loadingFinished", self._finished)

    def _sent(self, event: dict[str, Any]) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _data(self, event: dict[str, Any]) -> None:
        key = event["requestId"]
        self.decoded[key] = self.decoded.get(key, 0) + event["dataLength"]

    def _finished(self, event: dict[str, Any]) -> None:
        self.encoded[event["requestId"]] = int(event["encodedDataLength"])

    def take(self) -> tuple[int, int, list[str]]:
        """(bytes on the wire, bytes after decompression, URLs) since the last take."""
        total, plain = sum(self.encoded.values()), sum(self.decoded.values())
        urls = sorted({self.urls.get(k, "?").split("?")[0] for k in self.encoded})
        self.encoded.clear()
        self.decoded.clear()
        return total, plain, urls


def journey(page: Page, server: LiveServer, link: str) -> Iterator[str]:
    """Each step loads one caller page; yields its name once it has loaded."""
    page.goto(server.url + link, wait_until="networkidle")
    yield "join_landing"
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Day").wait_for()
    page.wait_for_load_state("networkidle")
    yield "identity_check"
    page.get_by_label("Day").fill("17")
    page.get_by_label("Month").fill("5")
    page.get_by_label("Year").fill("1990")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Your appointment").wait_for()
    page.wait_for_load_state("networkidle")
    yield "appointment"
    page.goto(server.url + "/appointment/check-devices")
    page.get_by_text("Your connection").wait_for()  # its three small requests are done
    yield "device_check"
    page.goto(server.url + "/appointment/call")
    page.get_by_role("heading", name="Waiting for the officer to let you in").wait_for()
    page.wait_for_timeout(500)
    yield "waiting_room_and_call"


def measure(browser: Browser, server: LiveServer, cache: bool) -> dict[str, Any]:
    link = link_from_outbox(server, appointment_starting_soon(server))
    context = browser.new_context(**PHONE)  # type: ignore[arg-type]
    try:
        page = context.new_page()
        wire = WireBytes(context, page, cache)
        pages: dict[str, Any] = {}
        for name in journey(page, server, link):
            encoded, decoded, urls = wire.take()
            pages[name] = {"bytes": encoded, "uncompressed": decoded, "files": len(urls)}
        return pages
    finally:
        context.close()


def main() -> None:
    with live_server() as server, chromium() as browser:
        warm = measure(browser, server, cache=True)
        cold = measure(browser, server, cache=False)
    figures = {
        "caller_pages_bytes": sum(p["bytes"] for p in warm.values()),
        "caller_pages_bytes_uncompressed": sum(p["uncompressed"] for p in warm.values()),
        "caller_pages_bytes_cold": sum(p["bytes"] for p in cold.values()),
        "caller_pages_bytes_budget": BUDGET,
        "caller_pages": {name: warm[name] | {"cold_bytes": cold[name]["bytes"]} for name in warm},
    }
    print(json.dumps(figures, indent=2))
    verdict = "within" if figures["caller_pages_bytes"] <= BUDGET else "OVER"
    print(f"caller pages: {figures['caller_pages_bytes']} bytes, {verdict} the 200 KB budget")
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    saved.update(figures)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
