"""The access trail: who read which screening, when, and whether it was allowed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from accounts.models import User
from screening.models import AccessOutcome, Screening, ScreeningAccessLog


def _entry(*, actor: User | None, screening_id: uuid.UUID, owner_id: int | None, action: str, outcome: str, reason: str) -> ScreeningAccessLog:
    return ScreeningAccessLog(
        actor_id=actor.pk if actor is not None and actor.is_authenticated else None,
        actor_email=getattr(actor, "email", "") or "",
        actor_role=getattr(actor, "role", "") or "",
        screening_id=screening_id,
        owner_id=owner_id,
        action=action,
        outcome=outcome,
        reason=reason,
    )


def record_access(*, actor: User | None, screening: Screening, action: str, granted: bool, reason: str = "") -> None:
    """Write one row unless the actor is the owner (an owner reading their own data is not audited)."""
    if granted and actor is not None and screening.owner_id == actor.pk:
        return
    outcome = AccessOutcome.GRANTED if granted else AccessOutcome.DENIED
    _entry(actor=actor, screening_id=screening.pk, owner_id=screening.owner_id, action=action, outcome=outcome, reason=reason).save()


def record_list_access(*, actor: User, screenings: Iterable[Screening], reasons: dict[uuid.UUID, str]) -> None:
    rows = [
        _entry(actor=actor, screening_id=s.pk, owner_id=s.owner_id, action="list", outcome=AccessOutcome.GRANTED, reason=reasons.get(s.pk, ""))
        for s in screenings
        if s.owner_id != actor.pk
    ]
    if rows:
        ScreeningAccessLog.objects.bulk_create(rows)
