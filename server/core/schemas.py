"""Shared schema bases: inputs forbid unknown fields (no mass assignment)."""

import re
from datetime import date, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field


class StrictSchema(Schema):
    """Base for every input schema: unknown fields are a 422, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


# RFC 3339 as OpenAPI's `date` and `date-time` formats mean it. Pydantic alone would also take numbers
# (0, "0.5": seconds since 1970) and, for a date, a whole date-time; the API takes only the text forms.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# (A date-time without an offset passes this shape check; routes that need the offset say so with their own code.)
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?")


def _text_matching(pattern: re.Pattern[str], what: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, date):  # already parsed (Python callers)
            return value
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValueError(f"must be {what}")
        return value

    return BeforeValidator(check)


IsoDate = Annotated[date, _text_matching(_DATE, "an ISO 8601 date, YYYY-MM-DD")]
IsoDateTime = Annotated[datetime, _text_matching(_DATE_TIME, "an ISO 8601 date-time, e.g. 2026-12-04T09:30:00+01:00")]
# The one key rule of core.idempotency, as the OpenAPI document states it.
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_-]{8,128}$"
# The shape of an IANA zone name (Europe/Berlin, America/Argentina/Buenos_Aires, Etc/GMT+5, UTC); the
# server also checks that the zone exists (422 otherwise).
IANA_ZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$"
# A database id: what a BIGINT primary key can hold (a larger number is a 422, not an overflow).
DbId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class ErrorOut(Schema):
    detail: str
    code: str


class MessageOut(Schema):
    detail: str


DISCLAIMER = (
    "This is a screening aid, not a diagnosis. It cannot rule out skin cancer. "
    "See a qualified clinician about any lesion that worries you, changes, bleeds or itches."
)
