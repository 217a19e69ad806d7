"""History pages of records a workflow governs: read, never reverted.

django-simple-history's "Revert" saves an old version straight through the admin form,
past the services: an approved report put back to "submitted" while its values stay
published. For reports, values and settlements the history is a record to read; the
change goes through the workflow's own actions.
"""

from django.utils.translation import gettext as _

from projectoffice.admin_history import HistoryAdmin, NeverReverted


class WorkflowHistoryAdmin(NeverReverted, HistoryAdmin):
    """The history list and each old version can be read; a revert is refused."""

    def revert_refused(self) -> str:
        return _(
            "A %(model)s is changed only through its workflow (the actions on its list), "
            "not by reverting to an old version: nothing was changed."
        ) % {"model": self.model._meta.verbose_name}
