"""Reads about the figures themselves: is what the engine reads in step with the values?"""

from typing import Any

from ..models import RollupCheck


def rollups_health() -> dict[str, Any]:
    """The last comparison of the rollups with the values: when, and how many differences."""
    last = RollupCheck.objects.order_by("-checked_at").values("checked_at", "differences").first()
    if last is None:
        return {"state": "never checked"}
    return {
        "state": "ok" if last["differences"] == 0 else "drift",
        "checked_at": last["checked_at"].isoformat(),
        "differences": last["differences"],
    }
