"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, printable.

Each function takes plain numbers and the words to show and returns markup; every
number is written beside its colour, and the colours (Okabe-Ito for lines, ColorBrewer's
colour-blind-safe Blues and PuOr for the map) stay apart for colour-blind readers.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import get_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from projectoffice.numbers import rounded

LINE_COLOURS = ("#0072B2", "#E69F00")  # Okabe-Ito blue and orange
SEQUENTIAL = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")  # Blues, 5 classes
DIVERGING = ("#5e3c99", "#b2abd2", "#f7f7f7", "#fdb863", "#e66101")  # PuOr: fall .. rise
NO_DATA = "#d9d9d9"
WITHHELD = "#ffffff"  # a withheld count: white, its mark ("<3", "x") written on it

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
    # Rounded as the tables round (halves up), not as format() would (halves to even).
    shown = rounded(value, places)
    text = f"{shown:,.{places}f}".replace(",", "\u2009").replace(".", get_format("DECIMAL_SEPARATOR"))
    return text.replace("-", "\u2212")


def _scale(values: Sequence[Decimal | None]) -> tuple[float, float]:
    known = [float(v) for v in values if v is not None]
    if not known:
        return 0.0, 1.0
    low, high = min([*known, 0.0]), max(known)
    return low, high if high > low else low + 1


def ticks(low: float, high: float, places: int = 0) -> list[Decimal]:
    """Round numbers for an axis from `low` (or below) to `high` (or above): a step of 1, 2
    or 5 times a power of ten, never finer than the KPI's places, so a count's axis reads
    0, 5 000, 10 000, 15 000 rather than 0, 5 420, 10 839, and 0, 1 rather than 0, 0, 1."""
    finest = 10.0**-places
    rough = max((high - low) / 4, finest)
    power = 10.0 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough - 1e-12)
    step = max(step, finest)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    if last <= first:
        last = first + 1
    exponent = Decimal(1).scaleb(-places)
    return [Decimal(str(round(n * step, places))).quantize(exponent) for n in range(first, last + 1)]


def no_data(words: str) -> SafeString:
    """An empty chart says so in words instead of drawing axes around nothing."""
    return format_html('<p class="muted no-data">{}</p>', words)


@dataclass(frozen=True)
class FanMonth:
    """One month of a forecast drawn after the actuals: its place on the chart's months,
    the point forecast and its 80% and 95% ranges."""

    index: int
    value: Decimal
    lower_80: Decimal
    upper_80: Decimal
    lower_95: Decimal
    upper_95: Decimal


@dataclass(frozen=True)
class Fan:
    """A forecast's fan: its months, and the last actual it starts from (index, value),
    where there is one just before its first month."""

    months: Sequence[FanMonth]
    start: tuple[int, Decimal] | None
    run: int
    words: str  # what the fan is, for a reader who cannot see it (and on hover)


def trend(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Decimal | None]]],
    *,
    title: str,
    places: int = 0,
    fan: Fan | None = None,
) -> SafeString:
    """Monthly lines, one per year, the newest first in `series`; a month without a
    complete figure breaks the line rather than dropping it to zero. A `fan` continues the
    newest line with the forecast: its 95% band (lighter), its 80% band and the point
    forecast dashed, so it reads in print and without colour."""
    # Room on the left for the numbers, on the right for December, above for the key.
    width, height, left, right, bottom, top = 640, 240, 78, 24, 28, 40
    known = [v for _name, values in series for v in values if v is not None]
    if fan is not None and fan.months:
        known += [m.upper_95 for m in fan.months] + [m.lower_95 for m in fan.months]
    if not known:
        return no_data(_("No complete figure for any month of this span yet."))
    axis = ticks(min(0.0, *map(float, known)), max(map(float, known)), places)
    low, high = float(axis[0]), float(axis[-1])
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
    for tick in axis:
        ty = top + (height - top - bottom) * (1 - (float(tick) - low) / (high - low))
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
                number(tick, places),
            )
        )
    # Past a year (the chart going on with a forecast), every other month is named.
    named = 1 if len(labels) <= 12 else 2
    for i, label in enumerate(labels):
        if i % named:
            continue
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="axis" text-anchor="middle">{}</text>',
                f"{left + i * step:.1f}",
                height - 8,
                label,
            )
        )
    if fan is not None and fan.months:
        parts.append(_fan(fan, labels, places, lambda i: left + i * step, y))
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


def _fan(
    fan: Fan, labels: Sequence[str], places: int, x: Callable[[int], float], y: Callable[[Decimal], float]
) -> SafeString:
    """The fan's bands as polygons (upper edge left to right, lower edge back), its point
    forecast as a dashed line with a marked point per month whose title and data
    attributes carry the numbers."""
    months = list(fan.months)
    # Each edge: the month's place and its numbers (value, 80% low/high, 95% low/high); the
    # last actual starts every band at its own value, so the fan opens from it.
    edges: list[tuple[int, tuple[Decimal, ...]]] = [(fan.start[0], (fan.start[1],) * 5)] if fan.start else []
    edges += [(m.index, (m.value, m.lower_80, m.upper_80, m.lower_95, m.upper_95)) for m in months]

    def band(low: int, high: int) -> str:
        upper = [f"{x(i):.1f},{y(n[high]):.1f}" for i, n in edges]
        lower = [f"{x(i):.1f},{y(n[low]):.1f}" for i, n in reversed(edges)]
        return " ".join(upper + lower)

    line = " ".join(f"{x(i):.1f},{y(n[0]):.1f}" for i, n in edges)
    parts = [
        format_html('<g class="fan" data-run="{}"><title>{}</title>', fan.run, fan.words),
        format_html('<polygon class="band-95" points="{}" fill="#0072B2" fill-opacity="0.12"/>', band(3, 4)),
        format_html(
            '<polygon class="band-80" points="{}" fill="#0072B2" fill-opacity="0.28" stroke="#0072B2" '
            'stroke-opacity="0.5" stroke-width="0.5"/>',
            band(1, 2),
        ),
        format_html(
            '<polyline class="forecast" points="{}" fill="none" stroke="#0072B2" stroke-width="2" '
            'stroke-dasharray="2 3"/>',
            line,
        ),
    ]
    for m in months:
        label = labels[m.index] if m.index < len(labels) else ""
        parts.append(
            format_html(
                '<circle class="forecast-point" cx="{}" cy="{}" r="3" fill="#fff" stroke="#0072B2" '
                'stroke-width="1.5" data-value="{}" data-lower-80="{}" data-upper-80="{}" data-lower-95="{}" '
                'data-upper-95="{}"><title>{}</title></circle>',
                f"{x(m.index):.1f}",
                f"{y(m.value):.1f}",
                m.value,
                m.lower_80,
                m.upper_80,
                m.lower_95,
                m.upper_95,
                _("%(month)s forecast: %(value)s (80%%: %(low80)s–%(high80)s; 95%%: %(low95)s–%(high95)s)")
                % {
                    "month": label,
                    "value": number(m.value, places),
                    "low80": number(m.lower_80, places),
                    "high80": number(m.upper_80, places),
                    "low95": number(m.lower_95, places),
                    "high95": number(m.upper_95, places),
                },
            )
        )
    parts.append(mark_safe("</g>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part escaped by format_html


def bars_by_horizon(
    values: Sequence[float | None], *, title: str, reference: float = 1.0, reference_words: str = ""
) -> SafeString:
    """A small chart of one number per horizon (1-12): a bar each, with a dashed line at
    `reference` (1: as good as the benchmark), every bar's number in its title."""
    width, height, left, right, top, bottom = 320, 120, 30, 8, 10, 20
    known = [v for v in values if v is not None]
    if not known:
        return no_data(_("No backtest yet."))
    high = max([*known, reference]) * 1.1
    slot = (width - left - right) / max(len(values), 1)

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - v / high)

    parts = [
        format_html(
            '<svg class="chart horizons" viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>',
            width,
            height,
            title,
            title,
        )
    ]
    for i, v in enumerate(values):
        cx = left + slot * i
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="axis" text-anchor="middle">{}</text>',
                f"{cx + slot / 2:.1f}",
                height - 6,
                i + 1,
            )
        )
        if v is None:
            continue
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" data-horizon="{}" data-value="{}">'
                "<title>{}</title></rect>",
                f"{cx + slot * 0.15:.1f}",
                f"{y(v):.1f}",
                f"{slot * 0.7:.1f}",
                f"{y(0) - y(v):.1f}",
                LINE_COLOURS[0] if v <= reference else LINE_COLOURS[1],
                i + 1,
                f"{v:.2f}",
                _("%(horizon)s months ahead: %(value)s") % {"horizon": i + 1, "value": f"{v:.2f}"},
            )
        )
    parts.append(
        format_html(
            '<line class="reference" x1="{}" x2="{}" y1="{}" y2="{}" stroke="#000" stroke-dasharray="4 3"/>'
            '<text x="{}" y="{}" class="axis" text-anchor="end">{}</text>',
            left,
            width - right,
            f"{y(reference):.1f}",
            f"{y(reference):.1f}",
            width - right,
            f"{y(reference) - 3:.1f}",
            reference_words or f"{reference:g}",
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
    in the second colour. Drawn twice: names beside the bars for a wide page, names above
    them for a phone, where a 640-unit drawing would shrink its words to 6 px (the page's
    stylesheet shows the one that fits)."""
    known = [(name, v) for name, v in items if v is not None]
    if not known:
        return no_data(_("No complete figure to rank for this span."))
    if not keep_order:
        known.sort(key=lambda item: -item[1])
    high = max((abs(float(v)) for _n, v in known), default=1.0) or 1.0
    return mark_safe(  # noqa: S308 - both escaped by format_html
        _ranking_wide(known, high, title=title, places=places, suffix=suffix)
        + _ranking_narrow(known, high, title=title, places=places, suffix=suffix)
    )


def _ranking_wide(known: list[tuple[str, Decimal]], high: float, *, title: str, places: int, suffix: str) -> SafeString:
    bar_height, label_width, width = 20, 240, 640
    height = bar_height * len(known) + 8
    parts = [
        format_html(
            '<svg class="chart ranking wide" viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>',
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


def _ranking_narrow(
    known: list[tuple[str, Decimal]], high: float, *, title: str, places: int, suffix: str
) -> SafeString:
    """About as many units wide as a phone's column has pixels, so 14 units read as 13 px;
    each name on its own line above its bar, whole up to the width of the drawing."""
    row, width, room = 40, 340, 80
    parts = [
        format_html(
            '<svg class="chart ranking narrow" viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>',
            width,
            row * len(known) + 4,
            title,
            title,
        )
    ]
    for i, (name, value) in enumerate(known):
        length = (width - room) * abs(float(value)) / high
        y = i * row
        parts.append(
            format_html(
                '<g><title>{}: {}</title><text x="0" y="{}" class="label">{}</text>'
                '<rect x="0" y="{}" width="{}" height="{}" fill="{}"/><text x="{}" y="{}">{}</text></g>',
                name,
                number(value, places) + suffix,
                y + 15,
                _cut(name, 40),
                y + 21,
                f"{length:.1f}",
                14,
                LINE_COLOURS[1] if value < 0 else LINE_COLOURS[0],
                f"{length + 4:.1f}",
                y + 33,
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


def _classes(values: Sequence[Decimal], diverging: bool, places: int = 0) -> list[tuple[Decimal, Decimal, str]]:
    """Up to five classes (around zero for changes), with their colours. Each class is a
    range of the numbers the map writes (whole numbers for a count), none repeats another
    or overlaps it: counts of 0 and 1 make two classes, "0" and "1", never
    "0 … 0, 0 … 0, 0 … 1"."""
    if not values:
        return []
    quantum = Decimal(1).scaleb(-places)
    steps = [int((v / quantum).to_integral_value()) for v in values]
    ranges: list[tuple[int, int, str]]
    if diverging:
        reach = max(abs(k) for k in steps)
        middle = reach // 5
        split = middle + (reach - middle + 1) // 2
        candidates = [
            (-reach, -split - 1, DIVERGING[0]),
            (-split, -middle - 1, DIVERGING[1]),
            (-middle, middle, DIVERGING[2]),
            (middle + 1, split, DIVERGING[3]),
            (split + 1, reach, DIVERGING[4]),
        ]
        ranges = [(low, high, colour) for low, high, colour in candidates if low <= high]
    else:
        low, high = min(steps), max(steps)
        count = min(5, high - low + 1)
        edges = [low + math.ceil(i * (high - low + 1) / count) for i in range(count + 1)]
        shades = [SEQUENTIAL[2]] if count == 1 else [SEQUENTIAL[round(i * 4 / (count - 1))] for i in range(count)]
        ranges = [(edges[i], edges[i + 1] - 1, shades[i]) for i in range(count)]
    return [(low * quantum, high * quantum, colour) for low, high, colour in ranges]


def _colour(value: Decimal | None, classes: list[tuple[Decimal, Decimal, str]], places: int = 0) -> str:
    """The class of the number as the map writes it (rounded to the places)."""
    if value is None or not classes:
        return NO_DATA
    shown = rounded(value, places)
    for _low, high, colour in classes:
        if shown <= high:
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
    marks: dict[str, str] | None = None,
) -> SafeString:
    """The 20 first-level regions as a grid of tiles, each coloured by its measure with
    the number written on it, a title on hover and a legend of the classes. `marks`: what
    a tile shows instead of a number that is withheld ("<3", "x"), as the table does.

    On a phone the drawing keeps a readable size and scrolls sideways in its own box
    (the page itself never does): shrunk to the phone's width its names would be 6 px."""
    size, gap = 100, 6
    marks = marks or {}
    classes = _classes([v for k, _n, v in tiles if v is not None and k not in marks], diverging, places)
    columns = 1 + max(c for c, _r in TILES.values())
    rows = 1 + max(r for _c, r in TILES.values())
    width, map_height = columns * (size + gap), rows * (size + gap)
    withheld = any(k in marks for k, _n, _v in tiles)
    height = map_height + 30 + 22 * (len(classes) + 1 + withheld)
    suffix = "%" if diverging else ""
    names = tile_names([(k, n) for k, n, _v in tiles])
    parts = [
        format_html(
            '<div class="map-box"><svg class="chart tilemap" viewBox="0 0 {} {}" role="img" aria-label="{}">'
            "<title>{}</title>",
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
        if kato in marks:
            colour, shown = WITHHELD, marks[kato]
        else:
            colour = _colour(value, classes, places)
            shown = number(value, places) + (suffix if value is not None else "")
        dark = colour in (SEQUENTIAL[3], SEQUENTIAL[4], DIVERGING[0], DIVERGING[4])
        ink = "#fff" if dark else "#111"
        lines = names.get(kato, [name])
        first = y + (40 if len(lines) == 1 else 30)
        # A line as long as the tile ("Кызылординская") is drawn a little narrower, not
        # over its neighbour.
        label = format_html_join(
            "",
            '<tspan x="{}" y="{}"{}>{}</tspan>',
            (
                (x + size // 2, first + 15 * n, mark_safe(SQUEEZED) if len(line) > LINE - 1 else "", line)  # noqa: S308
                for n, line in enumerate(lines)
            ),
        )
        tile = format_html(
            '<g class="tile" data-kato="{}" tabindex="0"><title>{}: {}</title>'
            '<rect x="{}" y="{}" width="{}" height="{}" rx="6" fill="{}" stroke="#555" stroke-width="0.5"/>'
            '<text text-anchor="middle" class="tile-name" fill="{}">{}</text>'
            '<text x="{}" y="{}" text-anchor="middle" class="tile-value" fill="{}">{}</text></g>',
            kato,
            name,
            shown,
            x,
            y,
            size,
            size,
            colour,
            ink,
            label,
            x + size // 2,
            y + 72,
            ink,
            shown,
        )
        if links and kato in links:
            tile = format_html('<a href="{}">{}</a>', links[kato], tile)
        parts.append(tile)
    y = map_height + 20
    parts.append(format_html('<text x="0" y="{}" class="legend-title">{}</text>', y, measure_label))
    keys = [
        (
            colour,
            number(low, places) + suffix
            if low == high
            else f"{number(low, places)}{suffix} … {number(high, places)}{suffix}",
        )
        for low, high, colour in classes
    ]
    keys.append((NO_DATA, _("no complete figure")))
    if withheld:
        keys.append((WITHHELD, _("withheld to protect a small count")))
    for i, (colour, words) in enumerate(keys):
        parts.append(
            format_html(
                '<g class="legend"><rect x="0" y="{}" width="18" height="16" fill="{}" stroke="#555" '
                'stroke-width="0.5"/><text x="26" y="{}">{}</text></g>',
                y + 8 + 22 * i,
                colour,
                y + 21 + 22 * i,
                words,
            )
        )
    parts.append(mark_safe("</svg></div>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part escaped by format_html


def _cut(name: str, length: int) -> str:
    """A label that fits its room; the whole name is in the title on hover."""
    return name if len(name) <= length else name[: length - 1] + "…"


# Words a tile can do without ("Abai", not "Abai Region"), as long as no two tiles then
# read the same: "Almaty Region" and the city "Almaty" keep their whole names.
GENERIC_WORDS = (" Region", " область", " облысы", " облыс", " қаласы", "область ", "город ", "City of ")
LINE = 13  # characters a line of a tile holds at the tile's font size
SQUEEZED = ' textLength="92" lengthAdjust="spacingAndGlyphs"'  # a constant


def tile_names(tiles: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Each tile's label in lines: the name without generic words unless that would make
    two tiles read alike, broken at spaces and hyphens into lines that fit the tile."""
    short = {}
    for kato, name in tiles:
        for word in GENERIC_WORDS:
            name = name.replace(word, "")
        short[kato] = name.strip()
    seen: dict[str, int] = {}
    for name in short.values():
        seen[name] = seen.get(name, 0) + 1
    whole = dict(tiles)
    return {kato: _lines(whole[kato] if seen[name] > 1 else name) for kato, name in short.items()}


def _lines(name: str) -> list[str]:
    words = name.replace("-", "- ").split()
    lines: list[str] = []
    for word in words:
        joined = f"{lines[-1]}{'' if lines[-1].endswith('-') else ' '}{word}" if lines else word
        if lines and len(joined) <= LINE:
            lines[-1] = joined
        else:
            lines.append(word)
    return lines


@dataclass(frozen=True)
class AlertSeries:
    """An alert's months around it, as detection stored them: the observed counts (None
    where a month has none), what was expected and the band's edges, oldest first; the
    alert's month is the last."""

    months: Sequence[str]
    observed: Sequence[Decimal | None]
    expected: Sequence[Decimal | None]
    lower: Sequence[Decimal | None]
    upper: Sequence[Decimal | None]


def alert_chart(series: AlertSeries, *, title: str, marked_words: str, band_words: str) -> SafeString:
    """An alert's small chart: the expected band shaded, what was expected dashed inside it,
    the observed counts as a line (broken where a month has none), the alert's month ringed
    and named. Small enough for a card; its numbers are in the titles, its meaning in words
    beside it."""
    width, height, left, right, top, bottom = 320, 130, 44, 10, 8, 22
    known = [v for values in (series.observed, series.lower, series.upper) for v in values if v is not None]
    if not known or not series.months:
        return no_data(_("No chart for this alert."))
    axis = ticks(min(0.0, *map(float, known)), max(map(float, known)))
    low, high = float(axis[0]), float(axis[-1])
    count = len(series.months)
    step = (width - left - right) / max(count - 1, 1)

    def x(i: int) -> str:
        return f"{left + i * step:.1f}"

    def y(v: Decimal) -> str:
        return f"{top + (height - top - bottom) * (1 - (float(v) - low) / (high - low)):.1f}"

    parts = [
        format_html(
            '<svg class="chart alert-chart" viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>',
            width,
            height,
            title,
            title,
        )
    ]
    for tick in (axis[0], axis[-1]):
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/><text x="{}" y="{}" class="axis" '
                'text-anchor="end">{}</text>',
                left,
                width - right,
                y(tick),
                y(tick),
                left - 4,
                f"{float(y(tick)) + 4:.1f}",
                number(tick),
            )
        )
    for i in (0, count - 1):
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="axis" text-anchor="{}">{}</text>',
                x(i),
                height - 6,
                "start" if i == 0 else "end",
                series.months[i],
            )
        )
    # The band: upper edge left to right, lower edge back, over the months that have both.
    edges = [
        (i, lo, up) for i, (lo, up) in enumerate(zip(series.lower, series.upper, strict=True)) if lo is not None and up
    ]
    if edges:
        points = [f"{x(i)},{y(up)}" for i, _lo, up in edges] + [f"{x(i)},{y(lo)}" for i, lo, _up in reversed(edges)]
        parts.append(
            format_html(
                '<polygon class="band" points="{}" fill="{}" fill-opacity="0.18" stroke="{}" stroke-opacity="0.4" '
                'stroke-width="0.5"><title>{}</title></polygon>',
                " ".join(points),
                LINE_COLOURS[0],
                LINE_COLOURS[0],
                band_words,
            )
        )
    expected = [f"{x(i)},{y(v)}" for i, v in enumerate(series.expected) if v is not None]
    if len(expected) > 1:
        parts.append(
            format_html(
                '<polyline class="expected" points="{}" fill="none" stroke="{}" stroke-width="1.5" '
                'stroke-dasharray="4 3"/>',
                " ".join(expected),
                LINE_COLOURS[0],
            )
        )
    runs: list[list[str]] = [[]]
    for i, v in enumerate(series.observed):
        if v is None:
            runs.append([])
        else:
            runs[-1].append(f"{x(i)},{y(v)}")
    for run in runs:
        if len(run) > 1:
            parts.append(
                format_html(
                    '<polyline class="observed" points="{}" fill="none" stroke="#000" stroke-width="1.5"/>',
                    " ".join(run),
                )
            )
    last = series.observed[-1]
    if last is not None:
        parts.append(
            format_html(
                '<circle class="marked" cx="{}" cy="{}" r="4.5" fill="{}" stroke="#000" stroke-width="1">'
                "<title>{}</title></circle>",
                x(count - 1),
                y(last),
                LINE_COLOURS[1],
                marked_words,
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part escaped by format_html
