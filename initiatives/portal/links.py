"""The portal's own URLs read back: what the reader typed, and this page's URL with changes."""

from django.http import HttpRequest
from django.utils.http import urlencode


def asked(request: HttpRequest, name: str) -> str:
    """What the reader typed for `name`, short enough to quote back to them."""
    text = request.GET.get(name, "")
    return text if len(text) <= 40 else text[:40] + "…"


def link(
    request: HttpRequest,
    drop: set[str] | frozenset[str] = frozenset(),
    *,
    only: frozenset[str] | None = None,
    **changes: str,
) -> str:
    """This page's URL with `changes`, without `format` and the parameters in `drop`; with
    `only`, of the request's parameters just those (a page kept whole in a cache links with
    what its key holds, never another reader's other parameters)."""
    query: dict[str, str] = {
        k: str(v) for k, v in request.GET.items() if k != "format" and k not in drop and (only is None or k in only)
    }
    query.update(changes)
    return f"{request.path}?{urlencode(query)}"
