"""Request and response schemas of the appointments API. Times go out in the viewer's zone, with offset."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from datetime import UTC, datetime, time, tzinfo
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from appointments.models import Appointment, ClinicianProfile
from core.schemas import DbId, IsoDate, IsoDateTime, StrictSchema


def viewer_zone(context: Any) -> tzinfo:
    """The asking user's IANA zone (set on their profile), UTC when unknown."""
    request = (context or {}).get("request")
    name = getattr(getattr(request, "auth", None), "time_zone", "") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return UTC


class ClinicianOut(Schema):
    id: int
    full_name: str
    speciality: str
    clinic: str
    time_zone: str

    @staticmethod
    def resolve_id(obj: ClinicianProfile) -> int:
        return obj.user_id

    @staticmethod
    def resolve_full_name(obj: ClinicianProfile) -> str:
        return obj.user.full_name or obj.user.email.split("@")[0]


class ClinicianDetailOut(ClinicianOut):
    slot_minutes: int


class PersonOut(Schema):
    id: int
    full_name: str


class SlotOut(Schema):
    start: datetime
    end: datetime


class SlotListOut(Schema):
    items: list[SlotOut]
    time_zone: str


class AppointmentIn(StrictSchema):
    clinician_id: DbId
    start: IsoDateTime = Field(description="ISO 8601 with offset, exactly a slot start from /clinicians/{id}/slots")
    reason: str = Field(default="", max_length=1000)
    patient_id: DbId | None = Field(default=None, description="Admins only: book on behalf of this patient")


class RescheduleIn(StrictSchema):
    start: IsoDateTime = Field(description="ISO 8601 with offset, exactly a free slot start")


class StatusIn(StrictSchema):
    status: Literal["done", "no_show"] = Field(description="What happened: the visit took place, or the patient did not come")


class AppointmentOut(Schema):
    id: int
    clinician: ClinicianOut
    patient: PersonOut
    start: datetime
    end: datetime
    time_zone: str = Field(description="The clinician's IANA zone")
    status: str
    reason: str
    created_at: datetime

    @staticmethod
    def resolve_clinician(obj: Appointment) -> Any:
        profile = getattr(obj.clinician, "clinician_profile", None)
        if profile is not None:
            return profile
        return {"id": obj.clinician_id, "full_name": obj.clinician.full_name, "speciality": "", "clinic": "", "time_zone": obj.time_zone}

    @staticmethod
    def resolve_start(obj: Appointment, context: Any) -> datetime:
        return obj.start.astimezone(viewer_zone(context))

    @staticmethod
    def resolve_end(obj: Appointment, context: Any) -> datetime:
        return obj.end.astimezone(viewer_zone(context))

    @staticmethod
    def resolve_created_at(obj: Appointment, context: Any) -> datetime:
        return obj.created_at.astimezone(viewer_zone(context))


class WindowIn(StrictSchema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    start: time = Field(description="Local wall-clock time in the clinician's zone, HH:MM")
    end: time


class AvailabilityIn(StrictSchema):
    windows: list[WindowIn] = Field(max_length=70)


class WindowOut(Schema):
    weekday: int
    start: time
    end: time


class ExceptionIn(StrictSchema):
    date: IsoDate
    start_time: time | None = None
    end_time: time | None = None
    reason: str = Field(default="", max_length=200)


class ExceptionOut(Schema):
    id: int
    date: dt.date
    start_time: time | None
    end_time: time | None
    reason: str


class ExceptionCreatedOut(ExceptionOut):
    affected_appointment_ids: list[int] = Field(description="Booked appointments inside the blocked time: kept; cancel or move them")


class AvailabilityOut(Schema):
    time_zone: str
    slot_minutes: int
    weekly: list[WindowOut]
    exceptions: list[ExceptionOut]
