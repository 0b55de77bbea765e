"""Reads: who may see which screening, lists with filters, the registry, the agreement report."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from appointments import selectors as appointment_selectors
from core.errors import NotFound
from core.permissions import is_admin, is_clinician
from lesion_contract.labels import LABELS
from screening.error_codes import ScreeningError
from screening.models import ModelVersion, Screening, ScreeningShare


def _appointment_patient_ids(clinician: User) -> QuerySet[Any, int]:
    """Patients whose appointment with this clinician is upcoming or ended within the access window
    (SCREENING_CLINICIAN_ACCESS_DAYS, docs/screening.md), as the appointments app defines them."""
    ended_after = timezone.now() - timedelta(days=settings.SCREENING_CLINICIAN_ACCESS_DAYS)
    return appointment_selectors.patient_ids_of_clinician(clinician=clinician, ended_after=ended_after)


def screenings_visible_to(user: User) -> QuerySet[Screening]:
    """Owner, clinicians it is shared with or who have an appointment with the owner, admins."""
    qs = Screening.objects.select_related("model_version")
    if is_admin(user):
        return qs
    condition = Q(owner=user)
    if is_clinician(user):
        condition |= Q(Exists(ScreeningShare.objects.filter(screening=OuterRef("pk"), clinician=user)))
        condition |= Q(owner_id__in=_appointment_patient_ids(user))
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
    if _appointment_patient_ids(user).filter(patient_id=screening.owner_id).exists():
        return "appointment"
    return None


def screening_find(screening_id: uuid.UUID) -> Screening | None:
    """The screening with this id whoever owns it (access is decided by the caller), or None."""
    return Screening.objects.select_related("model_version").filter(pk=screening_id).first()


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
) -> QuerySet[Screening]:
    """The screenings `user` may see, newest first, filtered (the API paginates and audits the page)."""
    qs = screenings_visible_to(user)
    if date_from:
        qs = qs.filter(captured_at__gte=datetime.combine(date_from, time.min, tzinfo=UTC))
    if date_to:
        qs = qs.filter(captured_at__lte=datetime.combine(date_to, time.max, tzinfo=UTC))
    if risk:
        qs = qs.filter(risk=risk)
    if label:
        qs = qs.filter(top_label=label)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if model_version:
        qs = qs.filter(model_version__version=model_version)
    if source:
        qs = qs.filter(source=source)
    return qs.order_by("-captured_at", "-created_at", "pk")


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
