"""The signed-in user of a request, typed: the one way routers read what the authenticator set."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.errors import AuthenticationError

from accounts.models import User


def request_user(request: HttpRequest) -> User:
    """The user the route's authenticator accepted; a 401 (`not_authenticated`) when there is none."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationError()
    return user


def request_session_id(request: HttpRequest) -> str:
    """The sign-in session (`sid` claim) of the request's access token; "" for tokens from before sessions had ids."""
    return str(getattr(request, "auth_session_id", "") or "")


def request_user_or_anonymous(request: HttpRequest) -> User | AnonymousUser:
    """For routes open to anonymous readers: the signed-in user, else an `AnonymousUser`."""
    user = getattr(request, "auth", None)
    return user if isinstance(user, User) else AnonymousUser()
