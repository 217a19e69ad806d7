import pytest

from regions.kato import KatoCodeError, guess_kind, kato_ancestors, kato_level, kato_prefix, validate_kato


@pytest.mark.parametrize(
    ("code", "level", "prefix"),
    [
        ("710000000", 1, "71"),  # Astana
        ("111000000", 2, "1110"),  # a district of Akmola region
        ("113220000", 3, "113220"),  # a rural okrug
        ("113220100", 4, "113220100"),  # a settlement
        ("110000100", 4, "110000100"),  # a settlement straight under the region
    ],
)
def test_level_and_prefix_follow_the_trailing_zeros(code: str, level: int, prefix: str) -> None:
    assert kato_level(code) == level
    assert kato_prefix(code) == prefix


def test_ancestors_are_listed_nearest_first_and_skip_empty_groups() -> None:
    assert kato_ancestors("113220100") == ["113220000", "113200000", "110000000"]
    assert kato_ancestors("110000100") == ["110000000"]
    assert kato_ancestors("710000000") == []


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("71000000", "exactly 9 digits"),
        ("7100000000", "exactly 9 digits"),
        ("71000000A", "exactly 9 digits"),
        (" 71000000", "exactly 9 digits"),
        ("001000000", "first two digits are 00"),
    ],
)
def test_a_malformed_code_is_refused_with_the_reason(code: str, reason: str) -> None:
    with pytest.raises(KatoCodeError, match=reason) as info:
        validate_kato(code)
    assert repr(code) in str(info.value)


@pytest.mark.parametrize(
    ("code", "name_ru", "parent_kind", "kind"),
    [
        ("750000000", "город Алматы", None, "city"),
        ("110000000", "Акмолинская область", None, "region"),
        ("751100000", "Алатауский район", "city", "city_district"),
        ("111000000", "Кокшетау Г.А.", "region", "city"),
        ("113200000", "Аршалынский район", "region", "district"),
        ("113220000", "Анарский с.о.", "district", "rural_okrug"),
        ("113220100", "с.Анар", "rural_okrug", "settlement"),
    ],
)
def test_the_kind_is_read_from_level_and_name(code: str, name_ru: str, parent_kind: str | None, kind: str) -> None:
    assert guess_kind(code, kato_level(code), name_ru, parent_kind) == kind
