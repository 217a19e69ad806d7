"""Who may manage whose account: an access administrator changes only an account whose
rights are within their own, and grants only rights they hold, so managing accounts is
never a way to more rights than one has (a superuser may do anything).

A person's rights are every permission they hold, directly or through a group, whether
or not the account is active today (an account switched off is switched on again in the
same form), together with the staff flag; a superuser holds every right.
"""

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet


def permissions_held(user: Any) -> QuerySet[Permission]:
    """Every permission `user` holds, in person or through a group (active or not)."""
    if user.is_superuser:
        return Permission.objects.all()
    return Permission.objects.filter(Q(user=user) | Q(group__user=user)).distinct()


def rights_within(target: Any, actor: Any) -> bool:
    """Are all of `target`'s rights also `actor`'s?"""
    if actor.is_superuser:
        return True
    if target.is_superuser or (target.is_staff and not actor.is_staff):
        return False
    return not permissions_held(target).exclude(pk__in=permissions_held(actor).values("pk")).exists()


def groups_grantable_by(actor: Any) -> QuerySet[Group]:
    """The groups whose every permission `actor` holds."""
    if actor.is_superuser:
        return Group.objects.all()
    beyond = Permission.objects.exclude(pk__in=permissions_held(actor).values("pk"))
    return Group.objects.exclude(permissions__in=beyond)


def permissions_grantable_by(actor: Any) -> QuerySet[Permission]:
    return permissions_held(actor).select_related("content_type")
