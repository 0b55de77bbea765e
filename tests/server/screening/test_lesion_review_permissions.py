"""Lesions, timelines, follow-ups, reviews, the worklist and today's appointments: who gets which answer.

One table: owner, another patient, the clinician the screening is shared with, an unrelated clinician, an
admin and an anonymous caller against every endpoint added for lesions and reviews. No 2xx that the table
does not expect; a 2xx list shows nothing the caller may not see; a refused write changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from notifications.models import Notification
from screening.models import Lesion, Screening, ScreeningAccessLog, ScreeningReview, ScreeningShare
from tests.server.factories import UserFactory
from tests.server.screening.factories import LesionFactory, ReviewFactory, ScreeningFactory

MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def world(registry: Any) -> dict[str, Any]:
    owner = UserFactory(role="patient")
    people = {
        "owner": owner,
        "other_patient": UserFactory(role="patient"),
        "sharing_clinician": UserFactory(role="clinician"),
        "unrelated_clinician": UserFactory(role="clinician"),
        "admin": UserFactory(role="admin", is_staff=True, is_superuser=True),
    }
    lesion = LesionFactory(owner=owner, name="mole on the left shoulder")
    other_lesion = LesionFactory(owner=owner, name="second")
    screening = ScreeningFactory(owner=owner, model_version=registry["a"], lesion=lesion, label="mel")
    ScreeningShare.objects.create(screening=screening, clinician=people["sharing_clinician"])
    ReviewFactory(screening=screening, clinician=people["sharing_clinician"])
    # Someone else's lesion and screening: never part of the owner's answers.
    LesionFactory(owner=people["other_patient"])
    return {"people": people, "lesion": lesion, "other_lesion": other_lesion, "screening": screening}


ENDPOINT = {
    "LIST": ("get", "/api/v1/lesions?owner_id={owner}", None),
    "CREATE": ("post", "/api/v1/lesions", {"name": "new", "body_view": "back", "body_x": 0.5, "body_y": 0.2}),
    "GET": ("get", "/api/v1/lesions/{lesion}", None),
    "PATCH": ("patch", "/api/v1/lesions/{lesion}", {"name": "renamed"}),
    "DELETE": ("delete", "/api/v1/lesions/{lesion}", None),
    "TIMELINE": ("get", "/api/v1/lesions/{lesion}/timeline", None),
    "FOLLOW_UP": ("put", "/api/v1/lesions/{lesion}/follow-up", {"weeks": 6}),
    "FOLLOW_UP_CANCEL": ("delete", "/api/v1/lesions/{lesion}/follow-up", None),
    "ASSIGN": ("put", "/api/v1/screenings/{screening}/lesion", {"lesion_id": "{other_lesion}"}),
    "REVIEWS": ("get", "/api/v1/screenings/{screening}/reviews", None),
    "REVIEW": ("put", "/api/v1/screenings/{screening}/review", {"impression": "excise_or_biopsy", "note": "irregular border"}),
    "WORKLIST": ("get", "/api/v1/clinician/worklist", None),
    "TODAY": ("get", "/api/v1/appointments/today", None),
}
LIST, CREATE, GET, PATCH, DELETE, TIMELINE, FOLLOW_UP, FOLLOW_UP_CANCEL, ASSIGN, REVIEWS, REVIEW, WORKLIST, TODAY = ENDPOINT

ALL_401 = dict.fromkeys(ENDPOINT, 401)
MATRIX: dict[str, dict[str, int]] = {
    "owner": {
        LIST: 200, CREATE: 201, GET: 200, PATCH: 200, DELETE: 204, TIMELINE: 200, FOLLOW_UP: 200, FOLLOW_UP_CANCEL: 200,
        ASSIGN: 200, REVIEWS: 200, REVIEW: 403, WORKLIST: 403, TODAY: 403,
    },
    "other_patient": {
        LIST: 200, CREATE: 201, GET: 404, PATCH: 404, DELETE: 404, TIMELINE: 404, FOLLOW_UP: 404, FOLLOW_UP_CANCEL: 404,
        ASSIGN: 404, REVIEWS: 404, REVIEW: 404, WORKLIST: 403, TODAY: 403,
    },
    "sharing_clinician": {
        LIST: 200, CREATE: 201, GET: 200, PATCH: 404, DELETE: 404, TIMELINE: 200, FOLLOW_UP: 404, FOLLOW_UP_CANCEL: 404,
        ASSIGN: 404, REVIEWS: 200, REVIEW: 200, WORKLIST: 200, TODAY: 200,
    },
    "unrelated_clinician": {
        LIST: 200, CREATE: 201, GET: 404, PATCH: 404, DELETE: 404, TIMELINE: 404, FOLLOW_UP: 404, FOLLOW_UP_CANCEL: 404,
        ASSIGN: 404, REVIEWS: 404, REVIEW: 404, WORKLIST: 200, TODAY: 200,
    },
    "admin": {
        LIST: 200, CREATE: 201, GET: 200, PATCH: 404, DELETE: 404, TIMELINE: 200, FOLLOW_UP: 404, FOLLOW_UP_CANCEL: 404,
        ASSIGN: 404, REVIEWS: 200, REVIEW: 403, WORKLIST: 200, TODAY: 200,
    },
    "anonymous": ALL_401,
}  # fmt: skip
# Who may see the owner's lesion and screening in a 200 list.
SEES_OWNERS_DATA = {"owner", "sharing_clinician", "admin"}
CASES = [(who, endpoint, status) for who, row in MATRIX.items() for endpoint, status in row.items()]


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


def _state(world: dict[str, Any]) -> dict[str, Any]:
    """What a refused write must leave as it was."""
    lesion = Lesion.objects.filter(pk=world["lesion"].pk).values("name", "follow_up_due_at").first()
    screening = Screening.objects.get(pk=world["screening"].pk)
    reviews = list(ScreeningReview.objects.filter(screening=screening).values_list("pk", "revision", "impression", "note"))
    return {"lesion": lesion, "screening_lesion": screening.lesion_id, "reviews": reviews, "notifications": Notification.objects.count()}


@pytest.mark.parametrize(("who", "endpoint", "status"), CASES, ids=[f"{w}-{e}" for w, e, _ in CASES])
def test_permission_matrix(world: dict[str, Any], api: Any, as_user: Any, who: str, endpoint: str, status: int) -> None:
    # Given the world above and one caller
    names = {
        "owner": str(world["people"]["owner"].pk),
        "lesion": str(world["lesion"].pk),
        "other_lesion": str(world["other_lesion"].pk),
        "screening": str(world["screening"].pk),
    }
    method, template, body = ENDPOINT[endpoint]
    path, payload = template.format(**names), _fill(body, names)
    client = api if who == "anonymous" else as_user(world["people"][who])
    before = _state(world)

    # When it calls the endpoint
    response = getattr(client, method)(path, payload) if payload is not None else getattr(client, method)(path)

    # Then the status is the table's, errors have the one shape, and refusals change nothing
    assert response.status_code == status, (who, method, path, response.content)
    if status >= 400:
        assert set(response.json()) >= {"detail", "code"}
        assert _state(world) == before
    if status == 404:
        # Indistinguishable from an id that does not exist.
        missing = getattr(client, method)(path.replace(names["lesion"], MISSING).replace(names["screening"], MISSING), payload) if payload else getattr(
            client, method
        )(path.replace(names["lesion"], MISSING).replace(names["screening"], MISSING))
        assert missing.status_code == 404 and missing.json()["code"] == response.json()["code"]
    if endpoint == LIST and status == 200:
        ids = {item["id"] for item in response.json()["items"]}
        assert (names["lesion"] in ids) == (who in SEES_OWNERS_DATA), ids
    if endpoint == WORKLIST and status == 200:
        ids = {item["id"] for item in response.json()["items"]}
        assert (names["screening"] in ids) == (who in SEES_OWNERS_DATA - {"owner"}), ids
    if endpoint == TIMELINE and status == 200:
        assert [s["id"] for s in response.json()["screenings"]] == [names["screening"]]
        if who != "owner":
            assert ScreeningAccessLog.objects.filter(actor_id=world["people"][who].pk, action="timeline", screening_id=world["screening"].pk).exists()
    if endpoint == CREATE and status == 201:
        # Whoever creates a lesion creates their own, never someone else's.
        assert Lesion.objects.get(pk=response.json()["id"]).owner_id == world["people"][who].pk
    if endpoint == TODAY and status == 200:
        assert response.json() == []
