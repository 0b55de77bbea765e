"""Turns stored screenings and bundles into API payloads (results text, comparisons, model versions)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from core.schemas import DISCLAIMER
from lesion_contract.labels import LABELS
from lesion_contract.ood import CANNOT_ASSESS_MESSAGE
from screening.models import ModelVersion, Outcome, Screening

RECOMMENDED_ACTION = {
    "high": (
        "The photo resembles a lesion type that can be malignant. Book an appointment with a dermatologist "
        "soon (within two weeks), and sooner if it bleeds, grows or changes."
    ),
    "medium": (
        "The photo resembles a usually benign lesion that is sometimes confused with skin cancer. Ask a clinician "
        "to look at it at your next visit and watch it for changes in size, shape or colour."
    ),
    "low": (
        "The photo resembles a common benign lesion. Keep an eye on it (size, shape, colour, itching, bleeding) "
        "and see a clinician if it changes or worries you."
    ),
}
SYNTHETIC_NOTE = "SYNTHETIC model - not for clinical use: this result comes from a demonstration model trained on synthetic images. "


def display_name(mv: ModelVersion, label: str) -> str:
    info = (mv.manifest.get("label_info") or {}).get(label) or {}
    return str(info.get("display_name") or label)


def disclaimer(mv: ModelVersion) -> str:
    return (SYNTHETIC_NOTE if mv.synthetic else "") + DISCLAIMER


def photo_url(screening: Screening) -> str:
    return reverse("api-v1:get_screening_photo", kwargs={"screening_id": screening.pk})


def device_comparison(screening: Screening) -> dict[str, Any] | None:
    if not screening.device_top_label or screening.device_probabilities is None:
        return None
    device = [float(p) for p in screening.device_probabilities]
    server = [float(p) for p in screening.probabilities]
    return {
        "model_version": screening.device_model_version,
        "same_model_version": screening.device_model_version == screening.model_version.version,
        "top_label": screening.device_top_label,
        "probabilities": dict(zip(LABELS, device, strict=True)),
        "latency_ms": screening.device_latency_ms,
        "server_top_label": screening.top_label if assessed(screening) else None,
        "agrees_top1": screening.device_top_label == screening.top_label if assessed(screening) else None,
        "max_abs_difference": round(max(abs(a - b) for a, b in zip(device, server, strict=True)), 6),
    }


def assessed(screening: Screening) -> bool:
    """False when the bundle's \"cannot assess\" rule refused the photo: then no class verdict is shown."""
    return screening.outcome != Outcome.CANNOT_ASSESS


def recommended_action(screening: Screening) -> str:
    action = RECOMMENDED_ACTION[screening.risk] if assessed(screening) else CANNOT_ASSESS_MESSAGE
    return SYNTHETIC_NOTE + action if screening.model_version.synthetic else action


def screening_body(screening: Screening) -> dict[str, Any]:
    """The JSON body of a screening as the API answers it (also what an idempotency key stores)."""
    from screening.schemas import ScreeningOut  # the schema's resolvers use this module

    return ScreeningOut.from_orm(screening).model_dump(mode="json")


def sync_body(outcomes: list[Any]) -> dict[str, Any]:
    """The answer of POST /screenings/sync (SyncOut) from the per-item outcomes, whose screenings are
    the stored JSON answers (the same body a replay of the item gets)."""
    results = []
    for o in outcomes:
        error = None
        client_uuid = o.client_uuid
        if o.error is not None:
            error = {"detail": o.error.message, "code": o.error.code, "status": o.error.status_code}
            client_uuid = client_uuid or o.error.extra.get("client_uuid")
        screening = o.answer.body if o.answer is not None else None
        results.append({"index": o.index, "client_uuid": str(client_uuid) if client_uuid else None, "status": o.status, "screening": screening, "error": error})
    return {
        "created": sum(1 for o in outcomes if o.status == "created"),
        "duplicates": sum(1 for o in outcomes if o.status == "duplicate"),
        "errors": sum(1 for o in outcomes if o.status == "error"),
        "results": results,
    }


def model_version_out(mv: ModelVersion) -> dict[str, Any]:
    return {
        "version": mv.version,
        "name": str(mv.manifest.get("name", mv.version)),
        "synthetic": mv.synthetic,
        "is_active": mv.is_active,
        "bundle_created_at": mv.bundle_created_at,
        "imported_at": mv.imported_at,
        "activated_at": mv.activated_at,
    }
