"""Official Account (公众号) gateway."""

from __future__ import annotations

from .base import Gateway, _install_policy


class OfficialAccountGateway(Gateway):
    platform = "oa"

    def default_base_url(self, cfg) -> str:
        return cfg.oa_base_url

    def token_key(self) -> str:
        return f"oa:{self.account.app_id}"

    def fetch_token(self) -> tuple[str, int]:
        # stable_token (normal mode) never rotates a live token, so concurrent refreshers cannot
        # invalidate each other even across deployments that do not share our lock.
        data = self._token_request("post", "stable_token", json={
            "grant_type": "client_credential", "appid": self.account.app_id,
            "secret": self.account.app_secret, "force_refresh": False})
        return data["access_token"], int(data.get("expires_in", 7200))

    def make_client(self):
        from wechatpy import WeChatClient

        return _install_policy(WeChatClient)(self, self.account.app_id, self.account.app_secret)

    # --- APIs wechatpy gets wrong or lacks
    def mass_send_to_tag(self, tag_id: int, message: dict, client_msg_id: str) -> dict:
        """sendall with `filter.tag_id` (wechatpy 1.8 sends the obsolete `group_id`)."""
        body = {"filter": {"is_to_all": False, "tag_id": tag_id}, **message, "clientmsgid": client_msg_id,
                "send_ignore_reprint": 0}
        return self.post("message/mass/sendall", body)

    def mass_send_to_all(self, message: dict, client_msg_id: str) -> dict:
        """sendall to every follower (subscription accounts: their 1-a-day quota is per account)."""
        return self.post("message/mass/sendall", {"filter": {"is_to_all": True}, **message,
                                                  "clientmsgid": client_msg_id, "send_ignore_reprint": 0})

    def mass_send_to_openids(self, openids: list[str], message: dict, client_msg_id: str) -> dict:
        return self.post("message/mass/send", {"touser": openids, **message, "clientmsgid": client_msg_id,
                                               "send_ignore_reprint": 0})

    def send_template(self, openid: str, template_id: str, data: dict, client_msg_id: str,
                      url: str | None = None) -> dict:
        body = {"touser": openid, "template_id": template_id, "data": data, "client_msg_id": client_msg_id}
        if url:
            body["url"] = url
        return self.post("message/template/send", body)
