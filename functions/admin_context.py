"""What an admin view is handed: the caller's scope and key, the parsed body and query, and field checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from functions.paging import DEFAULT_LIMIT, MAX_LIMIT, limit_of
from scrm import errors
from scrm.config import settings
from scrm.tenancy import Scope

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false", dict: "an object",
               list: "a list"}


def _check_kind(name: str, value, kinds: tuple) -> None:
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        names = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
        raise errors.ValidationError(f"{name} must be {names}", field=name)


def _check_length(name: str, value, min_length: int | None, max_length: int | None) -> None:
    if not isinstance(value, str | list | dict):
        return
    if max_length is not None and len(value) > max_length:
        raise errors.ValidationError(f"{name} must be at most {max_length} long", field=name)
    if min_length is not None and len(value) < min_length:
        raise errors.ValidationError(f"{name} must be at least {min_length} long", field=name)


def _check_range(name: str, value, minimum, maximum) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return
    if minimum is not None and value < minimum:
        raise errors.ValidationError(f"{name} must be >= {minimum}", field=name)
    if maximum is not None and value > maximum:
        raise errors.ValidationError(f"{name} must be <= {maximum}", field=name)


def _check_choice(name: str, value, choices, pattern) -> None:
    if choices is not None and value not in choices:
        raise errors.ValidationError(f"{name} must be one of {', '.join(map(str, choices))}", field=name)
    if pattern is not None and isinstance(value, str) and not re.fullmatch(pattern, value):
        raise errors.ValidationError(f"{name} has an invalid format", field=name)


def scheme_of(request) -> str:
    """http or https, as the caller reached us (API Gateway and load balancers say so in X-Forwarded-Proto)."""
    headers = request.headers
    return headers.get("x-forwarded-proto") or ("https" if ".amazonaws.com" in (headers.get("host") or "") else "http")


def origin_of(request) -> str:
    """This API's own origin as the request reached it (scheme://host[:port])."""
    return f"{scheme_of(request)}://{request.headers.get('host') or 'localhost'}"


def base_url_of(request) -> str:
    """Where this API is reached from outside: SCRM_PUBLIC_BASE_URL, else the request (with API Gateway's stage)."""
    configured = settings().public_base_url
    if configured:
        return configured
    host = request.headers.get("host") or "localhost"
    stage = (request.context or {}).get("stage") if "execute-api" in host else None
    return origin_of(request) + (f"/{stage}" if stage else "")


@dataclass
class AdminContext:
    scope: Scope
    body: dict
    query: dict
    idempotency_key: str | None
    request: object
    key: object = None  # scrm.services.admin_keys.KeyInfo
    path_params: dict = field(default_factory=dict)

    @property
    def platform(self) -> bool:
        """True for platform keys (may act on every account and register accounts)."""
        return bool(self.key and self.key.platform)

    @property
    def base_url(self) -> str:
        """Where this API is reached from outside (for callback URLs): SCRM_PUBLIC_BASE_URL, else the request."""
        return base_url_of(self.request)

    def allow_only(self, *names: str) -> None:
        extra = sorted(set(self.body) - set(names))
        if extra:
            raise errors.ValidationError(f"unexpected field {extra[0]!r}; allowed: {', '.join(names)}",
                                         field=extra[0])

    def field(self, name: str, kind: type | tuple = str, *, required: bool = True, default=None,
              max_length: int | None = None, min_length: int | None = None, choices=None, pattern=None,
              minimum=None, maximum=None):
        """Read and check one body field; a problem raises ValidationError naming it."""
        if name not in self.body or self.body[name] is None:
            if required:
                raise errors.ValidationError(f"{name} is required", field=name)
            return default
        value = self.body[name]
        _check_kind(name, value, kind if isinstance(kind, tuple) else (kind,))
        _check_length(name, value, min_length, max_length)
        _check_range(name, value, minimum, maximum)
        _check_choice(name, value, choices, pattern)
        return value

    def limit(self, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
        return limit_of(self.query, default, maximum)
