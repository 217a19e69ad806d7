"""The citizen's identifiers as the register treats them: the IIN checked by its official
check digit, a keyed hash of it for finding repeat reporters, and masked display.

Nothing here logs or puts a value into an error message: a problem is named, never
quoted, so a personal number cannot leak through a log line, an error page or a report
of bad rows.
"""

import hashlib
import hmac

from django.conf import settings

IIN_LENGTH = 12
FIRST_WEIGHTS = tuple(range(1, 12))  # 1..11
SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
MASK = "********"
SHOWN_DIGITS = 4


def iin_check_digit(first_eleven: str) -> int | None:
    """The 12th digit the first 11 call for, or None when no digit fits (the IIN is invalid)."""
    digits = [int(c) for c in first_eleven]
    check = sum(d * w for d, w in zip(digits, FIRST_WEIGHTS, strict=True)) % 11
    if check == 10:
        check = sum(d * w for d, w in zip(digits, SECOND_WEIGHTS, strict=True)) % 11
        if check == 10:
            return None
    return check


def iin_is_valid(text: str) -> bool:
    """Twelve ASCII digits whose last is the check digit of the first eleven."""
    if len(text) != IIN_LENGTH or not text.isascii() or not text.isdigit():
        return False
    return iin_check_digit(text[:11]) == int(text[11])


def iin_hash(iin: str) -> str:
    """HMAC-SHA256 of the IIN under a key of its own: equal IINs give equal hashes, and
    without the key the 10^12 possible IINs cannot be tried against it."""
    key = settings.CITIZENS_HASH_KEY.encode()
    return hmac.new(key, iin.encode(), hashlib.sha256).hexdigest()


def masked(value: str) -> str:
    """`********1234`: the last four characters of a value, or nothing when it is empty."""
    if not value:
        return ""
    return MASK + value[-SHOWN_DIGITS:]


def normalized_phone(text: str) -> str:
    """A phone as digits with an optional leading +; spaces, dashes and brackets dropped."""
    kept = "".join(c for c in text.strip() if c.isdigit() or c == "+")
    return kept
