"""Admin API function: the HTTP API the marketing team uses."""

from chalice import Blueprint

bp = Blueprint(__name__)


@bp.route("/health", methods=["GET"], authorizer=None)
def health():
    return {"status": "ok"}
