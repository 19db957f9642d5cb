"""The WeChat gateway: one class per platform around wechatpy, with shared tokens and bounded retries."""

from .base import gateway_for  # noqa: F401
