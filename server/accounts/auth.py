"""Bearer authentication for the API: a valid access token of an active user, or 401."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja_jwt.tokens import AccessToken

from accounts.models import User


class JWTBearer(HttpBearer):
    """Verifies signature, expiry, issuer, audience and token type; the algorithm is fixed in settings."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            validated = AccessToken(token)
        except Exception:  # TokenError or any malformed token: simply "not authenticated"
            return None
        user_id = validated.get("user_id")
        if user_id is None:
            return None
        # Looked up on every request so a deactivated or deleted user is rejected at once.
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            return None
        request.user = user
        return user


jwt_auth = JWTBearer()
