"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, printable.

Each function takes plain numbers and the words to show and returns markup; every
number is written beside its colour, and the colours (Okabe-Ito for lines, ColorBrewer's
colour-blind-safe Blues and PuOr for the map) stay apart for colour-blind readers.
"""

from collections.abc import Sequence
from decimal import Decimal

from django.utils.formats import get_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

LINE_COLOURS = ("#0072B2", "#E69F00")  # Okabe-Ito blue and orange
SEQUENTIAL = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")  # Blues, 5 classes
DIVERGING = ("#5e3c99", "#b2abd2", "#f7f7f7", "#fdb863", "#e66101")  # PuOr: fall .. rise
NO_DATA = "#d9d9d9"

# A schematic grid of the 20 first-level regions, roughly where they lie: (column, row).
TILES: dict[str, tuple[int, int]] = {
    "270000000": (0, 0),
    "390000000": (2, 0),
    "590000000": (3, 0),
    "550000000": (4, 0),
    "230000000": (0, 1),
    "150000000": (1, 1),
    "110000000": (2, 1),
    "710000000": (3, 1),
    "100000000": (4, 1),
    "630000000": (5, 1),
    "470000000": (0, 2),
    "430000000": (1, 2),
    "620000000": (2, 2),
    "350000000": (3, 2),
    "330000000": (4, 2),
    "610000000": (1, 3),
    "790000000": (2, 3),
    "310000000": (3, 3),
    "190000000": (4, 3),
    "750000000": (5, 3),
}


def number(value: Decimal | None, places: int = 0) -> str:
    """A number for a label: grouped by thin spaces, so it reads the same in kk, ru, en, and
    with the reader's decimal separator, as the tables beside the charts print it."""
    if value is None:
        return "—"
    text = f"{value:,.{places}f}".replace(",", "\u2009").replace(".", get_format("DECIMAL_SEPARATOR"))
    return text.replace("-", "\u2212")


def _scale(values: Sequence[Decimal | None]) -> tuple[float, float]:
    known = [float(v) for v in values if v is not None]
    if not known:
        return 0.0, 1.0
    low, high = min([*known, 0.0]), max(known)
    return low, high if high > low else low + 1


def trend(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence[Decimal | None]]], *, title: str, places: int = 0
) -> SafeString:
    """Monthly lines, one per year, the newest first in `series`; a month without a
    complete figure breaks the line rather than dropping it to zero."""
    # Room on the left for the numbers, on the right for December, above for the key.
    width, height, left, right, bottom, top = 640, 240, 78, 24, 28, 40
    low, high = _scale([v for _name, values in series for v in values])
    step = (width - left - right) / max(len(labels) - 1, 1)

    def y(v: Decimal) -> float:
        return top + (height - top - bottom) * (1 - (float(v) - low) / (high - low))

    parts = [
        format_html(
            '<svg class="chart trend" viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>',
            width,
            height,
            title,
            title,
        )
    ]
    for tick in (low, (low + high) / 2, high):
        ty = top + (height - top - bottom) * (1 - (tick - low) / (high - low))
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/><text x="{}" y="{}" class="axis" '
                'text-anchor="end">{}</text>',
                left,
                width - right,
                f"{ty:.1f}",
                f"{ty:.1f}",
                left - 6,
                f"{ty + 4:.1f}",
                number(Decimal(str(round(tick, places))), places),
            )
        )
    for i, label in enumerate(labels):
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="axis" text-anchor="middle">{}</text>',
                f"{left + i * step:.1f}",
                height - 8,
                label,
            )
        )
    for n, (name, values) in enumerate(series):
        colour = LINE_COLOURS[n % len(LINE_COLOURS)]
        dash = "" if n == 0 else ' stroke-dasharray="6 4"'
        runs: list[list[str]] = [[]]
        for i, v in enumerate(values):
            if v is None:
                runs.append([])
                continue
            runs[-1].append(f"{left + i * step:.1f},{y(v):.1f}")
            parts.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{} {}: {}</title></circle>',
                    f"{left + i * step:.1f}",
                    f"{y(v):.1f}",
                    colour,
                    labels[i] if i < len(labels) else "",
                    name,
                    number(v, places),
                )
            )
        for run in runs:
            if len(run) > 1:
                parts.append(
                    mark_safe(  # noqa: S308 - numbers formatted above, nothing from a user
                        f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
                    )
                )
        parts.append(
            format_html(
                '<g class="key"><line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="2"{}/>'
                '<text x="{}" y="{}">{}</text></g>',
                left + n * 110,
                left + 28 + n * 110,
                14,
                14,
                colour,
                mark_safe(dash),  # noqa: S308 - a constant
                left + 34 + n * 110,
                19,
                name,
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part escaped by format_html


def ranking(
    items: Sequence[tuple[str, Decimal | None]],
    *,
    title: str,
    places: int = 0,
    keep_order: bool = False,
    suffix: str = "",
) -> SafeString:
    """Horizontal bars, largest first (or in the order given), the number (and `suffix`,
    "%" for a change in per cent) at the end of each bar; a negative number's bar is drawn
    in the second colour."""
    known = [(name, v) for name, v in items if v is not None]
    if not keep_order:
        known.sort(key=lambda item: -item[1])
    bar_height, label_width, width = 20, 240, 640
    height = bar_height * max(len(known), 1) + 8
    high = max((abs(float(v)) for _n, v in known), default=1.0) or 1.0
    parts = [
        format_html(
            '<svg class="chart ranking" viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>',
            width,
            height,
            title,
            title,
        )
    ]
    for i, (name, value) in enumerate(known):
        length = (width - label_width - 90) * abs(float(value)) / high
        y = 4 + i * bar_height
        parts.append(
            format_html(
                '<g><title>{}: {}</title><text x="{}" y="{}" text-anchor="end" class="label">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/><text x="{}" y="{}">{}</text></g>',
                name,
                number(value, places) + suffix,
                label_width - 6,
                y + 14,
                _cut(name, 28),
                label_width,
                y + 2,
                f"{length:.1f}",
                bar_height - 4,
                LINE_COLOURS[1] if value < 0 else LINE_COLOURS[0],
                f"{label_width + length + 4:.1f}",
                y + 14,
                number(value, places) + suffix,
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part escaped by format_html


def sparkline(values: Sequence[Decimal | None], *, title: str) -> SafeString:
    if not any(v is not None for v in values):
        return mark_safe("")
    width, height = 96, 24
    low, high = _scale(values)
    step = width / max(len(values) - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{2 + (height - 4) * (1 - (float(v) - low) / (high - low)):.1f}"
        for i, v in enumerate(values)
        if v is not None
    )
    return format_html(
        '<svg class="spark" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}"><title>{}</title>'
        '<polyline points="{}" fill="none" stroke="{}" stroke-width="1.5"/></svg>',
        width,
        height,
        width,
        height,
        title,
        title,
        points,
        LINE_COLOURS[0],
    )


def _classes(values: Sequence[Decimal], diverging: bool) -> list[tuple[Decimal, Decimal, str]]:
    """Five classes of equal width (around zero for changes), with their colours."""
    if not values:
        return []
    if diverging:
        reach = max(abs(v) for v in values) or Decimal(1)
        edges = [-reach + reach * Decimal(2 * i) / 5 for i in range(6)]
        palette = DIVERGING
    else:
        low, high = min(values), max(values)
        if high == low:
            high = low + 1
        edges = [low + (high - low) * Decimal(i) / 5 for i in range(6)]
        palette = SEQUENTIAL
    return [(edges[i], edges[i + 1], palette[i]) for i in range(5)]


def _colour(value: Decimal | None, classes: list[tuple[Decimal, Decimal, str]]) -> str:
    if value is None or not classes:
        return NO_DATA
    for _low, high, colour in classes:
        if value <= high:
            return colour
    return classes[-1][2]


def tile_map(
    tiles: Sequence[tuple[str, str, Decimal | None]],
    *,
    title: str,
    measure_label: str,
    diverging: bool = False,
    places: int = 0,
    links: dict[str, str] | None = None,
) -> SafeString:
    """The 20 first-level regions as a grid of tiles, each coloured by its measure with
    the number written on it, a title on hover and a legend of the classes."""
    size, gap = 100, 6
    classes = _classes([v for _k, _n, v in tiles if v is not None], diverging)
    columns = 1 + max(c for c, _r in TILES.values())
    rows = 1 + max(r for _c, r in TILES.values())
    width, map_height = columns * (size + gap), rows * (size + gap)
    height = map_height + 30 + 22 * (len(classes) + 1)
    suffix = "%" if diverging else ""
    parts = [
        format_html(
            '<svg class="chart tilemap" viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>',
            width,
            height,
            title,
            title,
        )
    ]
    for kato, name, value in tiles:
        if kato not in TILES:
            continue
        column, row = TILES[kato]
        x, y = column * (size + gap), row * (size + gap)
        colour = _colour(value, classes)
        dark = colour in (SEQUENTIAL[3], SEQUENTIAL[4], DIVERGING[0], DIVERGING[4])
        shown = number(value, places) + (suffix if value is not None else "")
        tile = format_html(
            '<g class="tile" data-kato="{}" tabindex="0"><title>{}: {}</title>'
            '<rect x="{}" y="{}" width="{}" height="{}" rx="6" fill="{}" stroke="#555" stroke-width="0.5"/>'
            '<text x="{}" y="{}" text-anchor="middle" class="tile-name" fill="{}">{}</text>'
            '<text x="{}" y="{}" text-anchor="middle" class="tile-value" fill="{}">{}</text></g>',
            kato,
            name,
            shown,
            x,
            y,
            size,
            size,
            colour,
            x + size // 2,
            y + 40,
            "#fff" if dark else "#111",
            _short(name),
            x + size // 2,
            y + 66,
            "#fff" if dark else "#111",
            shown,
        )
        if links and kato in links:
            tile = format_html('<a href="{}">{}</a>', links[kato], tile)
        parts.append(tile)
    y = map_height + 20
    parts.append(format_html('<text x="0" y="{}" class="legend-title">{}</text>', y, measure_label))
    for i, (low, high, colour) in enumerate(classes):
        parts.append(
            format_html(
                '<g class="legend"><rect x="0" y="{}" width="18" height="16" fill="{}" stroke="#555" '
                'stroke-width="0.5"/><text x="26" y="{}">{} … {}</text></g>',
                y + 8 + 22 * i,
                colour,
                y + 21 + 22 * i,
                number(low, places) + suffix,
                number(high, places) + suffix,
            )
        )
    parts.append(
        format_html(
            '<g class="legend"><rect x="0" y="{}" width="18" height="16" fill="{}" stroke="#555" stroke-width="0.5"/>'
            '<text x="26" y="{}">{}</text></g>',
            y + 8 + 22 * len(classes),
            NO_DATA,
            y + 21 + 22 * len(classes),
            _("no complete figure"),
        )
    )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part escaped by format_html


def _cut(name: str, length: int) -> str:
    """A label that fits its room; the whole name is in the title on hover."""
    return name if len(name) <= length else name[: length - 1] + "…"


def _short(name: str) -> str:
    """The tile's label: the region's name without "Region", "область", "город", "облысы",
    cut to fit (the whole name is the tile's title)."""
    for word in (" Region", " область", " облысы", " облыс", " қаласы", "область ", "город ", "City of "):
        name = name.replace(word, "")
    return escape(name if len(name) <= 11 else name[:10] + "…")
