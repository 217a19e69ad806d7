"""History pages of records a workflow governs: read, never reverted.

django-simple-history's "Revert" saves an old version straight through the admin form,
past the services: an approved report put back to "submitted" while its values stay
published. For reports, values and settlements the history is a record to read; the
change goes through the workflow's own actions.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from projectoffice.admin_history import HistoryAdmin


class WorkflowHistoryAdmin(HistoryAdmin):
    """The history list and each old version can be read; a revert is refused."""

    def revert_disabled(self, request: HttpRequest, obj: object = None) -> bool:
        return True

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "POST":
            opts = self.model._meta
            messages.error(
                request,
                _(
                    "A %(model)s is changed only through its workflow (the actions on its list), "
                    "not by reverting to an old version: nothing was changed."
                )
                % {"model": opts.verbose_name},
            )
            url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_history", args=[object_id])
            refused = HttpResponseRedirect(url)
            refused.status_code = 303
            return refused
        page: HttpResponse = super().history_form_view(request, object_id, version_id, extra_context)
        return page
