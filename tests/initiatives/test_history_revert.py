"""An old version on a history page is read, never saved back by someone who may only
read it: django-simple-history saves a revert POST for anyone who may see the history."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from initiatives.models import Release
from initiatives.periods import Period
from initiatives.services.releases import release_confirm, release_publish, release_withdraw
from regions.models import Region
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_person_who_may_only_read_regions_cannot_revert_one(client: Client, astana: Region) -> None:
    reader = UserFactory(username="reader", is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_region"))
    old_name = astana.name_en
    astana.name_en = "Astana (renamed)"
    astana.save()
    first = astana.history.order_by("history_id").first()
    client.force_login(reader)
    url = f"/admin/regions/region/{astana.pk}/history/{first.history_id}/"
    assert client.get(url).status_code == 200  # reading the old version is allowed
    response = client.post(url, {"_change_history": "1", "name_en": old_name})
    assert response.status_code == 403
    astana.refresh_from_db()
    assert astana.name_en == "Astana (renamed)"


def test_a_withdrawn_release_is_not_put_back_by_reverting_its_history(client: Client, office, time_machine) -> None:
    time_machine.move_to(datetime.datetime(2026, 2, 10, 9, tzinfo=datetime.UTC))
    second = UserFactory(username="office.deputy", is_staff=True)
    second.groups.set(office.groups.all())
    release = release_publish(period=Period.parse("2026-01"), title="January", user=office)
    release = release_confirm(release=release, user=second)
    published = release.history.order_by("-history_id").first()
    release_withdraw(release=release, reason="a wrong figure", user=office)
    client.force_login(office)
    url = f"/admin/initiatives/release/{release.pk}/history/{published.history_id}/"
    response = client.post(url, {"_change_history": "1"})
    assert response.status_code == 303
    assert Release.objects.get(pk=release.pk).state == "withdrawn"
