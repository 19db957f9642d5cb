"""The route table: every HTTP route of the API with what it takes and what it answers.

`admin_route` (functions/admin_common.py) and `public_route` (below) register a route on its blueprint AND
record it here; functions/contract.py builds the OpenAPI document from this table and the pydantic models it
names, so the contract is what the code declares (tests/integration/test_admin_openapi.py: the committed
functions/openapi.yaml equals the generated one, and covers every route of the app).

Models are named as "module.Class" of scrm.contracts (e.g. "campaigns.CampaignBody", "answers.Campaign"):
the generator imports them, a function module does not (its cold start builds no models). A paged route's
`answer` names its items' model. A route's `answer` is its success body's model, or `None`; `media`
names non-JSON answers (`{"image/png": "binary"}`). `errors` (the decorators' `raises=`) lists the error
classes a route may answer beyond the ones every route of its kind can (their statuses: scrm/errors.py).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Route:
    path: str
    method: str
    view: object
    role: str | None = None  # None: a public route (its own authentication, or none)
    body: type | None = None  # the request body's model
    answer: type | None = None  # the success body's model
    status: int = 200
    query: type | None = None  # a model whose fields are the query parameters
    errors: tuple = ()
    idempotent: bool = False
    paged: bool = False
    audit: str | None = None
    media: dict = field(default_factory=dict)  # non-JSON success bodies: {media type: "binary" | "text"}
    body_media: str = "application/json"
    error_media: str = "application/json"  # a callback answers WeChat in plain text, errors too
    summary: str | None = None  # else the view's docstring's first paragraph

    @property
    def doc(self) -> tuple[str, str]:
        """(summary, description): the declared summary, else the view's docstring (first line, then the rest)."""
        text = (getattr(self.view, "__doc__", None) or "").strip()
        first, _, rest = text.partition("\n\n")
        lines = [line.strip() for line in rest.splitlines()]
        return (self.summary or " ".join(x.strip() for x in first.splitlines())), "\n".join(lines).strip()


ROUTES: list[Route] = []
NO_BODY = {204: "No content", 302: "Found: a redirect (Location)"}  # success statuses that answer no body


def record(route: Route) -> None:
    ROUTES[:] = [r for r in ROUTES if (r.path, r.method) != (route.path, route.method)]
    ROUTES.append(route)


def public_route(bp, path: str, methods=("GET",), *, answer=None, body=None, query=None, raises=(), media=None,
                 body_media: str = "application/json", error_media: str = "application/json",
                 summaries: dict | None = None, statuses: dict | None = None, **route_kwargs):
    """`bp.route(path, methods=..., authorizer=None, **route_kwargs)`, recorded in the route table as public.
    `statuses`: a method's success status when it is not 200 (e.g. {"POST": 201, "DELETE": 204})."""
    def register(view):
        for method in methods:
            record(Route(path, method.upper(), view, body=body if method.upper() != "GET" else None,
                         answer=answer if (statuses or {}).get(method.upper()) not in NO_BODY else None,
                         query=query, errors=tuple(raises), media=dict(media or {}),
                         body_media=body_media, error_media=error_media,
                         summary=(summaries or {}).get(method.upper()),
                         status=(statuses or {}).get(method.upper(), 200)))
        return bp.route(path, methods=list(methods), authorizer=None, **route_kwargs)(view)

    return register


def model(ref):
    """The model a route names: a class, or "module.Class" in scrm.contracts (so that importing a function
    module does not build its models: cold starts stay light)."""
    if not isinstance(ref, str):
        return ref
    module, name = ref.rsplit(".", 1)
    return getattr(importlib.import_module(f"scrm.contracts.{module}"), name)
