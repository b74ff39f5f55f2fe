"""Colour contrast after WCAG 2.1 (relative luminance, contrast ratio) for chart colours.

WCAG 2.1 AA asks 4,5:1 for text (1.4.3) and 3:1 for graphics needed to understand a chart
(1.4.11). ``tests/reports/test_colour_contrast.py`` checks every colour of the published
charts with these functions; :func:`text_colour_on` picks the text colour for a value
printed inside a bar.

Example::

    >>> round(contrast_ratio("#767676", "white"), 2)
    4.54
    >>> text_colour_on("#009E73")  # green bar: black text (6,2:1), white would be 3,4:1
    '#000000'
"""

from __future__ import annotations

import re

TEXT_MIN = 4.5
GRAPHIC_MIN = 3.0

_NAMED = {"white": (255, 255, 255), "black": (0, 0, 0)}
_RGB = re.compile(r"rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?\)")


def parse_colour(colour: str) -> tuple[tuple[float, float, float], float]:
    """``(r, g, b)`` (0–255) and alpha of ``#RGB``, ``#RRGGBB``, ``rgb()``, ``rgba()`` or
    ``white``/``black``; raises ValueError for anything else."""
    text = colour.strip().lower()
    if text in _NAMED:
        return _NAMED[text], 1.0
    if text.startswith("#") and len(text) in (4, 7):
        digits = text[1:] if len(text) == 7 else "".join(c * 2 for c in text[1:])
        return tuple(int(digits[i:i + 2], 16) for i in (0, 2, 4)), 1.0  # type: ignore[return-value]
    match = _RGB.fullmatch(text)
    if match:
        r, g, b, a = match.groups()
        return (float(r), float(g), float(b)), float(a) if a is not None else 1.0
    raise ValueError(f"Farbe nicht lesbar: {colour!r}")


def over(colour: str, background: str = "white") -> tuple[float, float, float]:
    """The opaque colour seen when ``colour`` (maybe translucent) lies on ``background``."""
    (r, g, b), alpha = parse_colour(colour)
    (br, bg, bb), _ = parse_colour(background)
    return (r * alpha + br * (1 - alpha), g * alpha + bg * (1 - alpha),
            b * alpha + bb * (1 - alpha))


def luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG relative luminance of an sRGB colour (0–255 channels)."""
    def channel(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str, background: str = "white") -> float:
    """Contrast ratio (1–21) of two colours, translucent ones laid on ``background``."""
    la, lb = luminance(over(a, background)), luminance(over(b, background))
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def text_colour_on(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (for values inside bars)."""
    return "#000000" if contrast_ratio("#000000", fill) >= contrast_ratio("#FFFFFF", fill) \
        else "#FFFFFF"
