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
    ("SCRM_CALLBACK_CLOCK_SKEW_SECONDS", "five minutes", "SCRM_CALLBACK_CLOCK_SKEW_SECONDS"),
    ("SCRM_CALLBACK_CLOCK_SKEW_SECONDS", "29", "SCRM_CALLBACK_CLOCK_SKEW_SECONDS"),
    ("SCRM_CALLBACK_CLOCK_SKEW_SECONDS", "3601", "SCRM_CALLBACK_CLOCK_SKEW_SECONDS"),
    ("SCRM_STALE_ACCOUNT_SECONDS", "-1", "SCRM_STALE_ACCOUNT_SECONDS"),
    ("SCRM_STALE_ACCOUNT_SECONDS", "1e9", "SCRM_STALE_ACCOUNT_SECONDS"),
    ("SCRM_PUSH_RATE", "fast", "SCRM_PUSH_RATE"),
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


def test_callback_windows_default_and_bounds(monkeypatch):
    monkeypatch.delenv("SCRM_CALLBACK_CLOCK_SKEW_SECONDS", raising=False)
    monkeypatch.delenv("SCRM_STALE_ACCOUNT_SECONDS", raising=False)
    cfg = load_settings()
    assert (cfg.callback_clock_skew, cfg.stale_account_seconds) == (300, 86400)
    for value in ("30", "3600"):
        monkeypatch.setenv("SCRM_CALLBACK_CLOCK_SKEW_SECONDS", value)
        assert load_settings().callback_clock_skew == int(value)


def test_push_and_public_url_settings(monkeypatch):
    for name in ("SCRM_PUSH_RATE", "SCRM_PUSH_QUOTA_POLICY", "SCRM_PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    cfg = load_settings()
    assert (cfg.push_rate, cfg.push_quota_policy, cfg.public_base_url) == (50.0, "", None)
    monkeypatch.setenv("SCRM_PUSH_RATE", "12.5")
    monkeypatch.setenv("SCRM_PUSH_QUOTA_POLICY", '{"oa:*:mass": {"limit": 4}}')
    monkeypatch.setenv("SCRM_PUBLIC_BASE_URL", "https://scrm.example.com/")
    cfg = load_settings()
    assert (cfg.push_rate, cfg.push_quota_policy, cfg.public_base_url) == (
        12.5, '{"oa:*:mass": {"limit": 4}}', "https://scrm.example.com")


def test_only_config_reads_the_environment():
    """Settings are parsed once, in config.py: a read elsewhere escapes validation and the documented list."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readers = [str(f.relative_to(root)) for d in ("layers/common/python/scrm", "functions")
               for f in (root / d).rglob("*.py")
               if f.name != "config.py" and ("os.environ" in f.read_text() or "getenv(" in f.read_text())]
    assert readers == []
