"""WeChat callback function: the URLs WeChat's servers call for each Official Account and WeCom corp.

OA `/wechat/oa/{account_id}`: GET URL verification (plaintext echostr), POST AES (safe/compatible mode) or
plaintext (only if the account's message mode is plaintext or compatible).
WeCom `/wechat/wecom/{account_id}`: GET verification (encrypted echostr), POST encrypted events.
`content_types=['*/*']`: the GET has no Content-Type (Chalice would check it as JSON and answer 415)
and WeChat POSTs text/xml. Everything else is `scrm.services.callbacks`.
"""

from chalice import Blueprint, Response

from functions.routes import public_route
from scrm import errors
from scrm.domain.wechat_crypto import Malformed

bp = Blueprint(__name__)
ANY_CONTENT = ["*/*"]
# malformed, forged, too large, or (503) an outage: WeChat retries; the statuses are the classes' (scrm/errors.py)
REFUSALS = (errors.ValidationError, errors.Forbidden, errors.PayloadTooLarge, errors.WeChatUnavailable)


def _answer(platform: str, account_id: str) -> Response:
    from scrm.services.callbacks import handle

    request = bp.current_request
    try:
        body = request.raw_body if request.method == "POST" else b""
    except Exception:  # a body Chalice cannot decode (bad base64 from API Gateway)
        return Response(body=Malformed.reason, status_code=Malformed.status, headers={"Content-Type": "text/plain"})
    answer = handle(platform, account_id, request.method, request.query_params, body)
    return Response(body=answer.body, status_code=answer.status, headers={"Content-Type": answer.content_type})


@public_route(bp, "/wechat/oa/{account_id}", methods=["GET", "POST"], content_types=ANY_CONTENT,
              query="queries.OaCallbackQuery", media={"application/xml": "text", "text/plain": "text"}, raises=REFUSALS,
              body_media="text/xml", error_media="text/plain", summaries={
                  "POST": "Official Account message/event push (plaintext or AES safe mode); answers a passive reply "
                          "or `success`"})
def official_account_callback(account_id):
    """Official Account URL verification (answers the plaintext echostr)"""
    return _answer("oa", account_id)


@public_route(bp, "/wechat/wecom/{account_id}", methods=["GET", "POST"], content_types=ANY_CONTENT,
              query="queries.WecomCallbackQuery", media={"text/plain": "text"}, raises=REFUSALS, body_media="text/xml",
              error_media="text/plain", summaries={
                  "POST": "WeCom encrypted event push (customer contact, contacts, group chats); answers `success`"})
def wecom_callback(account_id):
    """WeCom URL verification (answers the decrypted echostr)"""
    return _answer("wecom", account_id)
