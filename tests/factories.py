import factory
from django.contrib.auth import get_user_model

from agencies.models import Agency, AgencyKind, Membership, MembershipRole, RegionalBranch
from regions.models import Region, RegionKind

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.kz")
    password = factory.django.Password(PASSWORD)


class RegionFactory(factory.django.DjangoModelFactory):
    """A settlement straight under Astana by default; pass `kato` and `parent` for other places."""

    class Meta:
        model = Region

    kato = factory.Sequence(lambda n: f"719{n + 1:06d}")
    parent = factory.LazyFunction(lambda: Region.objects.get(kato="710000000"))
    kind = RegionKind.SETTLEMENT
    name_kk = factory.Sequence(lambda n: f"Ауыл {n}")
    name_ru = factory.Sequence(lambda n: f"Село {n}")
    name_en = factory.Sequence(lambda n: f"Village {n}")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    code = factory.Sequence(lambda n: f"agency{n}")
    kind = AgencyKind.STATE_AGENCY
    name_kk = factory.Sequence(lambda n: f"Агенттік {n}")
    name_ru = factory.Sequence(lambda n: f"Агентство {n}")
    name_en = factory.Sequence(lambda n: f"Agency {n}")


class RegionalBranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegionalBranch

    agency = factory.SubFactory(AgencyFactory)
    region = factory.LazyFunction(lambda: Region.objects.get(kato="710000000"))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    branch = factory.SubFactory(RegionalBranchFactory)
    role = MembershipRole.COORDINATOR
