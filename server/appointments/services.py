"""Appointment writes: booking (idempotent, overlap-proof in the database), reschedule, cancel, visit status.

No double booking is held by BookedCell's unique (user, cell) key: a booking inserts one row per 5-minute
cell for the clinician and one for the patient inside its transaction, so of two overlapping bookings
the second insert fails with IntegrityError (it waits for the first to commit on MySQL/MariaDB) -> 409.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from appointments import selectors
from appointments.error_codes import AppointmentsError
from appointments.models import (
    CELL_MINUTES,
    Appointment,
    AppointmentStatus,
    AvailabilityException,
    BookedCell,
    ClinicianProfile,
    WeeklyAvailability,
)
from core import idempotency
from core.db import retry_on_deadlock
from core.errors import ApplicationError, Conflict, Forbidden, NotFound, Unprocessable
from core.permissions import is_admin, is_clinician, is_patient
from notifications.services import notification_schedule, notifications_cancel_group

# The operation an Idempotency-Key of a booking belongs to (core.idempotency).
CREATE_APPOINTMENT = "create_appointment"


# --- validation ------------------------------------------------------------------------------------


def _as_utc(value: datetime, *, field: str = "start") -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise Unprocessable(
            f"{field} must be ISO 8601 with a UTC offset, e.g. 2026-03-10T09:00:00+01:00.", code=AppointmentsError.NAIVE_DATETIME
        )
    return value.astimezone(UTC)


def _check_future(start: datetime) -> None:
    now = timezone.now()
    lead = timedelta(minutes=int(settings.APPOINTMENT_MIN_LEAD_MINUTES))
    if start <= now + lead:
        raise Unprocessable("That time is in the past; pick a future slot.", code=AppointmentsError.START_IN_PAST)
    horizon = int(settings.APPOINTMENT_BOOKING_HORIZON_DAYS)
    if start > now + timedelta(days=horizon):
        raise Unprocessable(f"Appointments can be booked at most {horizon} days ahead.", code=AppointmentsError.TOO_FAR_AHEAD)


def _require_slot(profile: ClinicianProfile, start: datetime) -> datetime:
    """The end of the slot that starts exactly at `start`, or a 422 that says why there is none."""
    for slot in selectors.slots_between(profile, start - timedelta(hours=1), start + timedelta(hours=1)):
        if slot.start == start:
            return slot.end
    tz = selectors.zone(profile.time_zone)
    local_day = start.astimezone(tz).date()
    if AvailabilityException.objects.filter(clinician=profile, date=local_day, start_time__isnull=True).exists():
        raise Unprocessable(f"The clinician is not working on {local_day.isoformat()}.", code=AppointmentsError.DAY_OFF)
    raise Unprocessable(
        "The clinician has no slot starting at that time; choose one from /clinicians/{id}/slots.",
        code=AppointmentsError.OUTSIDE_AVAILABILITY,
    )


def _cells(start: datetime, end: datetime) -> list[datetime]:
    step = timedelta(minutes=CELL_MINUTES)
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    t = epoch + ((start - epoch) // step) * step  # floor to the grid
    out = []
    while t < end:
        out.append(t)
        t += step
    return out


def _occupy(appointment: Appointment) -> None:
    """Insert the appointment's cells in one global order (user, cell) so concurrent bookings never deadlock."""
    rows = [
        BookedCell(user_id=user_id, cell=cell, appointment=appointment)
        for user_id in sorted({appointment.clinician_id, appointment.patient_id})
        for cell in _cells(appointment.start, appointment.end)
    ]
    BookedCell.objects.bulk_create(rows)


def _release(appointment: Appointment) -> None:
    BookedCell.objects.filter(appointment=appointment).delete()


def _conflict_for(*, clinician_id: int, patient_id: int, start: datetime, end: datetime, exclude_id: int | None = None) -> Conflict:
    busy = Appointment.objects.filter(status=AppointmentStatus.BOOKED, start__lt=end, end__gt=start)
    if exclude_id:
        busy = busy.exclude(pk=exclude_id)
    if not busy.filter(clinician_id=clinician_id).exists() and busy.filter(patient_id=patient_id).exists():
        return Conflict("You already have an appointment at that time.", code=AppointmentsError.PATIENT_BUSY)
    return Conflict("That slot has just been booked by someone else; pick another one.", code=AppointmentsError.SLOT_TAKEN)


# --- texts (no medical detail: they show on lock screens) ----------------------------------------


def _when(moment: datetime, user: User) -> str:
    tz = selectors.zone(user.time_zone or "UTC")
    local = moment.astimezone(tz)
    return f"{local:%a %d %b} at {local:%H:%M} ({tz.key})"


def _lead(seconds: int) -> str:
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day{'s' if days > 1 else ''}"
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours > 1 else ''}"
    minutes = max(seconds // 60, 1)
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


def reminder_offsets() -> list[int]:
    """Seconds before the start at which the patient is reminded; 0 (the start itself) is always added."""
    offsets = {int(x) for x in settings.APPOINTMENT_REMINDER_OFFSETS if int(x) > 0}
    return sorted(offsets | {0}, reverse=True)


def _schedule_reminders(appointment: Appointment) -> None:
    now = timezone.now()
    group = f"appointment:{appointment.pk}"
    data = {"type": "appointment_reminder", "appointment_id": appointment.pk}
    for offset in reminder_offsets():
        due = appointment.start - timedelta(seconds=offset)
        if due <= now:
            continue
        if offset:
            body = f"Reminder: you have an appointment in {_lead(offset)}, {_when(appointment.start, appointment.patient)}."
        else:
            body = "Your appointment is starting now. Open the app for the details."
        notification_schedule(
            user=appointment.patient,
            kind="appointment_reminder",
            title="Appointment reminder",
            body=body,
            due_at=due,
            dedupe_key=f"appt:{appointment.pk}:r{appointment.revision}:{offset}:patient",
            group=group,
            data={**data, "offset_seconds": offset},
        )
    notification_schedule(
        user=appointment.clinician,
        kind="appointment_reminder",
        title="Next appointment",
        body="Your next appointment is starting now. Open the app for the details.",
        due_at=appointment.start,
        dedupe_key=f"appt:{appointment.pk}:r{appointment.revision}:0:clinician",
        group=group,
        data={**data, "offset_seconds": 0},
    )


def _notify(*, appointment: Appointment, recipients: list[User], kind: str, title: str, body_for: Any) -> None:
    now = timezone.now()
    for user in recipients:
        notification_schedule(
            user=user,
            kind=kind,
            title=title,
            body=body_for(user),
            due_at=now,
            dedupe_key=f"appt:{appointment.pk}:r{appointment.revision}:{kind}:{user.pk}",
            group="",  # a notice about a change is never cancelled with the reminders
            data={"type": kind, "appointment_id": appointment.pk},
            send_now=True,
        )


def _other_parties(appointment: Appointment, actor: User) -> list[User]:
    if actor.pk == appointment.patient_id:
        return [appointment.clinician]
    if actor.pk == appointment.clinician_id:
        return [appointment.patient]
    return [appointment.patient, appointment.clinician]


# --- booking ---------------------------------------------------------------------------------------


def _resolve_patient(*, actor: User, patient_id: int | None) -> User:
    if patient_id is None or patient_id == actor.pk:
        if not is_patient(actor):
            raise Forbidden("Only patient accounts book appointments for themselves.", code=AppointmentsError.NOT_A_PATIENT)
        return actor
    if not is_admin(actor):
        raise Forbidden("Only administrators book on behalf of a patient.", code="permission_denied")
    patient = User.objects.filter(pk=patient_id, role=Role.PATIENT, is_active=True).first()
    if patient is None:
        raise NotFound("No patient with this id.", code=AppointmentsError.PATIENT_NOT_FOUND)
    return patient


def appointment_book(
    *,
    actor: User,
    clinician_id: int,
    start: datetime,
    reason: str = "",
    patient_id: int | None = None,
) -> Appointment:
    """Book the slot starting at `start`.

    409 when the clinician or the patient is already booked at that time, even under concurrency.
    The API makes a booking idempotent per Idempotency-Key (core.idempotency) around this call.
    """
    patient = _resolve_patient(actor=actor, patient_id=patient_id)
    start = _as_utc(start)
    reason = reason.strip()
    profile = selectors.clinician_get(clinician_id=clinician_id)
    if profile.user_id == patient.pk:
        raise Unprocessable("You cannot book an appointment with yourself.", code=AppointmentsError.NOT_A_PATIENT)
    _check_future(start)
    end = _require_slot(profile, start)

    def attempt() -> Appointment:
        try:
            with transaction.atomic():
                appointment = Appointment.objects.create(
                    clinician_id=profile.user_id, patient=patient, start=start, end=end, time_zone=profile.time_zone, reason=reason
                )
                _occupy(appointment)
                appointment.clinician = profile.user
                _schedule_reminders(appointment)
            return appointment
        except IntegrityError:
            raise _conflict_for(clinician_id=profile.user_id, patient_id=patient.pk, start=start, end=end) from None

    return retry_on_deadlock(attempt, what="booking")


def _load_for_update(*, actor: User, appointment_id: int) -> Appointment:
    selectors.appointment_get(user=actor, appointment_id=appointment_id)  # 404 unless visible
    return Appointment.objects.select_for_update().select_related("clinician", "patient").get(pk=appointment_id)


def _check_cutoff(appointment: Appointment, actor: User, action: str) -> None:
    now = timezone.now()
    if appointment.start <= now:
        raise Unprocessable(f"This appointment has already started; it cannot be {action}.", code=AppointmentsError.CUTOFF_PASSED)
    if is_admin(actor) or actor.pk == appointment.clinician_id:
        return
    cutoff = timedelta(hours=float(settings.APPOINTMENT_CHANGE_CUTOFF_HOURS))
    if appointment.start - now < cutoff:
        hours = cutoff.total_seconds() / 3600
        raise Unprocessable(
            f"Appointments can be {action} online up to {hours:g} hours before the start; please call the clinic.",
            code=AppointmentsError.CUTOFF_PASSED,
        )


def appointment_reschedule(*, actor: User, appointment_id: int, start: datetime) -> Appointment:
    """Move a booked appointment to another free slot of the same clinician; reminders move with it."""
    new_start = _as_utc(start)

    def attempt() -> Appointment:
        with transaction.atomic():
            appointment = _load_for_update(actor=actor, appointment_id=appointment_id)
            if appointment.status != AppointmentStatus.BOOKED:
                raise Conflict(f"Only booked appointments can be rescheduled (this one is {appointment.status}).", code=AppointmentsError.NOT_BOOKED)
            _check_cutoff(appointment, actor, "rescheduled")
            _check_future(new_start)
            profile = selectors.clinician_get(clinician_id=appointment.clinician_id)
            new_end = _require_slot(profile, new_start)
            if new_start == appointment.start:
                return appointment
            _release(appointment)
            notifications_cancel_group(group=f"appointment:{appointment.pk}")
            appointment.start, appointment.end = new_start, new_end
            appointment.revision += 1
            appointment.time_zone = profile.time_zone
            appointment.updated_at = timezone.now()
            appointment.save(update_fields=["start", "end", "revision", "time_zone", "updated_at"])
            try:
                with transaction.atomic():
                    _occupy(appointment)
            except IntegrityError:  # the new slot is taken: the whole move rolls back -> 409
                raise _conflict_for(
                    clinician_id=appointment.clinician_id, patient_id=appointment.patient_id, start=new_start, end=new_end, exclude_id=appointment.pk
                ) from None
            _schedule_reminders(appointment)
            _notify(
                appointment=appointment,
                recipients=_other_parties(appointment, actor),
                kind="appointment_rescheduled",
                title="Appointment moved",
                body_for=lambda u, start=appointment.start: f"Your appointment was moved to {_when(start, u)}.",
            )
            return appointment

    return retry_on_deadlock(attempt, what="reschedule")


@transaction.atomic
def appointment_cancel(*, actor: User, appointment_id: int) -> Appointment:
    """Cancel: frees the slot, cancels pending reminders, and tells the other party."""
    appointment = _load_for_update(actor=actor, appointment_id=appointment_id)
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict(f"Only booked appointments can be cancelled (this one is {appointment.status}).", code=AppointmentsError.NOT_BOOKED)
    _check_cutoff(appointment, actor, "cancelled")
    now = timezone.now()
    _release(appointment)
    notifications_cancel_group(group=f"appointment:{appointment.pk}")
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now
    appointment.cancelled_by = actor
    appointment.updated_at = now
    appointment.save(update_fields=["status", "cancelled_at", "cancelled_by", "updated_at"])
    _notify(
        appointment=appointment,
        recipients=_other_parties(appointment, actor),
        kind="appointment_cancelled",
        title="Appointment cancelled",
        body_for=lambda u: f"Your appointment on {_when(appointment.start, u)} was cancelled.",
    )
    return appointment


@transaction.atomic
def appointment_set_status(*, actor: User, appointment_id: int, status: str) -> Appointment:
    """The clinician (or an admin) records that the visit happened or the patient did not come."""
    if status not in (AppointmentStatus.DONE, AppointmentStatus.NO_SHOW):
        raise Unprocessable("status must be done or no_show.", code=AppointmentsError.INVALID_STATUS)
    appointment = _load_for_update(actor=actor, appointment_id=appointment_id)
    if not (is_admin(actor) or (is_clinician(actor) and appointment.clinician_id == actor.pk)):
        raise Forbidden("Only the appointment's clinician or an administrator can record the visit.", code="permission_denied")
    if appointment.status == AppointmentStatus.CANCELLED:
        raise Conflict("A cancelled appointment cannot be marked done or no-show.", code=AppointmentsError.NOT_BOOKED)
    if appointment.start > timezone.now():
        raise Unprocessable("The appointment has not started yet.", code=AppointmentsError.NOT_STARTED)
    notifications_cancel_group(group=f"appointment:{appointment.pk}")
    appointment.status = status
    appointment.updated_at = timezone.now()
    appointment.save(update_fields=["status", "updated_at"])
    return appointment


def appointments_on_user_delete(user: User) -> None:
    """Delete hook: a patient's future visits are called off (clinicians told); clinicians with history stay."""
    if Appointment.objects.filter(clinician=user).exists():
        raise Conflict(
            "A clinician account with appointments cannot be deleted; an administrator can deactivate it instead.",
            code=AppointmentsError.CLINICIAN_HAS_APPOINTMENTS,
        )
    upcoming = Appointment.objects.filter(patient=user, status=AppointmentStatus.BOOKED, start__gt=timezone.now()).select_related("clinician")
    for appointment in upcoming:
        notifications_cancel_group(group=f"appointment:{appointment.pk}")
        _notify(
            appointment=appointment,
            recipients=[appointment.clinician],
            kind="appointment_cancelled",
            title="Appointment cancelled",
            body_for=lambda u, start=appointment.start: f"Your appointment on {_when(start, u)} was cancelled.",
        )
    # The appointments themselves go with the patient's account (cascade): personal data is not kept.


@transaction.atomic
def booking_rows_prune(*, now: datetime | None = None) -> tuple[int, int]:
    """Drop cells of appointments that ended over a day ago (nothing can be booked in the past, so they guard
    nothing) and idempotency keys older than a week (clients retry within minutes). Returns the counts."""
    now = now or timezone.now()
    cells, _ = BookedCell.objects.filter(cell__lt=now - timedelta(days=1)).delete()
    keys = idempotency.keys_purge(endpoints=[CREATE_APPOINTMENT], older_than=timedelta(days=7), now=now)
    return cells, keys


# --- clinician profile and availability (admin, demo, clinicians themselves) ------------------------


def _check_grid(t: time, what: str) -> None:
    if t.second or t.microsecond or t.minute % CELL_MINUTES:
        raise ApplicationError(f"{what} must be on a {CELL_MINUTES}-minute boundary.", code=AppointmentsError.INVALID_AVAILABILITY, status=422)


@transaction.atomic
def clinician_profile_upsert(
    *, user: User, speciality: str = "Dermatology", clinic: str = "", time_zone: str | None = None, slot_minutes: int = 30
) -> ClinicianProfile:
    if user.role != Role.CLINICIAN:
        raise ApplicationError("Only clinician accounts have a clinician profile.", code=AppointmentsError.CLINICIAN_NOT_FOUND, status=422)
    tz = selectors.zone(time_zone or user.time_zone or "UTC")
    if slot_minutes % CELL_MINUTES or not CELL_MINUTES <= slot_minutes <= 240:
        raise ApplicationError(f"slot_minutes must be a multiple of {CELL_MINUTES} up to 240.", code=AppointmentsError.INVALID_AVAILABILITY, status=422)
    profile, _ = ClinicianProfile.objects.update_or_create(
        user=user, defaults={"speciality": speciality, "clinic": clinic, "time_zone": tz.key, "slot_minutes": slot_minutes}
    )
    return profile


def require_schedule_manager(*, actor: User, profile: ClinicianProfile) -> None:
    """Only the clinician themselves or an administrator changes a clinician's availability."""
    if not (is_admin(actor) or actor.pk == profile.user_id):
        raise Forbidden("Only this clinician or an administrator can change this schedule.", code="permission_denied")


@transaction.atomic
def availability_exception_add(
    *, actor: User, profile: ClinicianProfile, day: date, start_time: time | None = None, end_time: time | None = None, reason: str = ""
) -> tuple[AvailabilityException, list[int]]:
    """Block a whole day (no times) or a window on one local date. Returns the exception and the ids of booked
    appointments inside it: they are kept, so the clinician decides whether to cancel or move them."""
    require_schedule_manager(actor=actor, profile=profile)
    if (start_time is None) != (end_time is None):
        raise ApplicationError("Give both start_time and end_time, or neither for a whole day off.", code=AppointmentsError.INVALID_AVAILABILITY, status=422)
    tz = selectors.zone(profile.time_zone)
    if day < timezone.now().astimezone(tz).date():
        raise ApplicationError("That date is in the past.", code=AppointmentsError.INVALID_AVAILABILITY, status=422)
    if start_time is not None and end_time is not None:
        _check_grid(start_time, "start_time")
        _check_grid(end_time, "end_time")
        if start_time >= end_time:
            raise ApplicationError("start_time must be before end_time.", code=AppointmentsError.INVALID_AVAILABILITY, status=422)
        block_start = datetime.combine(day, start_time, tzinfo=tz).astimezone(UTC)
        block_end = datetime.combine(day, end_time, tzinfo=tz).astimezone(UTC)
    else:
        block_start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
        block_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    exception = AvailabilityException.objects.create(clinician=profile, date=day, start_time=start_time, end_time=end_time, reason=reason.strip()[:200])
    affected = list(
        Appointment.objects.filter(clinician_id=profile.user_id, status=AppointmentStatus.BOOKED, start__lt=block_end, end__gt=block_start)
        .order_by("start")
        .values_list("id", flat=True)
    )
    return exception, affected


@transaction.atomic
def availability_exception_remove(*, actor: User, profile: ClinicianProfile, exception_id: int) -> None:
    require_schedule_manager(actor=actor, profile=profile)
    deleted, _ = AvailabilityException.objects.filter(pk=exception_id, clinician=profile).delete()
    if not deleted:
        raise NotFound("No such exception for this clinician.", code=AppointmentsError.EXCEPTION_NOT_FOUND)


@transaction.atomic
def availability_set_weekly(*, profile: ClinicianProfile, windows: list[tuple[int, time, time]]) -> list[WeeklyAvailability]:
    """Replace the weekly availability with `windows` of (weekday 0=Monday, start, end) in the clinician's zone."""
    by_day: dict[int, list[tuple[time, time]]] = {}
    for weekday, start, end in windows:
        if not 0 <= weekday <= 6:
            raise ApplicationError("weekday must be 0 (Monday) to 6 (Sunday).", code=AppointmentsError.INVALID_AVAILABILITY, status=422)
        _check_grid(start, "start")
        _check_grid(end, "end")
        if start >= end:
            raise ApplicationError("Each window must start before it ends.", code=AppointmentsError.INVALID_AVAILABILITY, status=422)
        by_day.setdefault(weekday, []).append((start, end))
    for spans in by_day.values():
        spans.sort()
        if any(a_end > b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans)):
            raise ApplicationError("Windows on the same day must not overlap.", code=AppointmentsError.INVALID_AVAILABILITY, status=422)
    WeeklyAvailability.objects.filter(clinician=profile).delete()
    return WeeklyAvailability.objects.bulk_create(
        [WeeklyAvailability(clinician=profile, weekday=w, start_time=s, end_time=e) for w, s, e in windows]
    )
