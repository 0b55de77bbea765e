"""Reads: who may see which screening, lists with filters, the registry, the agreement report."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
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
from screening import audit
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


def _not_found() -> NotFound:
    return NotFound("Screening not found.", code=ScreeningError.NOT_FOUND)


def screening_get_for(*, user: User, screening_id: uuid.UUID, action: str = "read") -> Screening:
    """The screening if `user` may see it (audited for non-owners); otherwise it does not exist (404)."""
    screening = Screening.objects.select_related("model_version").filter(pk=screening_id).first()
    if screening is None:
        raise _not_found()
    reason = access_reason(user, screening)
    audit.record_access(actor=user, screening=screening, action=action, granted=reason is not None, reason=reason or "")
    if reason is None:
        raise _not_found()
    return screening


def screening_get_owned(*, user: User, screening_id: uuid.UUID, action: str) -> Screening:
    """Owner-only operations (share, delete): anyone else gets the same 404 as for a missing id."""
    screening = Screening.objects.select_related("model_version").filter(pk=screening_id).first()
    if screening is None:
        raise _not_found()
    if screening.owner_id != user.pk:
        audit.record_access(actor=user, screening=screening, action=action, granted=False, reason="not_owner")
        raise _not_found()
    return screening


@dataclass(frozen=True)
class ScreeningFilters:
    date_from: date | None = None
    date_to: date | None = None
    risk: str | None = None
    label: str | None = None
    owner_id: int | None = None
    model_version: str | None = None
    source: str | None = None


def screening_list(*, user: User, filters: ScreeningFilters, page: int, page_size: int) -> tuple[list[Screening], int]:
    """One page of the screenings `user` may see, newest first; non-owner rows are audited."""
    qs = screenings_visible_to(user)
    if filters.date_from:
        qs = qs.filter(captured_at__gte=datetime.combine(filters.date_from, time.min, tzinfo=UTC))
    if filters.date_to:
        qs = qs.filter(captured_at__lte=datetime.combine(filters.date_to, time.max, tzinfo=UTC))
    if filters.risk:
        qs = qs.filter(risk=filters.risk)
    if filters.label:
        qs = qs.filter(top_label=filters.label)
    if filters.owner_id is not None:
        qs = qs.filter(owner_id=filters.owner_id)
    if filters.model_version:
        qs = qs.filter(model_version__version=filters.model_version)
    if filters.source:
        qs = qs.filter(source=filters.source)
    qs = qs.order_by("-captured_at", "-created_at", "pk")
    count = qs.count()
    start = (page - 1) * page_size
    items = list(qs[start : start + page_size])
    foreign = [s for s in items if s.owner_id != user.pk]
    if foreign:
        reasons = {s.pk: (access_reason(user, s) or "") for s in foreign} if not is_admin(user) else {s.pk: "admin" for s in foreign}
        audit.record_list_access(actor=user, screenings=foreign, reasons=reasons)
    return items, count


def shares_of(screening: Screening) -> list[ScreeningShare]:
    return list(screening.shares.select_related("clinician").order_by("created_at"))


# -- registry --


def model_version_get(version: str) -> ModelVersion:
    mv = ModelVersion.objects.filter(version=version).first()
    if mv is None:
        raise NotFound(f"Model version {version!r} not found.", code=ScreeningError.MODEL_NOT_FOUND)
    return mv


def model_version_active() -> ModelVersion | None:
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
