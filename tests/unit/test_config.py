import pytest

from scrm.config import load_settings
from scrm.errors import ConfigError


@pytest.mark.parametrize("name,value,needle", [
    ("WECHAT_OA_BASE_URL", "ftp://x", "WECHAT_OA_BASE_URL"),
    ("WECOM_BASE_URL", "nonsense", "WECOM_BASE_URL"),
    ("WECHAT_HTTP_TIMEOUT", "soon", "WECHAT_HTTP_TIMEOUT"),
    ("WECHAT_TOKEN_LOCK_SECONDS", "0", "WECHAT_TOKEN_LOCK_SECONDS"),
    ("SCRM_STAGE", "dev stage!", "SCRM_STAGE"),
    ("SCRM_SECRETS_PREFIX", "scrm/dev", "SCRM_SECRETS_PREFIX"),
])
def test_malformed_environment_names_the_variable(monkeypatch, name, value, needle):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=needle):
        load_settings()


def test_defaults_point_at_wechat_production(monkeypatch):
    monkeypatch.delenv("WECHAT_OA_BASE_URL", raising=False)
    monkeypatch.delenv("WECOM_BASE_URL", raising=False)
    cfg = load_settings()
    assert cfg.oa_base_url == "https://api.weixin.qq.com"
    assert cfg.wecom_base_url == "https://qyapi.weixin.qq.com"
    assert cfg.table_name("tokens") == f"{cfg.table_prefix}-tokens"
