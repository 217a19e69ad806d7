"""An account created, a group granted or a password set from the command line leaves
the same entry in the admin's log as the admin writes (issue 23: who, when, what)."""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.core.management import call_command

from agencies.demo import seed_reference_and_people

pytestmark = pytest.mark.django_db


def entries(username: str) -> list[tuple[int, str]]:
    account = get_user_model().objects.get(username=username)
    return [
        (entry.action_flag, entry.get_change_message())
        for entry in LogEntry.objects.filter(object_id=str(account.pk)).order_by("pk")
    ]


def test_the_demo_loader_logs_the_accounts_it_makes_their_groups_and_passwords() -> None:
    seed_reference_and_people(password="first-pass-1")
    logged = entries("office")
    assert [flag for flag, _ in logged] == [ADDITION, CHANGE, CHANGE]
    assert logged[0][1].startswith("Added. (command line: seed_demo, run by ")
    assert logged[1][1].startswith("Changed password.") and "Added group “Project office”." in logged[2][1]
    seed_reference_and_people(password="first-pass-1")  # nothing changes, nothing is logged
    assert len(entries("office")) == 3
    seed_reference_and_people(password="second-pass-2")
    assert entries("office")[-1][1].startswith("Changed password. (command line: seed_demo")


def test_changepassword_and_createsuperuser_write_the_admins_entry(monkeypatch) -> None:
    from django.contrib.auth.management.commands import changepassword

    account = get_user_model().objects.create_user(username="someone", password="an-old-password-1")
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="": "a-new-password-2")
    call_command("changepassword", "someone", stdout=None)
    assert entries("someone")[-1][0] == CHANGE
    assert entries("someone")[-1][1].startswith("Changed password. (command line: changepassword, run by ")
    account.refresh_from_db()
    assert account.check_password("a-new-password-2")

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-root-password-3")
    call_command("createsuperuser", username="root.admin", email="root@example.kz", interactive=False)
    [(flag, said)] = entries("root.admin")
    assert flag == ADDITION and said.startswith("Added as a superuser. (command line: createsuperuser, run by ")
