"""core.auth: routers read the signed-in user through one typed helper; no user is a 401, never a crash."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.test import RequestFactory
from ninja.errors import AuthenticationError

from accounts.models import User
from core.auth import request_user, request_user_or_anonymous


def _request(auth: object) -> HttpRequest:
    request = RequestFactory().get("/")
    if auth is not None:
        request.auth = auth  # type: ignore[attr-defined]
    return request


def test_the_authenticated_user_is_returned() -> None:
    user = User(email="a@example.com")
    assert request_user(_request(user)) is user
    assert request_user_or_anonymous(_request(user)) is user


@pytest.mark.parametrize("auth", [None, AnonymousUser(), "token"], ids=["missing", "anonymous", "not-a-user"])
def test_no_user_is_a_401_or_an_anonymous_reader(auth: object) -> None:
    with pytest.raises(AuthenticationError):
        request_user(_request(auth))
    assert isinstance(request_user_or_anonymous(_request(auth)), AnonymousUser)
