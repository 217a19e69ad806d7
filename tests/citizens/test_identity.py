"""The IIN's official check digit, its keyed hash, and masked display."""

import pytest

from citizens.identity import iin_check_digit, iin_hash, iin_is_valid, masked


def check_by_hand(first_eleven: str) -> int | None:
    digits = [int(c) for c in first_eleven]
    first = sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11
    if first != 10:
        return first
    second = sum(d * w for d, w in zip(digits, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2], strict=True)) % 11
    return None if second == 10 else second


def test_a_first_pass_check_digit_is_accepted_and_any_other_refused():
    # 1*9+2*0+3*0+4*1+5*0+6*1+7*3+8*0+9*0+10*0+11*1 = 9+4+6+21+11 = 51; 51 mod 11 = 7
    assert iin_check_digit("90010130001") == 7
    assert iin_is_valid("900101300017")
    assert not iin_is_valid("900101300018")


def test_the_second_pass_applies_when_the_first_gives_ten():
    # An IIN whose first pass gives 10 but whose second does not.
    found = next(
        f"{n:011d}"
        for n in range(80010100000, 80010199999)
        if check_by_hand(f"{n:011d}") is not None
        and sum(int(c) * w for c, w in zip(f"{n:011d}", range(1, 12), strict=True)) % 11 == 10
    )
    second = sum(int(c) * w for c, w in zip(found, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2], strict=True)) % 11
    assert iin_check_digit(found) == second
    assert iin_is_valid(found + str(second))


def test_an_iin_whose_both_passes_give_ten_is_invalid_whatever_its_last_digit():
    hopeless = next(f"{n:011d}" for n in range(80010100000, 80010199999) if check_by_hand(f"{n:011d}") is None)
    assert iin_check_digit(hopeless) is None
    assert not any(iin_is_valid(hopeless + str(d)) for d in range(10))


@pytest.mark.parametrize("text", ["", "90010130001", "9001013000171", "90010130001a", "９００１０１３０００１７"])
def test_anything_but_twelve_ascii_digits_is_invalid(text):
    assert not iin_is_valid(text)


def test_the_keyed_hash_is_stable_and_depends_on_its_key(settings):
    before = iin_hash("900101300017")
    assert before == iin_hash("900101300017") and len(before) == 64
    assert "900101300017" not in before
    settings.CITIZENS_HASH_KEY = "another-key"
    assert iin_hash("900101300017") != before


def test_masked_shows_only_the_last_four():
    assert masked("900101300017") == "********0017"
    assert masked("") == ""
