"""Campaign use cases: admin management, user draws and shares, the end-of-campaign lottery, reports.

Admin calls take a Scope (tenancy is checked again by the store); user calls take the openid a signed user token
vouched for (see `authenticate`). Every read and write goes through the campaign store
(scrm.stores.campaigns, `bootstrap.campaign_store()`), where exactness lives; secrets through scrm.secrets.

Modules, one concern each: `admin` (campaigns, coupon codes), `user_tokens` (the account check, tokens, links,
OAuth), `eligibility`, `draws` (the wheel, lottery entry, status, redemptions), `votes` (vote campaigns: a vote,
live results), `shares`, `lottery` (draw,
notifications, the schedule), `reports`; `common` holds what they share.
"""

from __future__ import annotations

from ... import secrets as _secrets
from ...domain import campaigns as rules  # noqa: F401  (svc.rules in tests and scripts)
from .admin import (
                    CODE,
                    MAX_CODES_PER_UPLOAD,
                    UPLOAD_LEASE_SECONDS,
                    create_campaign,
                    get_campaign,
                    list_campaigns,
                    query_campaigns,
                    update_campaign,
                    upload_codes,
)
from .admin import take_upload_lease as _take_upload_lease  # noqa: F401  (tests interleave through these)
from .common import (
                    DrawRefused,
                    _now,  # noqa: F401
                    campaign_path,
                    draw_view,
                    lottery_view,
                    share_id_for,
                    share_path,
                    store,
                    view,
)
from .common import load as _load  # noqa: F401
from .draws import REQUEST_ID, draw, enter, my_status, public_campaign, redeem
from .eligibility import active_campaign, contact_facts
from .lottery import (
                    NOTIFY_MAX_ATTEMPTS,
                    PUBLISH_PARTICIPANTS_MAX,
                    get_lottery,
                    notify_winners,
                    run_lottery,
                    run_schedule,
)
from .page import follow_qr_svg, jssdk_config, sign_in_url
from .reports import draw_admin_view, list_draws, query_draws, report
from .shares import create_share, public_share, view_share
from .user_tokens import (
                    LINK_TTL_DEFAULT,
                    OAUTH_TTL,
                    TOKEN_SECRET,
                    authenticate,
                    check_account,
                    issue_link,
                    issue_user_token,
                    login_with_oauth_code,
)
from .votes import public_results, vote, vote_results

_seed_path = _secrets.campaign_seed_path
_read_seed = _secrets.campaign_seed

__all__ = ["CODE", "LINK_TTL_DEFAULT", "MAX_CODES_PER_UPLOAD", "NOTIFY_MAX_ATTEMPTS", "OAUTH_TTL",
           "PUBLISH_PARTICIPANTS_MAX", "REQUEST_ID", "TOKEN_SECRET", "UPLOAD_LEASE_SECONDS", "DrawRefused",
           "active_campaign", "authenticate", "campaign_path", "check_account", "contact_facts", "create_campaign",
           "create_share", "draw", "draw_admin_view", "draw_view", "enter", "follow_qr_svg", "get_campaign",
           "get_lottery", "issue_link", "issue_user_token", "jssdk_config", "list_campaigns", "list_draws",
           "login_with_oauth_code", "lottery_view", "my_status", "notify_winners", "public_campaign", "public_share",
           "query_campaigns", "query_draws", "redeem", "report", "rules", "run_lottery", "run_schedule",
           "share_id_for", "share_path", "sign_in_url", "store", "update_campaign", "upload_codes", "view",
           "view_share", "vote", "public_results", "vote_results"]
