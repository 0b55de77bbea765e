"""Appointment reads: clinicians, bookable slots (DST-correct), and what each role may see."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Role, User
from appointments.error_codes import AppointmentsError
from appointments.models import Appointment, AppointmentStatus, ClinicianProfile
from core.errors import ApplicationError, NotFound
from core.permissions import is_admin, is_clinician

MAX_SLOT_RANGE_DAYS = 62


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, UTC
    end: datetime


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone `name`, or a clear 422."""
    try:
        if name in zoneinfo.available_timezones():
            return zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        pass
    raise ApplicationError(
        f"'{name}' is not an IANA time zone (for example Europe/Berlin).", code=AppointmentsError.INVALID_TIME_ZONE, status=422
    )


# Appointments that make a clinician "the patient's clinician": booked (upcoming or running) or held.
# Cancelled ones never do; a no-show is not a visit either.
CARE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.DONE)


def patient_ids_of_clinician(*, clinician: User, ended_after: datetime) -> QuerySet[Appointment, int]:
    """Ids of the patients with a booked or held appointment with `clinician` that ends after `ended_after`.

    Passing `now - window` gives the patients whose appointment is upcoming or ended less than `window`
    ago: the screening app's rule for when a clinician may see a patient's screenings.
    """
    return (
        Appointment.objects.filter(clinician=clinician, status__in=CARE_STATUSES, end__gt=ended_after)
        .values_list("patient_id", flat=True)
        .distinct()
    )


def clinician_list() -> QuerySet[ClinicianProfile]:
    return (
        ClinicianProfile.objects.filter(is_bookable=True, user__is_active=True, user__role=Role.CLINICIAN)
        .select_related("user")
        .order_by("user__full_name", "id")
    )


def clinician_get(*, clinician_id: int) -> ClinicianProfile:
    profile = clinician_list().filter(user_id=clinician_id).first()
    if profile is None:
        raise NotFound("No bookable clinician with this id.", code=AppointmentsError.CLINICIAN_NOT_FOUND)
    return profile


def _local(d: date, t: time, tz: zoneinfo.ZoneInfo) -> datetime:
    """Wall-clock `d t` in `tz` as UTC. In a spring-forward gap zoneinfo (fold=0) lands after the gap."""
    return datetime.combine(d, t, tzinfo=tz).astimezone(UTC)


def _subtract(windows: list[tuple[datetime, datetime]], blocked: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    for b_start, b_end in blocked:
        out: list[tuple[datetime, datetime]] = []
        for s, e in windows:
            if b_end <= s or b_start >= e:
                out.append((s, e))
                continue
            if s < b_start:
                out.append((s, b_start))
            if b_end < e:
                out.append((b_end, e))
        windows = out
    return windows


def availability_windows(profile: ClinicianProfile, first: date, last: date) -> Iterator[tuple[date, datetime, datetime]]:
    """The clinician's open windows (UTC) for local dates first..last, with days off and blocks removed."""
    tz = zone(profile.time_zone)
    weekly = list(profile.availability.all())
    exceptions = list(profile.exceptions.filter(date__gte=first, date__lte=last))
    day = first
    while day <= last:
        todays = [x for x in exceptions if x.date == day]
        if not any(x.is_whole_day for x in todays):
            windows = [(_local(day, w.start_time, tz), _local(day, w.end_time, tz)) for w in weekly if w.weekday == day.weekday()]
            windows = [(s, e) for s, e in windows if s < e]
            blocked = [(_local(day, x.start_time, tz), _local(day, x.end_time, tz)) for x in todays if x.start_time and x.end_time]
            for s, e in _subtract(windows, blocked):
                yield day, s, e
        day += timedelta(days=1)


def slots_between(profile: ClinicianProfile, start: datetime, end: datetime) -> list[Slot]:
    """Every slot of the clinician's grid starting in [start, end) (UTC), booked or not.

    Slots are stepped in absolute time from each window's start, so a window that spans a clock change
    holds the hours that really pass: fewer on the spring-forward night, more on the fall-back night.
    """
    tz = zone(profile.time_zone)
    step = timedelta(minutes=profile.slot_minutes)
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    out: list[Slot] = []
    for _day, w_start, w_end in availability_windows(profile, first, last):
        t = w_start
        while t + step <= w_end:
            if start <= t < end:
                out.append(Slot(t, t + step))
            t += step
    out.sort(key=lambda s: s.start)
    return out


def slot_list(*, clinician_id: int, first: date, last: date, tz_name: str) -> tuple[list[Slot], zoneinfo.ZoneInfo]:
    """Free slots for local dates first..last in the asker's zone: not past, not booked, not on days off."""
    tz = zone(tz_name)
    if last < first:
        raise ApplicationError("end must be on or after start.", code=AppointmentsError.INVALID_RANGE, status=422)
    if (last - first).days + 1 > MAX_SLOT_RANGE_DAYS:
        raise ApplicationError(f"Ask for at most {MAX_SLOT_RANGE_DAYS} days at a time.", code=AppointmentsError.INVALID_RANGE, status=422)
    profile = clinician_get(clinician_id=clinician_id)
    range_start = datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC)
    range_end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    now = timezone.now()
    candidates = [s for s in slots_between(profile, range_start, range_end) if s.start > now]
    busy = list(
        Appointment.objects.filter(
            clinician_id=profile.user_id, status=AppointmentStatus.BOOKED, start__lt=range_end, end__gt=range_start
        ).values_list("start", "end")
    )
    free = [s for s in candidates if not any(b_start < s.end and s.start < b_end for b_start, b_end in busy)]
    return free, tz


def appointment_visible_to(user: User) -> QuerySet[Appointment]:
    qs = Appointment.objects.select_related("clinician", "patient", "clinician__clinician_profile")
    if is_admin(user):
        return qs
    if is_clinician(user):
        return qs.filter(Q(clinician=user) | Q(patient=user))
    return qs.filter(patient=user)


def appointment_list(*, user: User, status: str | None = None, start_after: datetime | None = None, start_before: datetime | None = None) -> QuerySet[Appointment]:
    qs = appointment_visible_to(user)
    if status:
        if status not in AppointmentStatus.values:
            raise ApplicationError("status must be booked, cancelled, done or no_show.", code=AppointmentsError.INVALID_STATUS, status=422)
        qs = qs.filter(status=status)
    if start_after:
        qs = qs.filter(start__gte=start_after)
    if start_before:
        qs = qs.filter(start__lt=start_before)
    return qs.order_by("start", "id")


def appointments_today(*, clinician: User, now: datetime | None = None) -> QuerySet[Appointment]:
    """The clinician's appointments on today's date in their own zone (cancelled ones left out), by start."""
    profile = getattr(clinician, "clinician_profile", None)
    tz = zone((profile.time_zone if profile is not None else "") or clinician.time_zone or "UTC")
    today = (now or timezone.now()).astimezone(tz).date()
    day_start = datetime.combine(today, time(0), tzinfo=tz).astimezone(UTC)
    day_end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return (
        appointment_visible_to(clinician)
        .filter(clinician=clinician, start__gte=day_start, start__lt=day_end)
        .exclude(status=AppointmentStatus.CANCELLED)
        .order_by("start", "id")
    )


def appointment_get(*, user: User, appointment_id: int) -> Appointment:
    """The appointment if `user` may see it; 404 otherwise (never reveals that another user's id exists)."""
    appointment = appointment_visible_to(user).filter(pk=appointment_id).first()
    if appointment is None:
        raise NotFound("Appointment not found.", code=AppointmentsError.APPOINTMENT_NOT_FOUND)
    return appointment


def availability_get(*, profile: ClinicianProfile) -> dict[str, object]:
    """Weekly windows and today's-or-later exceptions, in the clinician's own wall-clock."""
    today = timezone.now().astimezone(zone(profile.time_zone)).date()
    return {
        "time_zone": profile.time_zone,
        "slot_minutes": profile.slot_minutes,
        "weekly": [{"weekday": w.weekday, "start": w.start_time, "end": w.end_time} for w in profile.availability.all()],
        "exceptions": list(profile.exceptions.filter(date__gte=today).order_by("date", "start_time")),
    }
