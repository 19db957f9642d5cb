"""Console sign-in (POST /console/session, the WeCom QR login) and WeCom staff's console roles."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from . import Answer
from .answers import Instant
from .fields import StrictBody

STAFF_ROLES = ("viewer", "operator", "admin")


class SignIn(StrictBody):
    """Sign in to the console with an admin key: the answer sets an HttpOnly session cookie (the key is never
    stored, answered or put in the cookie)."""

    key: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="an admin API key (scrm.<key id>.<secret>)")


class StaffRoleBody(StrictBody):
    """The console role of a WeCom staff member (viewer reads, operator also changes, admin also manages)."""

    role: Literal[STAFF_ROLES] = Field(description="viewer, operator or admin")


class ConsoleSession(Answer):
    principal: str = Field(description="the key id, or wecom:<account_id>:<userid> for a staff member")
    role: Literal["read-only", "operator", "admin"] = Field(
        description="the admin role the session acts with (a staff viewer acts as read-only)")
    account_id: str | None = Field(description="the account the session may act on; null for a platform key")
    platform: bool = Field(description="a platform key's session (every account)")
    expires_at: Annotated[Instant, Field(description="the cookie's Max-Age ends then too")]
    csrf_token: str = Field(description="send it as X-CSRF-Token on every POST/PUT/PATCH/DELETE made with the "
                                        "session cookie")


class StaffRole(Answer):
    account_id: str
    userid: str
    role: Literal[STAFF_ROLES]
    updated_at: Instant
    updated_by: str


class WeComLoginQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    account_id: str = Field(description="the WeCom account whose staff signs in (its options.console_login_agentid "
                                        "names the app)")


class WeComLoginCallbackQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str | None = Field(None, description="WeCom's login code (absent when the member refused)")
    state: str = Field(description="the state of the login link, bound to this browser's login cookie")
