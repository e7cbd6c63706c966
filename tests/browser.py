"""A headless Chromium driven over the DevTools protocol on a pipe (no extra packages, no network).

``Browser`` starts Debian's ``chromium`` with ``--remote-debugging-pipe``: commands go in on file
descriptor 3, answers and events come out on 4, as NUL-terminated JSON. Enough of the protocol to
open a page, wait for its fonts, evaluate JavaScript, ask which fonts rendered a node
(``CSS.getPlatformFontsForNode``) and take a screenshot.

``python tests/browser.py`` renders the flagship report and refreshes the screenshot in docs/.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars",
         "--mute-audio", "--remote-debugging-pipe"]
TIMEOUT = 60.0
"""Seconds to wait for any one answer or event before giving up."""


def chromium() -> str | None:
    """The Chromium executable, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """One Chromium process and one page in it."""

    def __init__(self, width: int = 1100, height: int = 900) -> None:
        executable = chromium()
        if executable is None:
            raise RuntimeError("chromium is not installed (apt-get install chromium)")
        self.profile = tempfile.mkdtemp(prefix="fiscal-opt-chromium-")
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()

        def wire() -> None:  # runs in the child: the protocol's fds 3 and 4, whatever numbers the pipes got
            commands, answers = os.dup(to_child), os.dup(from_child)
            os.dup2(commands, 3)
            os.dup2(answers, 4)

        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
             "about:blank"], close_fds=False, preexec_fn=wire,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "DOM", "CSS"):
            self.send(f"{domain}.enable", session=True)
        self.send("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def send(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        """Send one command and return its result (raises on a protocol error)."""
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _receive(self) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("chromium stopped answering")
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def wait_for(self, event: str) -> dict[str, Any]:
        """Wait for the page's next ``event`` (e.g. ``Page.loadEventFired``)."""
        for k, seen in enumerate(self.events):
            if seen.get("method") == event:
                return self.events.pop(k)
        while True:
            message = self._receive()
            if message.get("method") == event:
                return message
            self.events.append(message)

    def open(self, path: Path) -> None:
        """Load a local file and wait until it and its fonts are loaded."""
        self.events.clear()
        self.send("Page.navigate", session=True, url=path.resolve().as_uri())
        self.wait_for("Page.loadEventFired")
        self.evaluate("document.fonts.ready.then(() => true)")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (awaited when it is a promise)."""
        result = self.send("Runtime.evaluate", session=True, expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def fonts_for(self, selector: str) -> list[dict[str, Any]]:
        """The fonts that actually drew the text of the first node matching ``selector``."""
        root = self.send("DOM.getDocument", session=True, depth=0)["root"]["nodeId"]
        node = self.send("DOM.querySelector", session=True, nodeId=root, selector=selector)["nodeId"]
        if not node:
            raise RuntimeError(f"no node matches {selector!r}")
        return self.send("CSS.getPlatformFontsForNode", session=True, nodeId=node)["fonts"]

    def screenshot(self, path: Path, height: int | None = None) -> None:
        """A PNG of the page from the top: ``height`` CSS pixels, or all of it."""
        size = self.send("Page.getLayoutMetrics", session=True)["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(height or size["height"], size["height"]),
                "scale": 1}
        data = self.send("Page.captureScreenshot", session=True, format="png", clip=clip,
                         captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except RuntimeError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._write)
        os.close(self._read)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def main() -> int:
    """Render the flagship report in Chinese and English and keep the screenshots in docs/."""
    repo = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(repo))
    import fiscal_opt as fo

    result = fo.solve(fo.load_instance(repo / "instances" / "china-2020-provinces.yaml"))
    with tempfile.TemporaryDirectory() as folder, Browser() as browser:
        for lang in ("zh", "en"):
            out = result.write(Path(folder) / lang, ["html"], lang=lang)
            browser.open(out / "report.html")
            browser.screenshot(repo / "docs" / f"report-{lang}.png", height=2200)
            print(f"docs/report-{lang}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
