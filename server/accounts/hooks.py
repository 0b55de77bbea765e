"""Explicit hooks other apps register in AppConfig.ready() to act on logout and account deletion."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User

# Called with the user and the ending session's id ("" for tokens from before sessions had ids) inside
# the logout transaction (e.g. unregister the push tokens that session registered).
logout_hooks: list[Callable[[User, str], None]] = []
# Called with the user inside the deletion transaction before the row goes: remove files and
# personal data the cascade would not reach (photos on disk, anonymise kept financial records).
delete_hooks: list[Callable[[User], None]] = []
