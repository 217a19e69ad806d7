"""Who may use the admin: staff may keep reference data, a coordinator may not; who
manages accounts and who confirms releases (the matrix at the end)."""

import datetime

import pytest
import time_machine
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from agencies.models import Agency
from agencies.roles import ACCESS_ADMINISTRATORS_GROUP, COORDINATORS_GROUP, PROJECT_OFFICE_GROUP
from initiatives.models import ReleaseState
from initiatives.periods import Period
from initiatives.services.releases import release_publish
from regions.models import Region
from tests.factories import MembershipFactory, RegionalBranchFactory, RegionFactory, UserFactory


@pytest.mark.django_db
def test_staff_can_add_a_district_in_the_admin(client: Client, office) -> None:
    client.force_login(office)
    astana = Region.objects.get(kato="710000000")
    response = client.post(
        "/admin/regions/region/add/",
        {
            "kato": "711100000",
            "parent": astana.pk,
            "kind": "city_district",
            "name_kk": "Алматы ауданы",
            "name_ru": "район Алматы",
            "name_en": "Almaty district",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    district = Region.objects.get(kato="711100000")
    assert district.level == 2
    assert district.history.get().history_user == office


@pytest.mark.django_db
def test_staff_get_a_clear_error_for_a_parent_that_is_not_above(client: Client, office) -> None:
    client.force_login(office)
    almaty = Region.objects.get(kato="750000000")
    response = client.post(
        "/admin/regions/region/add/",
        {"kato": "711100000", "parent": almaty.pk, "kind": "city_district", "name_kk": "А", "name_ru": "Б"},
    )
    assert response.status_code == 200
    assert "750000000 is not above 711100000" in response.content.decode()
    assert not Region.objects.filter(kato="711100000").exists()


@pytest.mark.django_db
def test_a_coordinator_cannot_open_the_admin(client: Client, coordinator_astana) -> None:
    client.force_login(coordinator_astana)
    for url in ("/admin/", "/admin/regions/region/", "/admin/agencies/agency/add/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


@pytest.mark.django_db
def test_a_coordinator_made_staff_by_mistake_still_cannot_change_agencies(client: Client, coordinator_astana) -> None:
    coordinator_astana.is_staff = True
    coordinator_astana.save()
    client.force_login(coordinator_astana)
    gpo = Agency.objects.get(code="gpo")
    response = client.post(f"/admin/agencies/agency/{gpo.pk}/change/", {"code": "gpo", "name_ru": "x"})
    assert response.status_code == 403


# The queries of each list, whatever its length; a change that moves one is reviewed.
BUDGETS = {
    "/admin/regions/region/": 8,
    "/admin/agencies/agency/": 7,
    "/admin/agencies/regionalbranch/": 9,
    "/admin/agencies/membership/": 8,
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/admin/regions/region/",
        "/admin/agencies/agency/",
        "/admin/agencies/regionalbranch/",
        "/admin/agencies/membership/",
    ],
)
def test_admin_lists_do_not_query_per_row(client: Client, office, assert_queries_do_not_grow, url: str) -> None:
    client.force_login(office)

    def add_rows() -> None:
        for _ in range(40):
            MembershipFactory(branch=RegionalBranchFactory(region=RegionFactory()))

    def open_list() -> None:
        assert client.get(url).status_code == 200

    assert_queries_do_not_grow(open_list, add_rows, budget=BUDGETS[url])


# --- The permission matrix: who manages accounts, who confirms releases. -------------
#
# Each row is a person who may and one who may not. Accounts are kept by access
# administrators, never by the project office as such; an access administrator touches
# only accounts whose rights are within their own. A release is confirmed by a member of
# the office other than its publisher.

PASSWORD = "a-Long-and-new-passphrase-42"


def staff_in(username: str, *groups: str, **fields: object) -> User:
    user = UserFactory(username=username, is_staff=True, **fields)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


@pytest.fixture
def access_admin(db: None) -> User:
    return staff_in("access.admin", ACCESS_ADMINISTRATORS_GROUP)


@pytest.fixture
def privacy_officer(db: None) -> User:
    """An office member given "view citizens' personal data" in person."""
    user = staff_in("privacy.officer", PROJECT_OFFICE_GROUP)
    user.user_permissions.add(Permission.objects.get(codename="view_citizen_personal_data"))
    return user


@pytest.fixture
def superuser(db: None) -> User:
    return staff_in("root", is_superuser=True)


@pytest.fixture
def plain(db: None) -> User:
    return UserFactory(username="newcomer")


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def set_password(client: Client, user: User):  # type: ignore[no-untyped-def]
    return client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"},
    )


def user_form(user: User, **changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "username": user.username,
        "email": user.email,
        "is_active": "on",
        "groups": [g.pk for g in user.groups.all()],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
        "profile-TOTAL_FORMS": "0",
        "profile-INITIAL_FORMS": "0",
        "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1",
    }
    if user.is_staff:
        form["is_staff"] = "on"
    form.update(changes)
    return form


def group(name: str) -> Group:
    return Group.objects.get(name=name)


@pytest.mark.parametrize("victim", ["privacy_officer", "superuser", "plain"])
def test_a_member_of_the_office_sets_no_ones_password(request, office, victim: str) -> None:
    target = request.getfixturevalue(victim)
    response = set_password(logged_in(office), target)
    assert response.status_code == 403
    target.refresh_from_db()
    assert not target.check_password(PASSWORD)


def test_a_member_of_the_office_reads_accounts_but_creates_none(office) -> None:
    client = logged_in(office)
    assert client.get("/admin/auth/user/").status_code == 200
    assert client.get("/admin/auth/user/add/").status_code == 403
    client.post("/admin/auth/user/add/", {"username": "office.twin", "password1": PASSWORD, "password2": PASSWORD})
    assert not User.objects.filter(username="office.twin").exists()


def test_the_office_group_holds_only_the_two_view_permissions_on_accounts(db: None) -> None:
    held = set(
        group(PROJECT_OFFICE_GROUP)
        .permissions.filter(content_type__app_label="auth")
        .values_list("codename", flat=True)
    )
    assert held == {"view_user", "view_group"}
    granted = set(group(ACCESS_ADMINISTRATORS_GROUP).permissions.values_list("codename", flat=True))
    assert granted == {"add_user", "change_user", "view_user", "view_group"}


def test_a_coordinator_manages_no_accounts(coordinator_astana, plain) -> None:
    client = logged_in(coordinator_astana)
    for response in (client.get("/admin/auth/user/add/"), set_password(client, plain)):
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_access_administrator_creates_an_account_and_the_log_says_who(access_admin) -> None:
    client = logged_in(access_admin)
    response = client.post(
        "/admin/auth/user/add/",
        {"username": "coordinator.new", "password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    made = User.objects.get(username="coordinator.new")
    entry = LogEntry.objects.get(object_id=str(made.pk), action_flag=ADDITION)
    assert entry.user == access_admin


@pytest.mark.parametrize("victim", ["privacy_officer", "superuser", "office"])
def test_an_access_administrator_leaves_a_mightier_account_alone(request, access_admin, victim: str) -> None:
    target = request.getfixturevalue(victim)
    client = logged_in(access_admin)
    assert set_password(client, target).status_code == 403
    response = client.post(f"/admin/auth/user/{target.pk}/change/", user_form(target, groups=[], is_active=""))
    assert response.status_code == 403
    target.refresh_from_db()
    assert (
        not target.check_password(PASSWORD) and target.is_active and target.groups.exists() == (victim != "superuser")
    )


def test_an_access_administrator_sets_the_password_of_an_account_within_their_rights(access_admin, plain) -> None:
    assert set_password(logged_in(access_admin), plain).status_code == 302
    plain.refresh_from_db()
    assert plain.check_password(PASSWORD)
    entry = LogEntry.objects.get(object_id=str(plain.pk), action_flag=CHANGE)
    assert entry.user == access_admin and "password" in entry.get_change_message().lower()


def test_an_access_administrator_grants_no_group_beyond_their_rights(access_admin, plain) -> None:
    client = logged_in(access_admin)
    for name in (PROJECT_OFFICE_GROUP, COORDINATORS_GROUP):
        response = client.post(f"/admin/auth/user/{plain.pk}/change/", user_form(plain, groups=[group(name).pk]))
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    # Nor to themselves, nor superuser rights nor a permission of their own choosing.
    client.post(
        f"/admin/auth/user/{access_admin.pk}/change/",
        user_form(
            access_admin,
            groups=[group(ACCESS_ADMINISTRATORS_GROUP).pk, group(PROJECT_OFFICE_GROUP).pk],
            is_superuser="on",
            user_permissions=[Permission.objects.get(codename="view_citizen_personal_data").pk],
        ),
    )
    access_admin.refresh_from_db()
    assert not plain.groups.exists() and not access_admin.is_superuser
    assert list(access_admin.groups.all()) == [group(ACCESS_ADMINISTRATORS_GROUP)]
    assert not access_admin.user_permissions.exists()


def test_an_access_administrator_grants_a_group_they_hold_and_the_log_names_it(access_admin, plain) -> None:
    client = logged_in(access_admin)
    granted = group(ACCESS_ADMINISTRATORS_GROUP)
    response = client.post(f"/admin/auth/user/{plain.pk}/change/", user_form(plain, groups=[granted.pk]))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(plain.groups.all()) == [granted]
    entry = LogEntry.objects.get(object_id=str(plain.pk), action_flag=CHANGE)
    assert entry.user == access_admin and "Access administrators" in entry.get_change_message()


def test_an_access_administrator_who_is_also_in_the_office_may_grant_it(access_admin, plain) -> None:
    access_admin.groups.add(group(PROJECT_OFFICE_GROUP))
    response = logged_in(access_admin).post(
        f"/admin/auth/user/{plain.pk}/change/", user_form(plain, groups=[group(PROJECT_OFFICE_GROUP).pk])
    )
    assert response.status_code == 302 and plain.groups.get() == group(PROJECT_OFFICE_GROUP)


def test_a_superuser_grants_a_permission_in_person_and_the_log_names_it(superuser, office) -> None:
    reveal = Permission.objects.get(codename="view_citizen_personal_data")
    response = logged_in(superuser).post(
        f"/admin/auth/user/{office.pk}/change/", user_form(office, user_permissions=[reveal.pk])
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(office.user_permissions.all()) == [reveal]
    entry = LogEntry.objects.get(object_id=str(office.pk), action_flag=CHANGE)
    assert entry.user == superuser and str(reveal) in entry.get_change_message()


def test_a_release_is_confirmed_by_an_office_member_other_than_its_publisher(
    office, coordinator_astana, access_admin, superuser
) -> None:
    deputy = staff_in("office.deputy", PROJECT_OFFICE_GROUP)
    with time_machine.travel(datetime.datetime(2026, 7, 10, 9, tzinfo=datetime.UTC), tick=True):
        release = release_publish(period=Period.parse("2026-Q1"), user=office)
    confirm = {"action": "confirm", "_selected_action": [release.pk]}
    # The publisher; a coordinator; an access administrator (no right to releases at all).
    for who in (office, coordinator_astana, access_admin):
        response = logged_in(who).post("/admin/initiatives/release/", confirm)
        assert response.status_code in (302, 403), who
        release.refresh_from_db()
        assert release.state == ReleaseState.PENDING, who
    # A superuser who published cannot confirm their own release either.
    with time_machine.travel(datetime.datetime(2026, 7, 10, 9, tzinfo=datetime.UTC), tick=True):
        own = release_publish(period=Period.parse("2026-Q1"), user=superuser)
    logged_in(superuser).post("/admin/initiatives/release/", {"action": "confirm", "_selected_action": [own.pk]})
    own.refresh_from_db()
    assert own.state == ReleaseState.PENDING
    logged_in(deputy).post("/admin/initiatives/release/", confirm)
    release.refresh_from_db()
    assert (release.state, release.confirmed_by) == (ReleaseState.PUBLISHED, deputy)
