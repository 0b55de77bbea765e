"""Account reads other apps use."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils import timezone
from ninja_jwt.token_blacklist.models import OutstandingToken

from accounts.models import RevokedSession, User


def session_is_live(*, user_id: int, sid: str, generation: int) -> bool:
    """Whether the account still holds sign-in session `sid` ("" = any of its sessions) of session
    `generation`: the account is active, no password change ended the generation, the session was not
    revoked (logout, reuse), and the account holds a refresh token neither used nor expired (an abandoned
    session runs out)."""
    users = User.objects.filter(pk=user_id, is_active=True, session_generation=generation)
    if sid:
        users = users.filter(~Exists(RevokedSession.objects.filter(sid=sid, user=OuterRef("pk"))))
    live_refresh = OutstandingToken.objects.filter(user=OuterRef("pk"), expires_at__gt=timezone.now(), blacklistedtoken__isnull=True)
    return users.filter(Exists(live_refresh)).exists()
