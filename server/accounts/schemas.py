"""Request and response schemas of the accounts API."""

from __future__ import annotations

from datetime import datetime

from ninja import ModelSchema, Schema
from pydantic import Field

from accounts.models import User
from core.schemas import IANA_ZONE_PATTERN, IsoDate, StrictSchema


class UserOut(ModelSchema):
    class Meta:
        model = User
        fields = ["id", "email", "full_name", "phone", "date_of_birth", "time_zone", "role", "research_consent", "created_at"]


class RegisterIn(StrictSchema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=128)
    full_name: str = Field(default="", max_length=150)
    phone: str = Field(default="", max_length=32)
    date_of_birth: IsoDate | None = None
    time_zone: str = Field(default="UTC", max_length=64, pattern=IANA_ZONE_PATTERN, description="IANA time zone, e.g. Europe/Berlin")


class LoginIn(StrictSchema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=128)


class RefreshIn(StrictSchema):
    refresh: str = Field(max_length=4096)


class TokenPairOut(Schema):
    access: str
    refresh: str


class LoginOut(TokenPairOut):
    user: UserOut


class MePatch(StrictSchema):
    full_name: str | None = Field(default=None, max_length=150)
    phone: str | None = Field(default=None, max_length=32)
    date_of_birth: IsoDate | None = None
    time_zone: str | None = Field(default=None, max_length=64, pattern=IANA_ZONE_PATTERN, description="IANA time zone, e.g. Europe/Berlin")
    research_consent: bool | None = Field(
        default=None, description="Let the clinic use your reviewed screenings, pseudonymised, to train and check the screening model."
    )


class ChangePasswordIn(StrictSchema):
    current_password: str = Field(max_length=128)
    new_password: str = Field(max_length=128)


class DeleteAccountIn(StrictSchema):
    password: str = Field(max_length=128)


class SessionInfo(Schema):
    expires_at: datetime
