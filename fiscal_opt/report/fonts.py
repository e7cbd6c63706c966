"""The CJK font of the charts and pages: Noto Sans CJK SC, from the ``noto-cjk-sans-otc`` package.

The package (a dependency, SIL Open Font License 1.1) installs the font file with the project, so
Chinese is drawn on a machine with no font of its own. Matplotlib is given the file; an HTML page
gets a subset holding only the characters it uses, embedded as a WOFF data URL, so the page renders
the same on any machine and needs no network.
"""

from __future__ import annotations

import base64
import io
from functools import cache, lru_cache
from pathlib import Path

FAMILY = "Noto Sans CJK SC"
"""The font family name, as matplotlib and the page's CSS call it."""


@cache
def font_path() -> Path:
    """The font collection installed with the project (Noto Sans CJK, regular weight)."""
    from noto_cjk_sans_otc import FONT_PATH

    return Path(str(FONT_PATH))


@cache
def register_matplotlib() -> str:
    """Make the font known to matplotlib (once per process); returns its family name."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(font_path()))
    return FAMILY


@cache
def _face_index() -> int:
    """Which font of the collection is the Simplified Chinese one."""
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(font_path()), lazy=True)
    try:
        names = [font["name"].getDebugName(1) for font in collection.fonts]
    finally:
        collection.close()
    return names.index(FAMILY)


def embedded_font_css(text: str, family: str = FAMILY) -> str:
    """A CSS ``@font-face`` rule for ``family`` holding the glyphs of every character in ``text``
    (a WOFF subset as a data URL: tens of kilobytes for a report's page)."""
    return _font_face("".join(sorted(set(text) | set(" 0123456789,.%+−–"))), family)


@lru_cache(maxsize=16)
def _font_face(characters: str, family: str) -> str:
    """:func:`embedded_font_css` for a sorted set of characters (subsetting the collection takes about
    half a second: pages with the same characters share it within a process)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.hinting = False
    options.notdef_outline = True
    # recalcBBoxes=False: the glyphs' outlines are copied, not changed, so their bounds stand (measuring
    # the CFF outlines again took 0.3 of the 0.8 s the flagship page's subset costs)
    font = TTFont(str(font_path()), fontNumber=_face_index(), lazy=True, recalcTimestamp=False, recalcBBoxes=False)
    try:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=characters)
        subsetter.subset(font)
        buffer = io.BytesIO()
        font.save(buffer)
    finally:
        font.close()
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f"@font-face{{font-family:'{family}';font-style:normal;font-weight:400;"
            f"src:url(data:font/woff;base64,{data}) format('woff');}}")
