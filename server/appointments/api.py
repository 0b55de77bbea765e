"""Routes for clinicians, their bookable slots and appointments: authenticate, parse, call one service."""

from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router, Status
from ninja.pagination import paginate

from accounts.auth import jwt_auth
from appointments import selectors, services
from appointments.models import Appointment, AppointmentStatus, ClinicianProfile
from appointments.schemas import (
    AppointmentIn,
    AppointmentOut,
    AvailabilityIn,
    AvailabilityOut,
    ClinicianDetailOut,
    ClinicianOut,
    ExceptionCreatedOut,
    ExceptionIn,
    RescheduleIn,
    SlotListOut,
    StatusIn,
)
from core import idempotency
from core.auth import request_user
from core.pagination import Pages
from core.permissions import require_role
from core.schemas import IANA_ZONE_PATTERN, DbId, ErrorOut, IsoDate, IsoDateTime

router = Router(auth=jwt_auth, tags=["appointments"])


@router.get("/clinicians", response={200: list[ClinicianOut], 401: ErrorOut})
@paginate(Pages)
def list_clinicians(request: HttpRequest) -> list[ClinicianProfile]:
    return selectors.clinician_list()  # type: ignore[return-value]


@router.get("/clinicians/{int:clinician_id}", response={200: ClinicianDetailOut, 401: ErrorOut, 404: ErrorOut})
def get_clinician(request: HttpRequest, clinician_id: DbId) -> ClinicianProfile:
    return selectors.clinician_get(clinician_id=clinician_id)


@router.get("/clinicians/{int:clinician_id}/slots", response={200: SlotListOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def list_slots(
    request: HttpRequest,
    clinician_id: DbId,
    start: IsoDate,
    end: IsoDate,
    tz: str | None = Query(None, max_length=64, pattern=IANA_ZONE_PATTERN, description="IANA time zone of the slots; default: yours"),  # type: ignore[type-arg]
) -> dict[str, object]:
    slots, zone = selectors.slot_list(clinician_id=clinician_id, first=start, last=end, tz_name=tz or request_user(request).time_zone or "UTC")
    return {"items": [{"start": s.start.astimezone(zone), "end": s.end.astimezone(zone)} for s in slots], "time_zone": zone.key}


@router.get("/clinicians/{int:clinician_id}/availability", response={200: AvailabilityOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def get_availability(request: HttpRequest, clinician_id: DbId) -> dict[str, object]:
    profile = selectors.clinician_get(clinician_id=clinician_id)
    services.require_schedule_manager(actor=request_user(request), profile=profile)
    return selectors.availability_get(profile=profile)


@router.put("/clinicians/{int:clinician_id}/availability", response={200: AvailabilityOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def set_availability(request: HttpRequest, clinician_id: DbId, payload: AvailabilityIn) -> dict[str, object]:
    profile = selectors.clinician_get(clinician_id=clinician_id)
    services.require_schedule_manager(actor=request_user(request), profile=profile)
    services.availability_set_weekly(profile=profile, windows=[(w.weekday, w.start, w.end) for w in payload.windows])
    return selectors.availability_get(profile=profile)


@router.post("/clinicians/{int:clinician_id}/exceptions", response={201: ExceptionCreatedOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def create_exception(request: HttpRequest, clinician_id: DbId, payload: ExceptionIn) -> Status[dict[str, object]]:
    profile = selectors.clinician_get(clinician_id=clinician_id)
    exception, affected = services.availability_exception_add(
        actor=request_user(request), profile=profile, day=payload.date, start_time=payload.start_time, end_time=payload.end_time, reason=payload.reason
    )
    body = {"id": exception.pk, "date": exception.date, "start_time": exception.start_time, "end_time": exception.end_time, "reason": exception.reason}
    return Status(201, {**body, "affected_appointment_ids": affected})


@router.delete("/clinicians/{int:clinician_id}/exceptions/{int:exception_id}", response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def delete_exception(request: HttpRequest, clinician_id: DbId, exception_id: DbId) -> HttpResponse:
    profile = selectors.clinician_get(clinician_id=clinician_id)
    services.availability_exception_remove(actor=request_user(request), profile=profile, exception_id=exception_id)
    return HttpResponse(status=204)


@router.post(
    "/appointments",
    response={201: AppointmentOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 503: ErrorOut},
    description=(
        "Book a slot. Send an `Idempotency-Key` header (a UUID): repeating the same key with the same body answers "
        "the first booking again with the same status and body and the header `Idempotent-Replayed: true`; the same "
        "key with a different body is a 422 `idempotency_key_reused`."
    ),
)
def create_appointment(
    request: HttpRequest,
    payload: AppointmentIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> HttpResponse:
    user = request_user(request)
    keyed = idempotency.IdempotentRequest.build(user=user, endpoint=services.CREATE_APPOINTMENT, key=idempotency_key, body=payload.model_dump())
    answer = idempotency.respond_once(
        keyed,
        status=201,
        run=lambda: services.appointment_book(
            actor=user, clinician_id=payload.clinician_id, start=payload.start, reason=payload.reason, patient_id=payload.patient_id
        ),
        render=lambda appointment: AppointmentOut.from_orm(
            selectors.appointment_get(user=user, appointment_id=appointment.pk), context={"request": request}
        ).model_dump(mode="json"),
        load=lambda pk: selectors.appointment_get(user=user, appointment_id=int(pk)),
        what="booking",
    )
    return answer.response()


@router.get("/appointments", response={200: list[AppointmentOut], 401: ErrorOut, 422: ErrorOut})
@paginate(Pages)
def list_appointments(
    request: HttpRequest, status: AppointmentStatus | None = None, start_after: IsoDateTime | None = None, start_before: IsoDateTime | None = None
) -> list[Appointment]:
    return selectors.appointment_list(user=request_user(request), status=status, start_after=start_after, start_before=start_before)  # type: ignore[return-value]


@router.get("/appointments/today", response={200: list[AppointmentOut], 401: ErrorOut, 403: ErrorOut})
def list_todays_appointments(request: HttpRequest) -> list[Appointment]:
    """Clinicians: your appointments today (your time zone), cancelled ones left out, with patient names."""
    user = request_user(request)
    require_role(user, "clinician")
    return list(selectors.appointments_today(clinician=user))


@router.get("/appointments/{int:appointment_id}", response={200: AppointmentOut, 401: ErrorOut, 404: ErrorOut})
def get_appointment(request: HttpRequest, appointment_id: DbId) -> Appointment:
    return selectors.appointment_get(user=request_user(request), appointment_id=appointment_id)


@router.post("/appointments/{int:appointment_id}/reschedule", response={200: AppointmentOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def reschedule_appointment(request: HttpRequest, appointment_id: DbId, payload: RescheduleIn) -> Appointment:
    services.appointment_reschedule(actor=request_user(request), appointment_id=appointment_id, start=payload.start)
    return selectors.appointment_get(user=request_user(request), appointment_id=appointment_id)


@router.post("/appointments/{int:appointment_id}/cancel", response={200: AppointmentOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def cancel_appointment(request: HttpRequest, appointment_id: DbId) -> Appointment:
    services.appointment_cancel(actor=request_user(request), appointment_id=appointment_id)
    return selectors.appointment_get(user=request_user(request), appointment_id=appointment_id)


@router.post(
    "/appointments/{int:appointment_id}/status", response={200: AppointmentOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
)
def set_appointment_status(request: HttpRequest, appointment_id: DbId, payload: StatusIn) -> Appointment:
    services.appointment_set_status(actor=request_user(request), appointment_id=appointment_id, status=payload.status)
    return selectors.appointment_get(user=request_user(request), appointment_id=appointment_id)
