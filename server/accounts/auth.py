"""Bearer authentication for the API: a valid access token of an active user whose session is live, or 401."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja_jwt.tokens import AccessToken

from accounts.models import RevokedSession, User


def live_session_user(*, user_id: Any, generation: Any, sid: Any) -> User | None:
    """The active user of a token whose generation is current and whose session was not revoked: one query."""
    try:
        generation = int(generation or 0)
    except (TypeError, ValueError):
        return None
    users = User.objects.filter(pk=user_id, is_active=True, session_generation=generation)
    if sid:
        users = users.filter(~Exists(RevokedSession.objects.filter(sid=str(sid), user=OuterRef("pk"))))
    return users.first()


class JWTBearer(HttpBearer):
    """Verifies signature, expiry, issuer, audience and token type; the algorithm is fixed in settings.

    Then the session: the user is loaded on every request (a deactivated or deleted user is rejected
    at once), in the same query as the checks that end sessions before their tokens expire: the token's
    `gen` must be the user's current session generation and its `sid` must not be revoked (logout,
    refresh-token reuse). Tokens without `sid` (issued before sessions had ids) only pass the first.
    """

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            validated = AccessToken(token)
        except Exception:  # TokenError or any malformed token: simply "not authenticated"
            return None
        user_id = validated.get("user_id")
        if user_id is None:
            return None
        user = live_session_user(user_id=user_id, generation=validated.get("gen"), sid=validated.get("sid"))
        if user is None:
            return None
        request.user = user
        request.auth_session_id = str(validated.get("sid") or "")  # type: ignore[attr-defined]  # core.auth.request_session_id
        return user


jwt_auth = JWTBearer()
