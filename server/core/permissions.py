"""Role-aware permission helpers: the one place every app asks "may this user do that?"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.errors import Forbidden

if TYPE_CHECKING:
    from accounts.models import User


def is_patient(user: User) -> bool:
    return bool(user.is_authenticated and user.role == "patient")


def is_clinician(user: User) -> bool:
    return bool(user.is_authenticated and user.role == "clinician")


def is_admin(user: User) -> bool:
    return bool(user.is_authenticated and (user.role == "admin" or user.is_superuser))


def is_staff_member(user: User) -> bool:
    """Clinicians and admins: the clinic's people."""
    return is_clinician(user) or is_admin(user)


def require_role(user: User, *roles: str) -> None:
    """Raise 403 unless the user has one of `roles` (admins always pass)."""
    if is_admin(user):
        return
    if not user.is_authenticated or user.role not in roles:
        allowed = " or ".join(roles)
        raise Forbidden(f"This action is for {allowed} accounts only.", code="permission_denied")


def require_admin(user: User) -> None:
    if not is_admin(user):
        raise Forbidden("This action is for administrators only.", code="permission_denied")
