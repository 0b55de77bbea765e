"""factory_boy factories for server tests (apps add theirs next to their tests)."""

from __future__ import annotations

import factory

from accounts.models import User

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name")
    role = "patient"
    time_zone = "UTC"
    password = factory.django.Password(DEFAULT_PASSWORD)
