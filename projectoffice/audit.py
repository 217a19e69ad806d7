"""Who made a change, and why, for the history row django-simple-history writes at the
row's next save: a service names the person itself, since outside a request (a command,
a task) the history middleware knows no one."""

from typing import Any, TypeVar

Recorded = TypeVar("Recorded")


def audited(obj: Recorded, user: Any, reason: str | None = None) -> Recorded:
    """`obj`, its next history row made by `user` (and for `reason`, when given)."""
    obj._history_user = user  # type: ignore[attr-defined]
    if reason is not None:
        obj._change_reason = reason  # type: ignore[attr-defined]
    return obj
