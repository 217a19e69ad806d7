"""The alcohol-free settlement lifecycle: declared -> verified -> sustained -> lapsed."""

import datetime

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agencies.access import is_project_office
from projectoffice.audit import audited

from ..models import Campaign, CampaignKind, SettlementStage
from .register import alcohol_free_values_sync

# Which stage may follow which. A settlement can lapse at any point after declaring.
NEXT_STAGES: dict[str, set[str]] = {
    SettlementStage.DECLARED: {SettlementStage.VERIFIED, SettlementStage.LAPSED},
    SettlementStage.VERIFIED: {SettlementStage.SUSTAINED, SettlementStage.LAPSED},
    SettlementStage.SUSTAINED: {SettlementStage.LAPSED},
    SettlementStage.LAPSED: set(),
}
DATE_FIELD: dict[str, str] = {
    SettlementStage.VERIFIED: "verified_on",
    SettlementStage.SUSTAINED: "sustained_on",
    SettlementStage.LAPSED: "lapsed_on",
}


@transaction.atomic
def campaign_advance_settlement(
    *,
    campaign: Campaign,
    stage: str,
    on_date: datetime.date,
    evidence: str = "",
    user: User | None,
) -> Campaign:
    """Move an alcohol-free settlement to its next stage, with the date and the evidence."""
    if user is not None and not is_project_office(user):
        raise PermissionDenied(_("Only the project office moves a settlement through its stages."))
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.kind != CampaignKind.ALCOHOL_FREE_SETTLEMENT:
        raise ValidationError(_("Only alcohol-free settlements have stages."))
    if stage not in NEXT_STAGES[campaign.settlement_stage]:
        raise ValidationError(
            _("A settlement that is %(current)s cannot become %(stage)s.")
            % {
                "current": SettlementStage(campaign.settlement_stage).label,
                "stage": SettlementStage(stage).label,
            }
        )
    latest = max(d for d in (campaign.declared_on, campaign.verified_on, campaign.sustained_on) if d)
    if on_date < latest:
        raise ValidationError(
            _("%(date)s is before the settlement's previous stage, on %(latest)s.")
            % {"date": on_date, "latest": latest}
        )
    campaign.settlement_stage = stage
    setattr(campaign, DATE_FIELD[stage], on_date)
    if evidence:
        campaign.evidence = f"{campaign.evidence}\n{on_date}: {evidence}".strip()
    audited(campaign, user)
    campaign.save()
    alcohol_free_values_sync(user=user)  # the register is the KPI's one source
    return campaign
