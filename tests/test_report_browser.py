"""The flagship report as a person sees it: rendered by a real headless Chromium (Debian's package,
installed by .ci/run), screenshotted and checked.

How "Chinese was drawn with a CJK font" is checked: Chromium's DevTools call
``CSS.getPlatformFontsForNode`` reports, for one element, every font that actually drew its glyphs,
with ``isCustomFont`` true for a web font. A machine without CJK fonts (CI's has none) would fall
back to a system font and draw boxes; so every font reported for the Chinese heading, a summary
sentence, a region's name in a table and a chart label must be the page's embedded Noto Sans CJK SC.
That the charts are there is checked twice: each ``<figure>`` holds an SVG laid out at a useful
size, and its part of the screenshot is not blank.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

import fiscal_opt as fo
from browser import Browser, chromium
from fiscal_opt.report.charts import RESULT_CHARTS

REPO = Path(__file__).resolve().parents[1]

if chromium() is None and not os.environ.get("CI"):
    pytest.skip("chromium is not installed (apt-get install chromium; .ci/run installs it)", allow_module_level=True)

PROBE = """(() => {
  const hit = [...document.querySelectorAll('#chart-transfer_per_head svg text')]
      .find(e => /[\\u4e00-\\u9fff]/.test(e.textContent));
  hit.setAttribute('data-probe', 'chart-label');
  return hit.textContent;
})()"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The flagship's Chinese report open in Chromium, with a full-page screenshot."""
    folder = tmp_path_factory.mktemp("browser")
    result = fo.solve(fo.load_instance(REPO / "instances" / "china-2020-provinces.yaml"))
    out = result.write(folder / "report", ["html"], lang="zh")
    with Browser() as browser:
        browser.open(out / "report.html")
        shot = folder / "page.png"
        browser.screenshot(shot)
        yield browser, shot


def test_chinese_text_is_drawn_with_the_embedded_cjk_font(rendered):
    browser, _ = rendered
    faces = browser.evaluate("[...document.fonts].map(f => [f.family, f.status])")
    assert ["Noto Sans CJK SC", "loaded"] in faces
    assert browser.evaluate(PROBE)
    for selector in ("h1", "#summary .summary p", "table.regions tbody tr td:nth-child(2)", "[data-probe]"):
        fonts = browser.fonts_for(selector)
        assert fonts, selector
        for font in fonts:
            assert font["isCustomFont"] and font["familyName"] == "Noto Sans CJK SC", (selector, fonts)
            assert font["glyphCount"] > 0
    assert browser.evaluate("document.querySelector('h1').textContent") == "资金分配报告"


def test_every_chart_is_laid_out_and_drawn(rendered):
    from PIL import Image

    browser, shot = rendered
    boxes = browser.evaluate("""[...document.querySelectorAll('figure')].map(f => {
        const r = f.querySelector('svg').getBoundingClientRect();
        return [f.dataset.chart, r.x + window.scrollX, r.y + window.scrollY, r.width, r.height]; })""")
    names = [b[0] for b in boxes]
    assert [n for n in names if n in RESULT_CHARTS] == list(RESULT_CHARTS) and set(names) - set(RESULT_CHARTS) <= {
        "province_map"}
    image = Image.open(io.BytesIO(shot.read_bytes())).convert("L")
    for name, x, y, width, height in boxes:
        assert width > 300 and height > 150, name
        crop = image.crop((int(x), int(y), int(x + width), int(y + height)))
        inked = sum(crop.histogram()[:200]) / (crop.width * crop.height)
        assert inked > 0.02, (name, inked)       # at least 2 % of the chart's pixels are drawn


def test_the_page_is_complete_without_the_network(rendered):
    browser, _ = rendered
    sources = browser.evaluate("""[...document.querySelectorAll('[src],[href]')]
        .map(e => e.getAttribute('src') || e.getAttribute('href'))""")
    assert sources == []
    headings = browser.evaluate("[...document.querySelectorAll('h2')].map(h => h.textContent)")
    assert headings == ["摘要", "图表", "数据表", "术语"]
    assert browser.evaluate("document.querySelectorAll('table').length") >= 4
