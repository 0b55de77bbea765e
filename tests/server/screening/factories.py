"""Screening rows without running the model (for access, list and agreement tests)."""

from __future__ import annotations

import factory
from django.utils import timezone

from lesion_contract.labels import LABELS
from lesion_contract.risk import DEFAULT_HIGH_RISK_MASS, risk_level
from screening.models import Lesion, Screening, ScreeningReview, ScreeningReviewRevision
from tests.server.factories import UserFactory


def probs_for(label: str, confidence: float = 0.7) -> list[float]:
    rest = (1.0 - confidence) / 6
    return [confidence if name == label else rest for name in LABELS]


class ScreeningFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Screening

    class Params:
        label = "nv"

    owner = factory.SubFactory(UserFactory)
    photo = factory.Sequence(lambda n: f"screenings/test/{n}.jpg")
    photo_sha256 = "0" * 64
    photo_width = 64
    photo_height = 48
    captured_at = factory.LazyFunction(timezone.now)
    probabilities = factory.LazyAttribute(lambda o: probs_for(o.label))
    top_label = factory.LazyAttribute(lambda o: o.label)
    risk = factory.LazyAttribute(lambda o: risk_level(probs_for(o.label), high_risk_mass=DEFAULT_HIGH_RISK_MASS))
    server_latency_ms = 5.0


class LesionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesion

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"lesion {n}")
    body_view = "front"
    body_x = 0.4
    body_y = 0.3


class ReviewFactory(factory.django.DjangoModelFactory):
    """A review with its first revision, as `reviews.review_write` leaves it (without the push)."""

    class Meta:
        model = ScreeningReview
        skip_postgeneration_save = True

    screening = factory.SubFactory(ScreeningFactory)
    clinician = factory.SubFactory(UserFactory, role="clinician")
    clinician_name = factory.LazyAttribute(lambda o: o.clinician.full_name)
    impression = "monitor"
    note = "looks stable"

    @factory.post_generation
    def first_revision(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            ScreeningReviewRevision.objects.create(
                review=self, number=1, impression=self.impression, note=self.note, follow_up_weeks=self.follow_up_weeks, diagnosis_label=self.diagnosis_label
            )
