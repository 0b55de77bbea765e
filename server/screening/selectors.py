"""Reads: who may see which screening, lists with filters, the clinician worklist, the registry, the agreement report."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.models import User
from appointments import selectors as appointment_selectors
from core.errors import ApplicationError, NotFound
from core.permissions import is_admin, is_clinician
from lesion_contract.labels import LABELS
from screening.error_codes import ScreeningError
from screening.models import (
    CONCERNING_IMPRESSIONS,
    Impression,
    Lesion,
    ModelVersion,
    Outcome,
    Risk,
    Screening,
    ScreeningReview,
    ScreeningShare,
)


def appointment_patient_ids(clinician: User) -> QuerySet[Any, int]:
    """Patients whose appointment with this clinician is upcoming or ended within the access window
    (SCREENING_CLINICIAN_ACCESS_DAYS, docs/screening.md), as the appointments app defines them."""
    ended_after = timezone.now() - timedelta(days=settings.SCREENING_CLINICIAN_ACCESS_DAYS)
    return appointment_selectors.patient_ids_of_clinician(clinician=clinician, ended_after=ended_after)


def screenings_visible_to(user: User) -> QuerySet[Screening]:
    """Owner, clinicians it is shared with or who have an appointment with the owner, admins."""
    qs = Screening.objects.select_related("model_version").prefetch_related("reviews")
    if is_admin(user):
        return qs
    condition = Q(owner=user)
    if is_clinician(user):
        condition |= Q(Exists(ScreeningShare.objects.filter(screening=OuterRef("pk"), clinician=user)))
        condition |= Q(owner_id__in=appointment_patient_ids(user))
    return qs.filter(condition)


def access_reason(user: User, screening: Screening) -> str | None:
    """Why `user` may see `screening` ("owner", "admin", "shared", "appointment"), or None."""
    if screening.owner_id == user.pk:
        return "owner"
    if is_admin(user):
        return "admin"
    if not is_clinician(user):
        return None
    if ScreeningShare.objects.filter(screening=screening, clinician=user).exists():
        return "shared"
    if appointment_patient_ids(user).filter(patient_id=screening.owner_id).exists():
        return "appointment"
    return None


def screening_find(screening_id: uuid.UUID) -> Screening | None:
    """The screening with this id whoever owns it (access is decided by the caller), or None."""
    return Screening.objects.select_related("model_version").prefetch_related("reviews").filter(pk=screening_id).first()


def lesion_of_owner(*, owner_id: int, lesion_id: uuid.UUID) -> Lesion:
    """The owner's lesion with this id; another person's lesion does not exist (422 lesion_not_found)."""
    lesion = Lesion.objects.filter(pk=lesion_id, owner_id=owner_id).first()
    if lesion is None:
        raise ApplicationError("There is no lesion of yours with that id.", code=ScreeningError.LESION_NOT_FOUND, status=422)
    return lesion


def screening_list(
    *,
    user: User,
    date_from: date | None = None,
    date_to: date | None = None,
    risk: str | None = None,
    label: str | None = None,
    owner_id: int | None = None,
    model_version: str | None = None,
    source: str | None = None,
    lesion_id: uuid.UUID | None = None,
    unassigned: bool | None = None,
) -> QuerySet[Screening]:
    """The screenings `user` may see, newest first, filtered (the API paginates and audits the page)."""
    qs = screenings_visible_to(user)
    if date_from:
        qs = qs.filter(captured_at__gte=datetime.combine(date_from, time.min, tzinfo=UTC))
    if date_to:
        qs = qs.filter(captured_at__lte=datetime.combine(date_to, time.max, tzinfo=UTC))
    # a "cannot assess" screening has no risk level or label to match (they are withheld from every answer)
    if risk:
        qs = qs.filter(risk=risk, outcome=Outcome.ASSESSED)
    if label:
        qs = qs.filter(top_label=label, outcome=Outcome.ASSESSED)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if model_version:
        qs = qs.filter(model_version__version=model_version)
    if source:
        qs = qs.filter(source=source)
    if lesion_id is not None:
        qs = qs.filter(lesion_id=lesion_id)
    if unassigned is not None:
        qs = qs.filter(lesion__isnull=unassigned)
    return qs.order_by("-captured_at", "-created_at", "pk")


# "Newest high-risk first": high, then medium, then low; newest first inside each.
RISK_RANK = Case(When(risk=Risk.HIGH, then=Value(0)), When(risk=Risk.MEDIUM, then=Value(1)), default=Value(2), output_field=IntegerField())


def worklist(
    *, clinician: User, risk: str | None = None, reviewed: bool | None = None, date_from: date | None = None, date_to: date | None = None
) -> QuerySet[Screening]:
    """What a clinician has to look at: other people's screenings they may see (shared with them, or of a
    patient with an appointment with them), high risk first and newest first; filters on risk, whether any
    clinician has reviewed it, and captured_at dates (inclusive). The API paginates and audits the page."""
    qs = screenings_visible_to(clinician).exclude(owner=clinician).select_related("owner", "lesion")
    qs = qs.annotate(is_reviewed=Exists(ScreeningReview.objects.filter(screening=OuterRef("pk"))), risk_rank=RISK_RANK)
    if risk:
        qs = qs.filter(risk=risk, outcome=Outcome.ASSESSED)
    if reviewed is not None:
        qs = qs.filter(is_reviewed=reviewed)
    if date_from:
        qs = qs.filter(captured_at__gte=datetime.combine(date_from, time.min, tzinfo=UTC))
    if date_to:
        qs = qs.filter(captured_at__lte=datetime.combine(date_to, time.max, tzinfo=UTC))
    return qs.order_by("risk_rank", "-captured_at", "-created_at", "pk")


def reviews_of(screening: Screening) -> list[ScreeningReview]:
    """Every review of the screening with its amendment history, oldest review first."""
    return list(screening.reviews.prefetch_related("revisions").order_by("created_at", "id"))


def shares_of(screening: Screening) -> list[ScreeningShare]:
    return list(screening.shares.select_related("clinician").order_by("created_at"))


# -- registry --


def model_version_get(version: str) -> ModelVersion:
    mv = ModelVersion.objects.filter(version=version).first()
    if mv is None:
        raise NotFound(f"Model version {version!r} not found.", code=ScreeningError.MODEL_NOT_FOUND)
    return mv


def model_version_active() -> ModelVersion | None:
    """The one active model version (the registry holds at most one), or None: the only "active model" query."""
    return ModelVersion.objects.filter(active_marker=True).first()


def model_version_list() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.all()


def agreement_report(*, model_version: ModelVersion) -> dict[str, Any]:
    """Phone vs server top-1 agreement for screenings where both sides ran this version."""
    labels = list(LABELS)
    rows = Screening.objects.filter(model_version=model_version).exclude(device_top_label="")
    same = rows.filter(device_model_version=model_version.version)
    pairs = list(same.values_list("device_top_label", "top_label"))
    confusion = {phone: dict.fromkeys(labels, 0) for phone in labels}
    for phone, server in pairs:
        if phone in confusion and server in confusion[phone]:
            confusion[phone][server] += 1
    agree = sum(confusion[label][label] for label in labels)
    per_label = {}
    for label in labels:
        server_n = sum(confusion[p][label] for p in labels)
        phone_n = sum(confusion[label].values())
        per_label[label] = {
            "server_count": server_n,
            "phone_count": phone_n,
            "agreed": confusion[label][label],
            "recall_vs_server": (confusion[label][label] / server_n) if server_n else None,
        }
    other_versions = rows.exclude(device_model_version=model_version.version).count()
    return {
        "review_agreement": review_agreement(model_version=model_version),
        "version": model_version.version,
        "synthetic": model_version.synthetic,
        "n_with_both": len(pairs),
        "n_agree": agree,
        "top1_agreement": (agree / len(pairs)) if pairs else None,
        "n_device_other_version": other_versions,
        "labels": labels,
        "confusion": confusion,
        "per_label": per_label,
    }


def review_agreement(*, model_version: ModelVersion) -> dict[str, Any]:
    """How often this version's risk level matched clinicians' impressions (each review's latest revision).

    A concerning impression (excise_or_biopsy, refer_urgently) matches a "high" risk; benign and monitor
    match "low" and "medium" (the model did not flag the lesion). Rows: the model's risk; columns: impression.
    """
    rows = list(ScreeningReview.objects.filter(screening__model_version=model_version).values_list("screening__risk", "impression"))
    table = {risk.value: dict.fromkeys(Impression.values, 0) for risk in Risk}
    for risk, impression in rows:
        if risk in table and impression in table[risk]:
            table[risk][impression] += 1
    concerning = {i.value for i in CONCERNING_IMPRESSIONS}
    matched = sum(1 for risk, impression in rows if (risk == Risk.HIGH) == (impression in concerning))
    high_and_concerning = sum(1 for risk, impression in rows if risk == Risk.HIGH and impression in concerning)
    n_concerning = sum(1 for _, impression in rows if impression in concerning)
    n_high = sum(1 for risk, _ in rows if risk == Risk.HIGH)
    return {
        "n_reviews": len(rows),
        "n_matched": matched,
        "agreement": (matched / len(rows)) if rows else None,
        "sensitivity_vs_clinicians": (high_and_concerning / n_concerning) if n_concerning else None,
        "precision_vs_clinicians": (high_and_concerning / n_high) if n_high else None,
        "table": table,
    }
