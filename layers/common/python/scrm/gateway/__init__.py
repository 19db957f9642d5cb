"""The WeChat gateway: one class per platform around wechatpy, with shared tokens and bounded retries.

`gateway_for(account)` picks the platform's class (here, not in `base`: the subclasses import `base`).
"""

from ..accounts import Account
from .base import Gateway
from .official_account import OfficialAccountGateway
from .wecom import WeComGateway, WeComLoginApp


def gateway_for(account: Account, **kwargs) -> Gateway:
    if account.kind == "oa":
        return OfficialAccountGateway(account, **kwargs)
    return WeComGateway(account, **kwargs)


def login_app_for(account: Account, **kwargs) -> WeComLoginApp:
    """The WeCom corp's console login app (its own Secret and token); ConfigError when it has none."""
    return WeComLoginApp(account, **kwargs)

