"""Account writes: registration, sessions (JWT pairs with rotation), profile, deletion."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from ninja_jwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from ninja_jwt.tokens import RefreshToken

from accounts import hooks, lockout, privacy
from accounts.auth import live_session_user
from accounts.error_codes import AccountsError
from accounts.models import RevokedSession, Role, User
from core.errors import ApplicationError, Conflict

_UNAUTHORIZED = 401
_PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{5,32}$")


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def _normalise_email(email: str) -> str:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError("Enter a valid e-mail address.", code="invalid_email", status=422) from None
    return email


def _check_time_zone(value: str) -> str:
    if value not in zoneinfo.available_timezones():
        raise ApplicationError(
            f"'{value}' is not an IANA time zone (for example Europe/Berlin).", code=AccountsError.INVALID_TIME_ZONE, status=422
        )
    return value


def _check_phone(value: str) -> str:
    value = value.strip()
    if value and not _PHONE_RE.match(value):
        raise ApplicationError("Enter a phone number of digits, spaces, dashes and an optional leading +.", code="invalid_phone", status=422)
    return value


def _check_birth_date(value: date | None) -> date | None:
    if value is not None and (value > timezone.localdate() or value.year < 1900):
        raise ApplicationError("Date of birth must be in the past.", code="invalid_date_of_birth", status=422)
    return value


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), code=AccountsError.WEAK_PASSWORD, status=422) from None


@transaction.atomic
def user_register(
    *,
    email: str,
    password: str,
    full_name: str = "",
    phone: str = "",
    date_of_birth: date | None = None,
    time_zone: str = "UTC",
    role: str = Role.PATIENT,
) -> User:
    """Create an account. Public registration always makes patients; staff roles are given by admins."""
    email = _normalise_email(email)
    _check_time_zone(time_zone)
    phone = _check_phone(phone)
    _check_birth_date(date_of_birth)
    candidate = User(email=email, full_name=full_name.strip(), phone=phone)
    _check_password(password, candidate)
    if User.objects.filter(email=email).exists():
        raise Conflict("An account with this e-mail address already exists.", code=AccountsError.EMAIL_TAKEN)
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email,
                password,
                full_name=full_name.strip(),
                phone=phone,
                date_of_birth=date_of_birth,
                time_zone=time_zone,
                role=role,
                is_staff=(role == Role.ADMIN),
            )
    except IntegrityError:  # a concurrent registration of the same address won the race
        raise Conflict("An account with this e-mail address already exists.", code=AccountsError.EMAIL_TAKEN) from None


def _issue_pair(user: User, *, sid: str | None = None) -> TokenPair:
    """A refresh/access pair of session `sid` (a new session when None) under the user's current generation."""
    # records an OutstandingToken row; the library types for_user as returning the class
    refresh = cast(RefreshToken, RefreshToken.for_user(user))  # type: ignore[misc]
    refresh["gen"] = user.session_generation
    refresh["sid"] = sid or uuid.uuid4().hex  # kept through rotations: one sign-in, one session
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))  # the access token copies both claims


def _revoke_session(*, user_id: int, sid: str | None, reason: str) -> None:
    """End one session: its refresh chain and its access tokens. A token without a session id (issued
    before sessions had ids) cannot be told apart from the account's other sessions, so all of them end."""
    if not sid:
        _end_all_sessions(user_id=user_id)
        return
    try:
        with transaction.atomic():
            RevokedSession.objects.get_or_create(sid=str(sid)[:32], defaults={"user_id": user_id, "reason": reason})
    except IntegrityError:  # revoked concurrently: already done
        pass


def _end_all_sessions(*, user_id: int) -> None:
    """Every token issued so far stops working: access tokens at their next request, refresh tokens too."""
    User.objects.filter(pk=user_id).update(session_generation=F("session_generation") + 1)
    _blacklist_refresh_tokens(user_id=user_id)


def session_login(*, request: HttpRequest, email: str, password: str) -> tuple[User, TokenPair]:
    """Check the password (django-axes refuses a locked account: 429) and start a session.

    `request` is what Django's authenticate() hands to the lockout backend (client address, and the
    flag the lockout middleware turns into Retry-After). Not one transaction: a failure's count, kept
    in the database cache by the embedded default, must survive the error that answers it.
    """
    username = email.strip().lower()
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        wait = lockout.retry_after_seconds(username)
        raise ApplicationError(
            f"Too many failed sign-ins for this account. Try again in {wait} seconds.",
            code=AccountsError.LOGIN_LOCKED,
            status=429,
            extra={"retry_after": wait},
        )
    if user is None or not isinstance(user, User):
        raise ApplicationError("E-mail or password is incorrect.", code=AccountsError.INVALID_CREDENTIALS, status=_UNAUTHORIZED)
    with transaction.atomic():
        user_logged_in.send(sender=User, request=request, user=user)  # last_login, and the lockout count starts again
        return user, _issue_pair(user)


def _invalid_refresh() -> ApplicationError:
    return ApplicationError("Refresh token is invalid, expired or already used.", code=AccountsError.INVALID_TOKEN, status=_UNAUTHORIZED)


class _RefreshToken(RefreshToken):
    """A refresh token verified (signature, expiry, type) without ninja-jwt's blacklist lookup: the unique
    insert of `_blacklist_once` decides whether it was used before, and a reuse ends its session."""

    def check_blacklist(self) -> None:
        return None


def _validated_refresh(raw: str) -> RefreshToken:
    try:
        return _RefreshToken(raw)
    except Exception:  # TokenError, or input malformed beyond what the library reports as one
        raise _invalid_refresh() from None


def _blacklist_once(token: RefreshToken) -> OutstandingToken:
    """Blacklist `token` with a unique insert; losing the race means the token was reused.

    ninja-jwt checks the blacklist and then writes it (check-then-act), so two concurrent refreshes
    could both pass the check. The one-to-one unique key on BlacklistedToken.token decides instead.
    """
    outstanding = OutstandingToken.objects.filter(jti=token["jti"]).first()
    if outstanding is None:  # every token we issue is recorded; an unknown jti was not issued here
        raise _invalid_refresh()
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError:
        raise ApplicationError("Refresh token was already used.", code=AccountsError.TOKEN_REUSED, status=_UNAUTHORIZED) from None
    return outstanding


def session_refresh(*, refresh: str) -> TokenPair:
    """Rotate: the presented refresh token is blacklisted and a new pair of the same session issued, once.

    Presenting a refresh token that was already rotated means two parties hold the chain (a stolen
    token, or a replay): its whole session is revoked, so the pair issued from it stops working too.
    """
    token = _validated_refresh(refresh)
    sid = token.get("sid")
    try:
        with transaction.atomic():
            outstanding = _blacklist_once(token)
            user = live_session_user(user_id=token.get("user_id"), generation=token.get("gen"), sid=sid)
            if user is None or (outstanding.user_id is not None and outstanding.user_id != user.pk):
                raise _invalid_refresh()
            return _issue_pair(user, sid=sid)
    except ApplicationError as exc:
        if exc.code != AccountsError.TOKEN_REUSED:
            raise
    # Outside the failed transaction, so the revocation is kept. A token of an already-ended session
    # (after logout or a password change) ends nothing more: the account's live sessions stay.
    if _reuse_within_grace(token) or live_session_user(user_id=token.get("user_id"), generation=token.get("gen"), sid=sid) is None:
        raise ApplicationError("Refresh token was already used.", code=AccountsError.TOKEN_REUSED, status=_UNAUTHORIZED)
    _revoke_session(user_id=token["user_id"], sid=sid, reason=RevokedSession.Reason.REUSED)
    raise ApplicationError(
        "Refresh token was already used; this session has been ended. Sign in again.", code=AccountsError.TOKEN_REUSED, status=_UNAUTHORIZED
    )


def _reuse_within_grace(token: RefreshToken) -> bool:
    """Whether the token was rotated less than REFRESH_REUSE_GRACE_SECONDS ago: the same client refreshing
    twice at once (two tabs sharing the token, a retried request), refused without ending the session."""
    grace = int(settings.REFRESH_REUSE_GRACE_SECONDS)
    used_at = BlacklistedToken.objects.filter(token__jti=token["jti"]).values_list("blacklisted_at", flat=True).first()
    return grace > 0 and used_at is not None and timezone.now() - used_at < timedelta(seconds=grace)


@transaction.atomic
def session_logout(*, user: User, refresh: str) -> None:
    token = _validated_refresh(refresh)
    if token.get("user_id") != user.pk:
        raise ApplicationError("This refresh token belongs to another session.", code=AccountsError.INVALID_TOKEN, status=_UNAUTHORIZED)
    _blacklist_once(token)
    # This session ends now, its access tokens included; the account's other sessions go on.
    _revoke_session(user_id=user.pk, sid=token.get("sid"), reason=RevokedSession.Reason.LOGOUT)
    for hook in hooks.logout_hooks:
        hook(user, str(token.get("sid") or ""))


def sessions_purge_expired(*, margin: timedelta = timedelta(days=1)) -> dict[str, int]:
    """Forget what no token can refer to any more, so these tables do not grow for ever (daily huey task).

    * Revoked sessions revoked longer ago than a refresh token lives (plus ``margin`` for clock skew): nothing
      is issued in a session after it ends, so by then every token that carries its id has expired and is
      refused for that alone.
    * Expired refresh tokens and their blacklist entries (what simplejwt's ``flushexpiredtokens`` does): an
      expired token fails validation before the blacklist is consulted.
    """
    now = timezone.now()
    lifetime = settings.NINJA_JWT["REFRESH_TOKEN_LIFETIME"]
    revoked, _ = RevokedSession.objects.filter(revoked_at__lt=now - lifetime - margin).delete()
    _, per_model = OutstandingToken.objects.filter(expires_at__lt=now - margin).delete()  # cascades to the blacklist
    return {"revoked_sessions": revoked, "expired_tokens": per_model.get(OutstandingToken._meta.label, 0)}


def _blacklist_refresh_tokens(*, user_id: int) -> None:
    live = OutstandingToken.objects.filter(user_id=user_id, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=t) for t in live], ignore_conflicts=True)


def _blacklist_all(user: User) -> None:
    _blacklist_refresh_tokens(user_id=user.pk)


@transaction.atomic
def user_update_profile(*, user: User, data: dict[str, Any]) -> User:
    """Apply a profile patch; only the fields listed here can ever change."""
    allowed = {"full_name", "phone", "date_of_birth", "time_zone", "research_consent"}
    changes = {k: v for k, v in data.items() if k in allowed}
    if "research_consent" in changes and changes["research_consent"] is None:
        raise ApplicationError("research_consent must be true or false.", code="validation_error", status=422)
    if "time_zone" in changes:
        if changes["time_zone"] is None:
            raise ApplicationError("time_zone cannot be empty.", code=AccountsError.INVALID_TIME_ZONE, status=422)
        _check_time_zone(changes["time_zone"])
    if "phone" in changes:
        changes["phone"] = _check_phone(changes["phone"] or "")
    if "full_name" in changes:
        changes["full_name"] = (changes["full_name"] or "").strip()
    if "date_of_birth" in changes:
        _check_birth_date(changes["date_of_birth"])
    for field, value in changes.items():
        setattr(user, field, value)
    if changes:
        user.save(update_fields=list(changes))
    return user


@transaction.atomic
def user_change_password(*, user: User, current_password: str, new_password: str) -> TokenPair:
    """Re-authenticate, set the new password, end every other session, and start a fresh one."""
    if not user.check_password(current_password):
        raise ApplicationError("Current password is incorrect.", code=AccountsError.WRONG_PASSWORD, status=403)
    _check_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _end_all_sessions(user_id=user.pk)  # every other device, and this request's own access token
    user.refresh_from_db(fields=["session_generation"])
    return _issue_pair(user)


@transaction.atomic
def user_delete(*, user: User, password: str) -> None:
    """Delete the account and its personal data; other apps remove their files via delete hooks."""
    if not user.check_password(password):
        raise ApplicationError("Password is incorrect.", code=AccountsError.WRONG_PASSWORD, status=403)
    _blacklist_all(user)
    for hook in hooks.delete_hooks:
        hook(user)
    user_id = user.pk
    user.delete()
    privacy.user_deletion_audit(user_id=user_id)


@transaction.atomic
def user_clear_password(*, user: User) -> User:
    """No password signs the account in any more (an unusable one) and every session of it ends; its data stays.
    `manage.py changepassword <email>` sets a new one."""
    user.set_unusable_password()
    user.save(update_fields=["password"])
    _end_all_sessions(user_id=user.pk)
    return user


def user_set_active(*, user: User, active: bool) -> User:
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        _blacklist_all(user)
    return user
