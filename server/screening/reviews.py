"""Clinician reviews of screenings: write or amend one's review (append-only revisions) and tell the patient."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.errors import ApplicationError, Forbidden
from core.permissions import is_clinician
from lesion_contract.labels import LABELS
from notifications.services import notification_schedule
from screening import lesions, selectors
from screening.error_codes import ScreeningError
from screening.models import Impression, Screening, ScreeningReview, ScreeningReviewRevision

MAX_FOLLOW_UP_WEEKS = 104
REVIEW_KIND = "screening_review"
# Reasons (selectors.access_reason) that let a clinician review: the screening was shared with them, or its
# owner has an appointment with them. Admins read reviews but do not write clinical assessments.
REVIEWING_REASONS = ("shared", "appointment")


@dataclass(frozen=True)
class ReviewInput:
    impression: str
    note: str = ""
    follow_up_weeks: int | None = None
    diagnosis_label: str = ""

    def fields(self) -> dict[str, object]:
        return {"impression": self.impression, "note": self.note, "follow_up_weeks": self.follow_up_weeks, "diagnosis_label": self.diagnosis_label}


def _check(item: ReviewInput) -> ReviewInput:
    def bad(message: str) -> ApplicationError:
        return ApplicationError(message, code=ScreeningError.REVIEW_INVALID, status=422)

    if item.impression not in Impression.values:
        raise bad(f"impression must be one of {', '.join(Impression.values)}.")
    if item.follow_up_weeks is not None and not 1 <= item.follow_up_weeks <= MAX_FOLLOW_UP_WEEKS:
        raise bad(f"follow_up_weeks must be between 1 and {MAX_FOLLOW_UP_WEEKS}.")
    label = (item.diagnosis_label or "").strip().lower()
    if label and label not in LABELS:
        raise bad(f"diagnosis_label must be one of {', '.join(LABELS)} (or empty when the diagnosis is not known).")
    note = item.note.strip()
    if len(note) > 2000:
        raise bad("note is at most 2000 characters.")
    return ReviewInput(impression=item.impression, note=note, follow_up_weeks=item.follow_up_weeks, diagnosis_label=label)


def require_reviewer(*, user: User, screening: Screening) -> None:
    """Only a clinician who may see the screening (shared with them, or an appointment with its owner) reviews it."""
    if not is_clinician(user) or selectors.access_reason(user, screening) not in REVIEWING_REASONS:
        raise Forbidden("Only a clinician the screening is shared with, or who has an appointment with its owner, can review it.", code=ScreeningError.REVIEW_NOT_ALLOWED)


@transaction.atomic
def review_write(*, clinician: User, screening: Screening, item: ReviewInput) -> tuple[ScreeningReview, bool]:
    """Write this clinician's review of the screening, or amend it (a new revision; the old ones stay).

    Returns (review, created). Sending what the review already says adds nothing (a retried request is
    harmless). A new or changed follow-up interval on a screening filed under a lesion sets that lesion's
    follow-up reminder. The owner is told by push after commit (the notifications row is written here, in this
    transaction, so it is never lost and never sent twice); the push text carries no finding.
    """
    require_reviewer(user=clinician, screening=screening)
    item = _check(item)
    # One writer per screening at a time: concurrent amendments get consecutive revision numbers.
    Screening.objects.select_for_update().filter(pk=screening.pk).first()
    now = timezone.now()
    review = ScreeningReview.objects.select_for_update().filter(screening=screening, clinician=clinician).first()
    created = review is None
    previous_weeks = None if review is None else review.follow_up_weeks
    if review is None:
        review = ScreeningReview.objects.create(
            screening=screening, clinician=clinician, clinician_name=clinician.full_name or clinician.email, created_at=now, updated_at=now, **item.fields()
        )
    else:
        current = {"impression": review.impression, "note": review.note, "follow_up_weeks": review.follow_up_weeks, "diagnosis_label": review.diagnosis_label}
        if current == item.fields():
            return review, False
        review.revision += 1
        for field, value in item.fields().items():
            setattr(review, field, value)
        review.updated_at = now
        review.save(update_fields=[*item.fields(), "revision", "updated_at"])
    ScreeningReviewRevision.objects.create(review=review, number=review.revision, created_at=now, **item.fields())
    if item.follow_up_weeks is not None and item.follow_up_weeks != previous_weeks and screening.lesion is not None:
        # The clinician's suggested interval becomes the lesion's reminder (replacing a pending one), as if the
        # patient had set it; a screening not filed under a lesion shows the suggestion only. Removing the
        # interval in an amendment leaves a reminder alone: the patient may have set it themselves.
        lesions.lesion_follow_up_set(lesion=screening.lesion, weeks=item.follow_up_weeks, now=now)
    notification_schedule(
        user=screening.owner,
        kind=REVIEW_KIND,
        title="A clinician reviewed your screening",
        body="A clinician has looked at one of your screenings. Open the app to read their note.",
        due_at=now,
        dedupe_key=f"review:{review.pk}:r{review.revision}",
        data={"type": REVIEW_KIND, "screening_id": str(screening.pk), "review_id": review.pk},
        send_now=True,
    )
    return review, created
