"""Log-in lock-out that also stops password spraying: django-axes, extended.

Axes counts wrong passwords per lock-out key and compares the largest count with one
limit. Two keys are kept here: one account from one address (`AXES_FAILURE_LIMIT`, a
person who forgot a password) and one address whatever the account
(`AXES_IP_FAILURE_LIMIT`, higher, since an office behind one address has many people),
which stops one address trying a few passwords on many accounts. A right password
clears only its own account's count from that address: otherwise an attacker holding one
account could log into it between guesses to wipe the address's count.
"""

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest


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
