"""Where this API is reached from outside, for URLs we hand out (callback URLs) or check (our own pages)."""

from __future__ import annotations

from scrm.config import settings


def base_url(request) -> str:
    """SCRM_PUBLIC_BASE_URL, else the request's scheme, host and (on API Gateway's own domain) stage."""
    configured = settings().public_base_url
    if configured:
        return configured
    headers = request.headers
    host = headers.get("host") or "localhost"
    proto = headers.get("x-forwarded-proto") or ("https" if ".amazonaws.com" in host else "http")
    stage = (request.context or {}).get("stage") if "execute-api" in host else None
    return f"{proto}://{host}" + (f"/{stage}" if stage else "")
