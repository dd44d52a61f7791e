"""factory_boy factories for the whole suite (one module: the apps' objects are intertwined)."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from consult.models import (
    ConsultationRequest,
    Municipality,
    ParticipationPlan,
    RequestTopic,
    StaffMembership,
    Topic,
)
from core.roles import COORDINATOR, EXPERT, MUNICIPAL_STAFF, ensure_role_groups
from experts.models import AvailabilityRule, ExpertProfile, ExpertTopic


def _group(name: str) -> Group:
    if not Group.objects.filter(name=name).exists():
        ensure_role_groups()
    return Group.objects.get(name=name)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user-{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("secret-pass-123")


def coordinator():  # type: ignore[no-untyped-def]
    user = UserFactory(
        username=f"coordinator-{UserFactory._meta.model.objects.count()}", is_staff=True
    )
    user.groups.add(_group(COORDINATOR))
    return user


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality

    name = factory.Sequence(lambda n: f"Musterstadt {n}")
    slug = factory.Sequence(lambda n: f"musterstadt-{n}")
    state = "Sachsen"
    population = 50_000
    latitude = 51.34
    longitude = 12.37
    open_to_exchange = True
    contact_email = factory.LazyAttribute(lambda m: f"kontakt@{m.slug}.example")


def staff_for(municipality: Municipality):  # type: ignore[no-untyped-def]
    user = UserFactory(username=f"staff-{municipality.slug}")
    StaffMembership.objects.update_or_create(user=user, defaults={"municipality": municipality})
    user.groups.add(_group(MUNICIPAL_STAFF))
    return user


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ParticipationPlan

    municipality = factory.SubFactory(MunicipalityFactory)
    title = factory.Sequence(lambda n: f"Bürgerhaushalt {n}")
    stage = "introducing"
    procedure_type = "youth-budget"
    budget_eur = 50_000
    channels = ["online"]
    target_groups = ["youth"]


class RequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsultationRequest
        skip_postgeneration_save = True

    plan = factory.SubFactory(PlanFactory)
    format = "online"
    language = "de"
    earliest = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=3))
    latest = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=40))
    duration_minutes = 60

    @factory.post_generation
    def needs(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        """needs={"youth-school": 3, ...} → topic weights."""
        for slug, weight in (extracted or {"youth-school": 3}).items():
            RequestTopic.objects.create(
                request=self, topic=Topic.objects.get(slug=slug), weight=weight
            )


class ExpertProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpertProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, username=factory.Sequence(lambda n: f"expert-f{n}"))
    display_name = factory.Sequence(lambda n: f"Expertin {n}")
    email = factory.LazyAttribute(lambda e: f"{e.user.username}@beratung.example")
    procedure_types = ["youth-budget"]
    size_classes = ["medium"]
    states = ["Sachsen"]
    languages = ["de"]
    formats = ["online", "onsite"]
    home_latitude = 51.05
    home_longitude = 13.74
    travel_radius_km = 150
    durations = [60, 90]
    buffer_before_minutes = 15
    buffer_after_minutes = 15
    min_notice_hours = 24
    horizon_days = 90

    @factory.post_generation
    def with_role(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        self.user.groups.add(_group(EXPERT))

    @factory.post_generation
    def levels(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        """levels={"youth-school": 3, ...} → topic levels."""
        for slug, level in (extracted or {"youth-school": 3}).items():
            ExpertTopic.objects.create(expert=self, topic=Topic.objects.get(slug=slug), level=level)

    @factory.post_generation
    def weekly(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        """weekly=[(weekday, "09:00", "17:00"), ...]; default Monday to Friday 9–17."""
        for weekday, start, end in extracted or [(d, "09:00", "17:00") for d in range(5)]:
            AvailabilityRule.objects.create(
                expert=self,
                weekday=weekday,
                start_time=dt.time.fromisoformat(start),
                end_time=dt.time.fromisoformat(end),
            )


class ResourceFactory(factory.django.DjangoModelFactory):
    """A published library resource; `topic_slugs=[...]` sets its topics."""

    class Meta:
        model = "library.Resource"
        skip_postgeneration_save = True

    kind = "example"
    title_de = factory.Sequence(lambda n: f"Praxisbeispiel {n}")
    summary_de = "Ein Beispiel aus der Praxis eines Bürgerhaushalts."
    body = ""
    language = "de"
    year = 2024
    status = "published"
    published_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def topic_slugs(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if extracted:
            self.topics.set(Topic.objects.filter(slug__in=extracted))


class EventFactory(factory.django.DjangoModelFactory):
    """A published seminar open for registration; `sessions=[(start, end), ...]` (default: one
    day in two weeks, 10:00–16:00)."""

    class Meta:
        model = "events.Event"
        skip_postgeneration_save = True

    kind = "seminar"
    title_de = factory.Sequence(lambda n: f"Seminar {n}: Bürgerhaushalt einführen")
    title_en = factory.Sequence(lambda n: f"Seminar {n}: introducing a participatory budget")
    place = "Rathaus Musterstadt"
    address = "Marktplatz 1, 12345 Musterstadt"
    capacity = 20
    registration_opens = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    registration_closes = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=10))
    status = "published"

    @factory.post_generation
    def sessions(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        from events.models import EventSession

        if extracted is None:
            day = timezone.localtime() + dt.timedelta(days=14)
            start = day.replace(hour=10, minute=0, second=0, microsecond=0)
            extracted = [(start, start + dt.timedelta(hours=6))]
        for start, end in extracted:
            EventSession.objects.create(event=self, start=start, end=end)


class ConsultationBookingFactory(factory.django.DjangoModelFactory):
    """A consultation booking written directly (no service): `start=` aware; buffers 15 min."""

    class Meta:
        model = "bookings.ConsultationBooking"

    request = factory.SubFactory(RequestFactory)
    expert = factory.SubFactory(ExpertProfileFactory)
    start = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))
    end = factory.LazyAttribute(lambda b: b.start + dt.timedelta(minutes=60))
    blocked_start = factory.LazyAttribute(lambda b: b.start - dt.timedelta(minutes=15))
    blocked_end = factory.LazyAttribute(lambda b: b.end + dt.timedelta(minutes=15))
    status = "requested"
