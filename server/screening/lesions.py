"""Lesions: the records a patient follows over time, screenings assigned to them, the timeline, follow-up reminders.

Reads (`lesions_visible_to`, `lesion_list`, `lesion_timeline`) and writes (`lesion_create` ...) of lesions; the
screening app's generic reads and writes stay in `selectors` and `services`.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from core.errors import ApplicationError, NotFound
from core.permissions import is_admin, is_clinician
from notifications.services import notification_schedule, notifications_cancel_group
from screening import selectors, services
from screening.error_codes import ScreeningError
from screening.models import BodyView, Lesion, Screening, ScreeningShare

# Longest follow-up interval a reminder can be set for (two years).
MAX_FOLLOW_UP_WEEKS = 104
FOLLOW_UP_KIND = "lesion_follow_up"


def _not_found() -> NotFound:
    return NotFound("Lesion not found.", code=ScreeningError.LESION_NOT_FOUND)


# -- reads --


def lesions_visible_to(user: User) -> QuerySet[Lesion]:
    """The owner's lesions; a clinician sees those of patients they may see (appointment) or with a screening
    shared with them; admins all. The same people who may see the screenings, by the same rules."""
    qs = Lesion.objects.all()
    if is_admin(user):
        return qs
    condition = Q(owner=user)
    if is_clinician(user):
        shared = ScreeningShare.objects.filter(screening__lesion=OuterRef("pk"), clinician=user)
        condition |= Q(owner_id__in=selectors.appointment_patient_ids(user)) | Q(Exists(shared))
    return qs.filter(condition)


def _with_counts(qs: QuerySet[Lesion], user: User) -> QuerySet[Lesion]:
    """`screening_count`: the lesion's screenings `user` may see (a clinician with one shared screening
    does not learn how many others there are)."""
    visible = selectors.screenings_visible_to(user).values("pk")
    return qs.annotate(screening_count=Count("screenings", filter=Q(screenings__in=visible)))


def lesion_list(*, user: User, owner_id: int | None = None) -> QuerySet[Lesion]:
    """Lesions `user` may see (their own unless `owner_id` names another patient), by name, with screening counts."""
    qs = lesions_visible_to(user).filter(owner_id=owner_id if owner_id is not None else user.pk)
    return _with_counts(qs, user).order_by("name", "created_at", "pk")


def lesion_open(*, user: User, lesion_id: uuid.UUID) -> Lesion:
    """The lesion if `user` may see it; 404 otherwise (the same answer as for an unknown id)."""
    lesion = _with_counts(lesions_visible_to(user), user).filter(pk=lesion_id).first()
    if lesion is None:
        raise _not_found()
    return lesion


def lesion_open_owned(*, user: User, lesion_id: uuid.UUID) -> Lesion:
    """Changing a lesion is its owner's alone; anyone else gets the 404 of an unknown id."""
    lesion = Lesion.objects.filter(pk=lesion_id, owner=user).first()
    if lesion is None:
        raise _not_found()
    return lesion


def lesion_timeline(*, user: User, lesion: Lesion) -> list[Screening]:
    """The lesion's screenings `user` may see, oldest first (with their reviews); reads of another person's
    screenings go on the access trail as reads do everywhere."""
    screenings = list(
        selectors.screenings_visible_to(user).filter(lesion=lesion).order_by("captured_at", "created_at", "pk").prefetch_related("reviews")
    )
    services.screenings_list_access_record(actor=user, screenings=screenings, action="timeline")
    return screenings


# -- writes --


def _check(*, name: str | None = None, body_view: str | None = None, body_x: float | None = None, body_y: float | None = None) -> None:
    def bad(message: str) -> ApplicationError:
        return ApplicationError(message, code=ScreeningError.LESION_INVALID, status=422)

    if name is not None and not name.strip():
        raise bad("name cannot be empty.")
    if body_view is not None and body_view not in BodyView.values:
        raise bad("body_view must be front or back.")
    for label, value in (("body_x", body_x), ("body_y", body_y)):
        if value is not None and not 0.0 <= value <= 1.0:
            raise bad(f"{label} must be between 0 and 1.")


@transaction.atomic
def lesion_create(*, owner: User, name: str, body_view: str, body_x: float, body_y: float, body_region: str = "", notes: str = "") -> Lesion:
    _check(name=name, body_view=body_view, body_x=body_x, body_y=body_y)
    now = timezone.now()
    return Lesion.objects.create(
        owner=owner,
        name=name.strip(),
        body_view=body_view,
        body_x=body_x,
        body_y=body_y,
        body_region=body_region.strip(),
        notes=notes.strip(),
        created_at=now,
        updated_at=now,
    )


@transaction.atomic
def lesion_update(*, lesion: Lesion, data: dict[str, Any]) -> Lesion:
    """Apply a patch; only the fields listed here can ever change (a null leaves a field as it is)."""
    allowed = ("name", "body_view", "body_x", "body_y", "body_region", "notes")
    changes = {k: v for k, v in data.items() if k in allowed and v is not None}
    _check(name=changes.get("name"), body_view=changes.get("body_view"), body_x=changes.get("body_x"), body_y=changes.get("body_y"))
    for field, value in changes.items():
        setattr(lesion, field, value.strip() if isinstance(value, str) else value)
    if changes:
        lesion.updated_at = timezone.now()
        lesion.save(update_fields=[*changes, "updated_at"])
    return lesion


def _follow_up_group(lesion: Lesion) -> str:
    return f"lesion:{lesion.pk}"


@transaction.atomic
def lesion_delete(*, lesion: Lesion) -> None:
    """The lesion goes; its screenings stay, unassigned, and its pending follow-up reminder is cancelled."""
    notifications_cancel_group(group=_follow_up_group(lesion))
    lesion.delete()


@transaction.atomic
def screening_assign_lesion(*, screening: Screening, lesion_id: uuid.UUID | None) -> Screening:
    """Put the screening under one of its owner's lesions, or take it out (None)."""
    lesion = selectors.lesion_of_owner(owner_id=screening.owner_id, lesion_id=lesion_id) if lesion_id is not None else None
    screening.lesion = lesion
    screening.save(update_fields=["lesion"])
    return screening


@transaction.atomic
def lesion_follow_up_set(*, lesion: Lesion, weeks: int, now: datetime | None = None) -> Lesion:
    """Remind the owner to photograph the lesion again in `weeks` weeks (replacing a pending reminder).

    The reminder is a notifications row (the database is the truth; the sweep pushes it when due, once):
    a lost or repeated queue message loses or repeats nothing. The push text names no lesion or finding.
    """
    if not 1 <= weeks <= MAX_FOLLOW_UP_WEEKS:
        raise ApplicationError(f"weeks must be between 1 and {MAX_FOLLOW_UP_WEEKS}.", code=ScreeningError.LESION_INVALID, status=422)
    now = now or timezone.now()
    Lesion.objects.select_for_update().filter(pk=lesion.pk).first()  # one change of the reminder at a time
    notifications_cancel_group(group=_follow_up_group(lesion))
    due = now + timedelta(weeks=weeks)
    notification_schedule(
        user=lesion.owner,
        kind=FOLLOW_UP_KIND,
        title="Time for a follow-up photo",
        body="A follow-up photo you planned is due. Open the app to take it.",
        due_at=due,
        dedupe_key=f"lesion:{lesion.pk}:follow-up:{due.isoformat()}",
        group=_follow_up_group(lesion),
        data={"type": FOLLOW_UP_KIND, "lesion_id": str(lesion.pk), "weeks": weeks},
    )
    lesion.follow_up_due_at = due
    lesion.updated_at = now
    lesion.save(update_fields=["follow_up_due_at", "updated_at"])
    return lesion


@transaction.atomic
def lesion_follow_up_cancel(*, lesion: Lesion) -> Lesion:
    notifications_cancel_group(group=_follow_up_group(lesion))
    if lesion.follow_up_due_at is not None:
        lesion.follow_up_due_at = None
        lesion.updated_at = timezone.now()
        lesion.save(update_fields=["follow_up_due_at", "updated_at"])
    return lesion
