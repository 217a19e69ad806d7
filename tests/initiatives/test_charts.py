"""The charts as a reader sees them: legends of whole, distinct classes, round axis ticks,
an empty chart said in words, tiles whose names tell the regions apart."""

import itertools
import re
from decimal import Decimal

import pytest
from django.template.defaultfilters import floatformat
from django.utils import translation

from initiatives import charts

D = Decimal


def legend(svg: str) -> list[str]:
    return re.findall(r'<g class="legend">.*?<text x="26" y="[\d.]+">(.*?)</text></g>', svg)


def axis(svg: str) -> list[str]:
    return re.findall(r'class="axis" text-anchor="end">(.*?)</text>', svg)


def tiles(values: dict[str, Decimal | None], **options: object) -> str:
    return charts.tile_map(
        [(kato, f"Region {kato}", values.get(kato)) for kato in charts.TILES],
        title="Map",
        measure_label="Villages",
        **options,  # type: ignore[arg-type]
    )


def test_a_legend_of_small_counts_has_one_class_per_whole_number_and_none_repeats() -> None:
    katos = list(charts.TILES)
    svg = tiles({k: D(1) if n < 3 else D(0) for n, k in enumerate(katos)})
    assert legend(svg) == ["0", "1", "no complete figure"]
    assert "0 … 0" not in svg and "0 … 1" not in svg


@pytest.mark.parametrize(
    "values",
    [
        [D(0), D(1), D(2), D(7)],
        [D(3), D(10839), D(5420)],
        [D(0), D(6)],
        [D(12), D(13), D(14), D(15), D(16), D(17)],
    ],
)
def test_count_classes_are_whole_numbers_in_order_without_overlap(values: list[Decimal]) -> None:
    classes = charts._classes(values, diverging=False, places=0)
    assert 1 <= len(classes) <= 5
    for low, high, _colour in classes:
        assert low == low.to_integral_value() and high == high.to_integral_value() and low <= high
    for (_l1, high, _c1), (low, _h2, _c2) in itertools.pairwise(classes):
        assert low == high + 1  # the next class starts where the last ended: no gap, no repeat
    assert classes[0][0] == min(values) and classes[-1][1] == max(values)
    assert len({c for _l, _h, c in classes}) == len(classes)  # a colour of its own each


def test_change_classes_are_symmetric_around_zero_and_distinct() -> None:
    classes = charts._classes([D("-12.3"), D("4.0"), D("0.2")], diverging=True, places=1)
    bounds = [(low, high) for low, high, _c in classes]
    assert bounds[2] == (D("-2.4"), D("2.4"))  # no change sits in the middle class
    assert [(-high, -low) for low, high in reversed(bounds)] == bounds
    for (_l1, high), (low, _h2) in itertools.pairwise(bounds):
        assert low == high + D("0.1")


def test_a_tile_takes_the_colour_of_the_number_it_shows() -> None:
    classes = charts._classes([D(0), D(1)], diverging=False, places=0)
    assert charts._colour(D("0.4"), classes, 0) == classes[0][2]
    assert charts._colour(D(1), classes, 0) == classes[1][2]


def test_a_half_reads_on_the_chart_as_in_the_table_beside_it() -> None:
    # The tables round halves up (rounded, floatformat); format() and quantize() alone
    # would take them to even: "2" and "12.2" on the chart beside "3" and "12.3".
    with translation.override("en"):
        assert charts.number(D("2.5"), 0) == floatformat(D("2.5"), "0") == "3"
        assert charts.number(D("12.25"), 1) == floatformat(D("12.25"), "1") == "12.3"
        assert charts.number(D("-0.04"), 1) == "0.0"  # never "-0.0"
    classes = charts._classes([D(0), D(1)], diverging=False, places=0)
    assert charts._colour(D("0.5"), classes, 0) == classes[1][2]  # the tile writes "1"


def test_axis_ticks_are_round_numbers_not_halves_of_the_maximum() -> None:
    with translation.override("en"):
        svg = charts.trend(["Jan", "Feb"], [("2026", [D(10839), D(9000)])], title="t")
    assert axis(svg) == ["0", "5\u2009000", "10\u2009000", "15\u2009000"]  # not 0, 5 420, 10 839


def test_a_count_of_one_has_the_ticks_zero_and_one_only() -> None:
    svg = charts.trend(["Jan", "Feb"], [("2026", [D(1), D(1)]), ("2025", [D(0), None])], title="t")
    assert axis(svg) == ["0", "1"]


def test_an_empty_chart_says_so_in_words_and_draws_no_axes() -> None:
    with translation.override("en"):
        trend = charts.trend(["Jan", "Feb"], [("2026", [None, None]), ("2025", [None, None])], title="t")
        ranking = charts.ranking([("Abai", None)], title="r")
    assert "<svg" not in trend and "No complete figure for any month of this span yet." in trend
    assert "<svg" not in ranking and "No complete figure to rank for this span." in ranking
    with translation.override("kk"):
        assert "No complete figure" not in charts.trend(["Jan"], [("2026", [None])], title="t")


def test_a_withheld_count_shows_its_mark_on_the_map_and_in_the_legend() -> None:
    first, second = list(charts.TILES)[:2]
    with translation.override("en"):
        svg = tiles({first: None, second: D(40)}, marks={first: "<3"})
    tile = svg.split(f'data-kato="{first}"')[1].split("</g>")[0]
    assert 'class="tile-value" fill="#111">&lt;3</text>' in tile and f'fill="{charts.WITHHELD}"' in tile
    assert "withheld to protect a small count" in legend(svg)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_every_tile_name_is_whole_and_no_two_tiles_read_alike(reference_data: None, language: str) -> None:
    from regions.models import Region

    with translation.override(language):
        regions = [(r.kato, str(r)) for r in Region.objects.top_level()]
        names = charts.tile_names(regions)
    shown = {kato: " ".join(lines).replace("- ", "-") for kato, lines in names.items()}
    assert len(set(shown.values())) == len(shown) == 20, shown
    assert not any("…" in name for name in shown.values())
    assert all(len(line) <= 14 for lines in names.values() for line in lines), names
    assert shown["190000000"] != shown["750000000"]  # Almaty Region and the city of Almaty
