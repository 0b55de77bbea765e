"""Shared schema bases: inputs forbid unknown fields (no mass assignment)."""

from ninja import Schema
from pydantic import ConfigDict


class StrictSchema(Schema):
    """Base for every input schema: unknown fields are a 422, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    detail: str
    code: str


class MessageOut(Schema):
    detail: str


DISCLAIMER = (
    "This is a screening aid, not a diagnosis. It cannot rule out skin cancer. "
    "See a qualified clinician about any lesion that worries you, changes, bleeds or itches."
)
