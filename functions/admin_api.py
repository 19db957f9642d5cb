"""Admin API function: accounts, API keys, the audit log, and the OpenAPI document.

Every route goes through `admin_route` (functions/admin_common.py): API key, role, tenancy, JSON errors, audit.
The contract is functions/openapi.yaml, generated from the route table and the models (functions/contract.py).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from chalice import Blueprint, Response

from functions.admin_common import admin_route, page
from functions.routes import public_route
from scrm import errors

bp = Blueprint(__name__)
OPENAPI = Path(__file__).with_name("openapi.yaml")


@public_route(bp, "/health", methods=["GET"], answer="answers.HealthAnswer")
def health():
    """Liveness check"""
    return {"status": "ok"}


@cache
def _openapi_text() -> str:
    return OPENAPI.read_text()


@cache
def _openapi_dict() -> dict:
    import yaml

    return yaml.safe_load(_openapi_text())


@public_route(bp, "/openapi.json", methods=["GET"])
def openapi_json():
    """This document, as JSON"""
    return _openapi_dict()


@public_route(bp, "/openapi.yaml", methods=["GET"], media={"application/yaml": "object"})
def openapi_yaml():
    """This document, as YAML"""
    return Response(body=_openapi_text(), status_code=200, headers={"Content-Type": "application/yaml"})


# --- accounts

MESSAGE_MODES = ("plaintext", "compatible", "safe")
ACCOUNT_FIELDS = ("account_id", "kind", "app_id", "name", "app_secret", "token", "aes_key", "original_id",
                  "account_type", "options", "message_mode", "console_login_secret", "agent_secrets")
UPDATABLE = ("name", "app_secret", "token", "aes_key", "original_id", "account_type", "options", "message_mode",
             "console_login_secret", "agent_secrets")


@admin_route(bp, "/accounts", answer="answers.Account", paged=True)
def list_accounts(ctx):
    """List accounts (a platform key sees all; an account key sees its own)"""
    from scrm.services import admin_accounts as svc

    return page(lambda limit, start: svc.query(ctx.scope, limit=limit, start=start), ctx,
                view=lambda rec: svc.view(rec, ctx.base_url))


@admin_route(bp, "/accounts", methods=("POST",), role="platform", audit="account.create", status=201,
             idempotent_create=True,
             body="accounts.AccountRegistration", answer="answers.AccountWithSetup", raises=(errors.Conflict,))
def create_account(ctx):
    """Register an Official Account or a WeCom corp (platform key)

    Secrets go to SSM. `token` and `aes_key` (the callback Token and EncodingAESKey) are generated when omitted;
    the response's `setup` shows the callback URL, token and aes_key once, for the WeChat console. A `token`
    another account already uses is refused (409). An Official Account needs its `original_id` (gh_..., the
    ToUserName of its callbacks). `message_mode` (default `safe`) is the console's 消息加解密方式: `safe` refuses
    unencrypted callbacks; WeCom corps are always `safe`. A WeCom corp whose staff sign in to the console with
    WeCom's QR login also needs `console_login_secret` (the login app's Secret, never shown again) and
    `options.console_login_agentid`. `agent_secrets` ({AgentId: Secret}, WeCom) are the Secrets of the self-built
    apps that send loss alerts and reassignment notices (each app's messages need its own token).
    """
    from scrm.services import admin_accounts as svc

    ctx.allow_only(*ACCOUNT_FIELDS)
    return svc.create(
        ctx.scope, ctx.base_url,
        account_id=ctx.field("account_id", max_length=63),
        kind=ctx.field("kind", choices=("oa", "wecom")),
        app_id=ctx.field("app_id", min_length=1, max_length=64),
        name=ctx.field("name", min_length=1, max_length=100),
        app_secret=ctx.field("app_secret", min_length=1, max_length=256),
        token=ctx.field("token", required=False, max_length=32),
        aes_key=ctx.field("aes_key", required=False, max_length=43),
        original_id=ctx.field("original_id", required=False, max_length=64),
        account_type=ctx.field("account_type", required=False),
        options=ctx.field("options", dict, required=False),
        message_mode=ctx.field("message_mode", required=False, choices=MESSAGE_MODES),
        console_login_secret=ctx.field("console_login_secret", required=False, min_length=1, max_length=256),
        agent_secrets=ctx.field("agent_secrets", dict, required=False),
    )


@admin_route(bp, "/accounts/{account_id}", answer="answers.Account")
def show_account(ctx, account_id):
    """Show an account (secrets masked)"""
    from scrm.services import admin_accounts as svc

    return svc.show(ctx.scope, account_id, ctx.base_url)


@admin_route(bp, "/accounts/{account_id}", methods=("PATCH",), role="admin", audit="account.update",
             body="accounts.AccountUpdate", answer="answers.Account", raises=(errors.Conflict,))
def update_account(ctx, account_id):
    """Update an account's name, settings, message mode or secrets (admin)

    Set `message_mode` to what the WeChat console says (plaintext, compatible or safe); `safe` refuses
    unencrypted callbacks. A new `token` that another account uses is refused (409). `agent_secrets` ({AgentId:
    Secret}, WeCom) sets the Secrets of self-built apps (merged into those set before; answered only as "****"):
    the app a loss alert or reassignment notice goes out as needs its Secret (its own token), else it is unsent.
    """
    from scrm.services import admin_accounts as svc

    ctx.allow_only(*UPDATABLE)
    changes = {
        "name": ctx.field("name", required=False, min_length=1, max_length=100),
        "app_secret": ctx.field("app_secret", required=False, min_length=1, max_length=256),
        "token": ctx.field("token", required=False, max_length=32),
        "aes_key": ctx.field("aes_key", required=False, max_length=43),
        "original_id": ctx.field("original_id", required=False, max_length=64),
        "account_type": ctx.field("account_type", required=False),
        "options": ctx.field("options", dict, required=False),
        "message_mode": ctx.field("message_mode", required=False, choices=MESSAGE_MODES),
        "console_login_secret": ctx.field("console_login_secret", required=False, min_length=1, max_length=256),
        "agent_secrets": ctx.field("agent_secrets", dict, required=False),
    }
    return svc.update(ctx.scope, account_id, ctx.base_url, **changes)


@admin_route(bp, "/accounts/{account_id}/setup", role="admin", audit="account.setup_view", answer="answers.Setup")
def account_setup(ctx, account_id):
    """Callback URL, Token and EncodingAESKey to paste into the WeChat console (admin; audited)"""
    from scrm.services import admin_accounts as svc

    return svc.setup(ctx.scope, account_id, ctx.base_url)


@admin_route(bp, "/accounts/{account_id}/callback-check", methods=("POST",), role="admin",
             audit="account.callback_check", answer="answers.CallbackCheck")
def check_callback_url(ctx, account_id):
    """Check that the account's callback URL answers WeChat's GET check (admin): the check WeChat's console runs
    when the URL is saved, played against the URL the setup shows; nothing is stored

    `ok` is true when the URL answered HTTP 200 with the echo; `detail` says what it answered otherwise.
    """
    from scrm.services import callback_check

    ctx.allow_only()
    return callback_check.check(ctx.scope, account_id, ctx.base_url)


@admin_route(bp, "/accounts/{account_id}/disable", methods=("POST",), role="admin", audit="account.disable",
             answer="answers.Account")
def disable_account(ctx, account_id):
    """Disable an account (callbacks and jobs stop touching it) (admin)"""
    from scrm.services import admin_accounts as svc

    ctx.allow_only()
    return svc.set_status(ctx.scope, account_id, "disabled", ctx.base_url)


@admin_route(bp, "/accounts/{account_id}/enable", methods=("POST",), role="platform", audit="account.enable",
             answer="answers.Account")
def enable_account(ctx, account_id):
    """Enable a disabled account again (platform key)"""
    from scrm.services import admin_accounts as svc

    ctx.allow_only()
    return svc.set_status(ctx.scope, account_id, "active", ctx.base_url)


# --- shared contact books (a platform decision; checked again by the contacts repository)


@admin_route(bp, "/contact-books/{book_id}", role="platform",
             answer="answers.ContactBook", raises=(errors.ValidationError,))
def show_contact_book(ctx, book_id):
    """Show a shared contact book and its member accounts (platform key)"""
    from scrm.services import contact_books

    return contact_books.show(ctx.scope, book_id)


@admin_route(bp, "/contact-books/{book_id}", methods=("PUT",), role="platform", audit="contact_book.set",
             body="contact_books.ContactBookMembers", answer="answers.ContactBook", raises=(errors.Conflict,))
def set_contact_book(ctx, book_id):
    """Create a shared contact book or set its members (platform key)

    Accounts in one shared book see one another's contacts (joined by unionid) and their events are attributed
    in it. Sharing is a platform decision: account keys cannot make it, and the contacts repository addresses a
    book only for its members. An account belongs to at most one shared book (409 naming it otherwise); a
    removed member goes back to its own book, and the shared book's people stay in the shared book. An account
    that joins starts with the shared book's people; its own earlier contacts stay in its own book.
    """
    from scrm.data.contacts import MAX_MEMBERS
    from scrm.services import contact_books

    ctx.allow_only("members")
    members = ctx.field("members", list, min_length=1, max_length=MAX_MEMBERS)
    return contact_books.set_members(ctx.scope, book_id, members)


@admin_route(bp, "/contact-books/{book_id}", methods=("DELETE",), role="platform", audit="contact_book.delete",
             answer="answers.ContactBook", raises=(errors.Conflict,))
def delete_contact_book(ctx, book_id):
    """Stop sharing a contact book; every member goes back to its own book (platform key)"""
    from scrm.services import contact_books

    return contact_books.delete(ctx.scope, book_id)


@admin_route(bp, "/accounts/{account_id}/contact-book", answer="answers.AccountContactBookAnswer")
def account_contact_book(ctx, account_id):
    """The contact book the account uses (its own, or the shared book and its members)"""
    from scrm.services import contact_books

    _require_account(ctx, account_id)
    return contact_books.book_of(ctx.scope, account_id)


# --- keys


@admin_route(bp, "/accounts/{account_id}/keys", role="admin", answer="answers.Key", paged=True)
def list_keys(ctx, account_id):
    """List the account's API keys (admin)"""
    from scrm.services import admin_keys as svc

    return page(lambda limit, start: svc.list_keys(ctx.scope, account_id, limit=limit, start=start), ctx,
                view=svc.view)


@admin_route(bp, "/accounts/{account_id}/keys", methods=("POST",), role="admin", audit="key.create", status=201,
             idempotent_create=True, body="keys.KeyRequest", answer="answers.KeyWithSecret", raises=(errors.Conflict,))
def create_key(ctx, account_id):
    """Create an API key; the key itself is in the response once and never again (admin)"""
    from scrm.services import admin_keys as svc

    _require_account(ctx, account_id)
    ctx.allow_only("role", "name", "expires_in_days")
    public, key = svc.issue(ctx.scope, account_id, role=ctx.field("role", choices=("read-only", "operator", "admin")),
                            name=ctx.field("name", required=False, default="", max_length=100),
                            expires_in_days=ctx.field("expires_in_days", (int, float), required=False))
    from scrm.services.admin_requests import ShownOnce

    return {**public, "key": ShownOnce(key, f"If the key was lost, revoke {public['key_id']} (DELETE "
                                            f"/accounts/{account_id}/keys/{public['key_id']}) and create another.")}


@admin_route(bp, "/accounts/{account_id}/keys/{key_id}", role="admin", answer="answers.Key")
def show_key(ctx, account_id, key_id):
    """Show one key (admin)"""
    from scrm.services import admin_keys as svc

    return svc.get_key(ctx.scope, account_id, key_id)


@admin_route(bp, "/accounts/{account_id}/keys/{key_id}", methods=("DELETE",), role="admin", audit="key.revoke",
             answer="answers.Key")
def revoke_key(ctx, account_id, key_id):
    """Revoke a key (admin); it stops working at once"""
    from scrm.services import admin_keys as svc

    return svc.revoke(ctx.scope, account_id, key_id)


def _require_account(ctx, account_id):
    from scrm.services import admin_accounts as svc

    svc.require(ctx.scope, account_id)  # 404 for an unknown account


# --- audit


@admin_route(bp, "/accounts/{account_id}/audit", role="admin",
             answer="answers.AuditLogEntry", paged=True, query="queries.AuditQuery")
def audit_log(ctx, account_id):
    """The account's audit log, newest first (admin)"""
    from scrm.services import audit as svc

    ctx.body = {k: ctx.query.get(k) for k in ("action", "key_id") if ctx.query.get(k)}
    action = ctx.field("action", required=False, max_length=100)
    key_id = ctx.field("key_id", required=False, max_length=100)
    return page(lambda limit, start: svc.entries(ctx.scope, account_id, limit=limit, start=start, action=action,
                                                 key_id=key_id), ctx, view=svc.view)
