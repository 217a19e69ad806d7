"""How long a log-in lasts: SESSION_IDLE_MINUTES without a request, SESSION_MAX_HOURS in
all, whichever ends first. And what a person typed when it ended is not lost.

Django's own session expiry is one age (SESSION_COOKIE_AGE, here the absolute limit as
well); the idle limit needs the time of the last request, kept in the session and written
at most once a minute so that reading pages does not write the session on each request.
(django-session-timeout knows one of the two limits, and is unmaintained since 2020;
django-session-security works in the browser, by inline script the CSP forbids.)

A form posted after the session ended would be answered with the log-in page and its
content dropped. Views marked `@keeps_unsaved_form` instead get it stashed server-side in
the new, logged-out session, with the user's id and the page's path: after logging in
again (Django keeps the session's data across a log-in), the view takes it back with
`unsaved_form_take` and shows it in the form, unsaved, for the person to check and save.
It works without JavaScript. Only a post that passed the CSRF check is stashed (this runs
after CsrfViewMiddleware), so another site cannot plant one.
"""

import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext as _

STARTED = "_session_started"
SEEN = "_session_seen"
UNSAVED = "_unsaved_form"
# The last request's time is written when it is older than this (seconds).
SEEN_GRANULARITY = 60

V = TypeVar("V", bound=Callable[..., Any])


def keeps_unsaved_form(view: V) -> V:
    """Mark a view whose form, posted after the session ended, comes back after log-in."""
    view.keeps_unsaved_form = True  # type: ignore[attr-defined]
    return view


def unsaved_form_take(request: HttpRequest) -> QueryDict | None:
    """The form this person posted to this page when their session ended, once; else None."""
    stash = request.session.get(UNSAVED)
    if not stash or stash.get("path") != request.path:
        return None
    del request.session[UNSAVED]
    if stash.get("user") != request.user.pk:
        return None  # someone else logged in on this browser: not theirs to see
    data = QueryDict(mutable=True)
    for name, values in stash["fields"]:
        data.setlist(name, values)
    return data


def _begin(sender: object, request: HttpRequest, **kwargs: Any) -> None:
    """A log-in starts both clocks (connected when the middleware is loaded, below)."""
    request.session[STARTED] = request.session[SEEN] = int(time.time())


class SessionLimitsMiddleware:
    """After AuthenticationMiddleware and CsrfViewMiddleware in MIDDLEWARE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        user_logged_in.connect(_begin, dispatch_uid="projectoffice.session_limits")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        if not request.user.is_authenticated:
            return
        session = request.session
        now = int(time.time())
        started, seen = session.get(STARTED), session.get(SEEN)
        if started is None or seen is None:  # logged in before these limits existed
            session[STARTED] = session[SEEN] = now
            return
        idle = now - seen > settings.SESSION_IDLE_MINUTES * 60
        if not idle and now - started <= settings.SESSION_MAX_HOURS * 3600:
            if now - seen >= SEEN_GRANULARITY:
                session[SEEN] = now
            return
        user_id = request.user.pk
        keep = request.method == "POST" and getattr(view, "keeps_unsaved_form", False)
        logout(request)  # the view goes on as for anyone not logged in: to the log-in page
        if keep:
            fields = [[name, values] for name, values in request.POST.lists() if name != "csrfmiddlewaretoken"]
            session[UNSAVED] = {"user": user_id, "path": request.path, "fields": fields}
            messages.warning(
                request, _("Your session has ended. Log in again: what you typed is kept and shown to you unsaved.")
            )
            if request.FILES:  # a file is not kept in a session: say so, or the restored form seems whole
                messages.warning(request, _("The file you attached was not kept: attach it again before saving."))
        elif idle:
            messages.info(
                request,
                _("You were logged out after %(minutes)s minutes without activity.")
                % {"minutes": settings.SESSION_IDLE_MINUTES},
            )
        else:
            messages.info(
                request,
                _("You were logged out after %(hours)s hours; log in again.") % {"hours": settings.SESSION_MAX_HOURS},
            )
