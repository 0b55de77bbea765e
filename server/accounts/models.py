"""The custom user: e-mail login, a role, and the profile fields a clinic needs."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    CLINICIAN = "clinician", "Clinician"
    ADMIN = "admin", "Admin"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"'{value}' is not an IANA time zone (for example Europe/Berlin).")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("role", Role.ADMIN)
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True, max_length=254)
    full_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT)
    is_active = models.BooleanField(default=True)  # type: ignore[assignment,misc]
    is_staff = models.BooleanField(default=False)
    # The patient lets the clinic use their reviewed screenings (pseudonymised) to train and evaluate the
    # screening model. Off unless they turn it on (PATCH /auth/me).
    research_consent = models.BooleanField(default=False, db_default=False)  # db_default: rows written by older code (rolling upgrades) get False too
    created_at = models.DateTimeField(default=timezone.now)
    # Every token carries the generation it was issued under; bumping it (password change, a reused
    # refresh token without a session id) ends every session of the account at its next request.
    session_generation = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=[r.value for r in Role]), name="user_role_valid"),
        ]

    def __str__(self) -> str:
        return self.email


class RevokedSession(models.Model):
    """A session that has ended: one sign-in's chain of rotated refresh tokens and every access token
    issued from it (the `sid` claim). Checked on each authenticated request, in the user's query."""

    class Reason(models.TextChoices):
        LOGOUT = "logout", "Signed out"
        REUSED = "reused", "Refresh token reused"

    sid = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="revoked_sessions")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    revoked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-revoked_at"]

    def __str__(self) -> str:
        return f"{self.sid} ({self.reason})"

