"""Screening and model-delivery schemas; inputs forbid unknown fields."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from core.schemas import StrictSchema
from lesion_contract.labels import RiskLevel


class DeviceResultIn(StrictSchema):
    model_version: str = Field(..., max_length=100)
    probabilities: list[float] | dict[str, float]
    latency_ms: float | None = None


class SyncItemIn(StrictSchema):
    client_uuid: uuid.UUID
    captured_at: datetime
    photo: str = Field(..., min_length=1, max_length=100, description="Name of the multipart file field holding this item's photo.")
    body_site: str = Field("", max_length=64)
    note: str = Field("", max_length=500)
    device_result: DeviceResultIn | None = None


class DeviceComparisonOut(Schema):
    model_version: str
    same_model_version: bool
    top_label: str
    probabilities: dict[str, float]
    latency_ms: float | None
    server_top_label: str
    agrees_top1: bool
    max_abs_difference: float


class ScreeningOut(Schema):
    id: uuid.UUID
    client_uuid: uuid.UUID | None
    owner_id: int
    source: str
    captured_at: datetime
    created_at: datetime
    body_site: str
    note: str
    photo_url: str
    photo_width: int
    photo_height: int
    model_version: str
    model_synthetic: bool
    labels: list[str]
    probabilities: dict[str, float]
    top_label: str
    top_label_display: str
    risk: RiskLevel
    recommended_action: str
    disclaimer: str
    server_latency_ms: float
    device: DeviceComparisonOut | None


class ScreeningListOut(Schema):
    items: list[ScreeningOut]
    count: int


class SyncErrorOut(Schema):
    detail: str
    code: str
    status: int


class SyncItemOut(Schema):
    index: int
    client_uuid: uuid.UUID | None
    status: Literal["created", "duplicate", "error"]
    screening: ScreeningOut | None
    error: SyncErrorOut | None


class SyncOut(Schema):
    created: int
    duplicates: int
    errors: int
    results: list[SyncItemOut]


class ShareIn(StrictSchema):
    clinician_id: int


class ShareOut(Schema):
    screening_id: uuid.UUID
    clinician_id: int
    clinician_name: str
    created_at: datetime


class ModelVersionOut(Schema):
    version: str
    name: str
    synthetic: bool
    is_active: bool
    bundle_created_at: datetime
    imported_at: datetime
    activated_at: datetime | None


class ModelFileOut(Schema):
    name: str
    variant: str | None
    size: int
    sha256: str
    url: str


class SignedManifestOut(Schema):
    version: str
    synthetic: bool
    manifest: dict[str, Any]
    signed_payload: str = Field(
        ..., description='The exact signed text: JSON of `manifest` with sorted keys, separators (",", ":"), UTF-8. Verify these bytes, then parse them.'
    )
    signature: str = Field(..., description="base64 Ed25519 signature of the UTF-8 bytes of `signed_payload`.")
    algorithm: str
    key_id: str
    public_key_url: str
    files: list[ModelFileOut]


class PublicKeyOut(Schema):
    algorithm: str
    key_id: str
    public_key: str = Field(..., description="base64 of the raw 32-byte Ed25519 public key.")
    encoding: str


class AgreementLabelOut(Schema):
    server_count: int
    phone_count: int
    agreed: int
    recall_vs_server: float | None


class AgreementOut(Schema):
    version: str
    synthetic: bool
    n_with_both: int
    n_agree: int
    top1_agreement: float | None
    n_device_other_version: int
    labels: list[str]
    confusion: dict[str, dict[str, int]] = Field(..., description="confusion[phone_label][server_label] = count.")
    per_label: dict[str, AgreementLabelOut]
