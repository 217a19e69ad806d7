"""Log-in lock-out that also stops password spraying: django-axes, extended.

Axes counts wrong passwords per lock-out key and compares the largest count with one
limit. Two keys are kept here: one account from one address (`AXES_FAILURE_LIMIT`, a
person who forgot a password) and one address whatever the account
(`AXES_IP_FAILURE_LIMIT`, higher, since an office behind one address has many people),
which stops one address trying a few passwords on many accounts. A right password
clears only its own account's count from that address: otherwise an attacker holding one
account could log into it between guesses to wipe the address's count.

The address is the client's, not the proxy's: behind `TRUSTED_PROXY_COUNT` proxies
(README, "Deploying": the TLS proxy) every request comes from the proxy, and counting by
it would let 20 wrong passwords at made-up accounts lock everyone out.
"""

import ipaddress
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The address a log-in attempt is counted by (axes' `AXES_CLIENT_IP_CALLABLE`).

    With no proxy trusted, the peer's address (`REMOTE_ADDR`): an X-Forwarded-For the
    client sent is its own invention. Behind N trusted proxies, each appending the address
    it saw to X-Forwarded-For, the client is the N-th entry from the right; entries left of
    it were written by the client and are not believed."""
    peer: str | None = request.META.get("REMOTE_ADDR")
    hops: int = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return peer
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [entry for entry in forwarded if entry]
    if not forwarded:
        return peer  # came past the proxies: only the peer is known
    candidate = forwarded[-min(hops, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer


def _failures(attempts: QuerySet[Any]) -> int:
    return int(attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0)


class AccountAndAddressHandler(AxesDatabaseHandler):  # type: ignore[misc]
    """For AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"], in that order."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        account_attempts, address_attempts = self.get_user_attempts(request, credentials)
        account = _failures(account_attempts)
        if _failures(address_attempts) >= settings.AXES_IP_FAILURE_LIMIT:
            return max(account, int(get_failure_limit(request, credentials)))
        return account

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        account_attempts = self.filter_user_attempts(request, credentials)[0]
        count, _ = account_attempts.delete()
        return int(count)
