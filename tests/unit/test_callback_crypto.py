"""Callback crypto against the published sample vectors and wechatpy's own WeChatCrypto."""

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrm.domain.wechat_crypto import Cipher, Forged, Malformed, check_nonce, check_timestamp, envelope, sign, verify

OA_KEY, OA_APPID, OA_TOKEN = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wxb11529c136998cb6", "pamtest"
WECOM_KEY, WECOM_CORP, WECOM_TOKEN = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a", "123456"
OA_MESSAGE = ("<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA["
              "oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA["
              "text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId></xml>")


def test_oa_sample_vector_encrypts_and_decrypts():
    cipher = Cipher(OA_KEY, OA_APPID)
    assert cipher.key.hex() == "69b71d79f8218a39259a7a29aabb2dbafc31cb3d35db7e39ebbf3d0010831051"
    expected = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    assert cipher.encrypt("我是中文abcd123", random16=b"aaaabbbbccccdddd") == expected
    assert cipher.decrypt(expected) == "我是中文abcd123"


def test_oa_full_message_vector_signature():
    encrypted = Cipher(OA_KEY, OA_APPID).encrypt(OA_MESSAGE, random16=b"aaaabbbbccccdddd")
    assert encrypted.startswith("jn1L23DB+6ELqJ+6bruv2wghAbY8kq3q")
    assert sign(OA_TOKEN, "1409304348", "xxxxxx", encrypted) == "70c78f44bf6a212431140a71da2f0bd160ce4d63"
    verify("70c78f44bf6a212431140a71da2f0bd160ce4d63", OA_TOKEN, "1409304348", "xxxxxx", encrypted)


def test_oa_url_signature_vector():
    verify("76480565cbe296026c53aaacd1ad523a1ddba24f", "pamtest", "1409304348", "xxxxxx")


def test_wecom_url_verification_vector():
    echostr = "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
    verify("dd6b9c95b495b3f7e2901bfbc76c664930ffdb96", WECOM_TOKEN, "1411443780", "437374425", echostr)
    assert Cipher(WECOM_KEY, WECOM_CORP).decrypt(echostr) == "5927782489442352469"


def test_wrong_receive_id_is_forged():
    encrypted = Cipher(OA_KEY, OA_APPID).encrypt("hello")
    with pytest.raises(Forged):
        Cipher(OA_KEY, "wx0000000000000000").decrypt(encrypted)


@pytest.mark.parametrize("bad", ["", "not base64 !!", "YWJj", base64.b64encode(b"x" * 31).decode(),
                                 base64.b64encode(b"x" * 48).decode(), "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP"])
def test_garbage_is_malformed_or_forged(bad):
    with pytest.raises((Malformed, Forged)):
        Cipher(OA_KEY, OA_APPID).decrypt(bad)


def test_bad_padding_is_refused():
    from cryptography.hazmat.primitives.ciphers import Cipher as C
    from cryptography.hazmat.primitives.ciphers import algorithms, modes

    key = base64.b64decode(OA_KEY + "=")
    plain = b"a" * 16 + b"\x00\x00\x00\x02hi" + OA_APPID.encode()
    plain += b"\x00" * (64 - len(plain))  # pad byte 0: invalid
    enc = C(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    with pytest.raises(Malformed):
        Cipher(OA_KEY, OA_APPID).decrypt(base64.b64encode(enc.update(plain) + enc.finalize()).decode())


def test_signature_checks():
    good = sign("tok", "1", "2")
    verify(good, "tok", "1", "2")
    verify(good.upper(), "tok", "1", "2")
    for bad in (None, "", good[:-1], good[:-1] + ("0" if good[-1] != "0" else "1"), "é" * 40):
        with pytest.raises(Forged):
            verify(bad, "tok", "1", "2")


def test_timestamp_and_nonce_checks():
    assert check_timestamp("1000", 1200) == 1000
    for bad in (None, "", "abc", "-5", "1e3", "１０００", "9" * 20, "699", "1301"):
        with pytest.raises(Forged):
            check_timestamp(bad, 1000)
    assert check_nonce("123abc") == "123abc"
    for bad in (None, "", "a]]>b", "x" * 65, "a b"):
        with pytest.raises(Forged):
            check_nonce(bad)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_round_trip_with_wechatpy_oa(text):
    from wechatpy.crypto import WeChatCrypto

    ours = Cipher(OA_KEY, OA_APPID)
    theirs = WeChatCrypto(OA_TOKEN, OA_KEY, OA_APPID)
    # ours -> wechatpy
    xml = envelope(ours, OA_TOKEN, text, "nonce1", 1409304348)
    import xmltodict

    doc = xmltodict.parse(xml)["xml"]
    assert theirs.decrypt_message(xml, doc["MsgSignature"], doc["TimeStamp"], doc["Nonce"]) == text
    # wechatpy -> ours
    out = xmltodict.parse(theirs.encrypt_message(text, "nonce2", 1409304348))["xml"]
    verify(out["MsgSignature"], OA_TOKEN, "1409304348", "nonce2", out["Encrypt"])
    assert ours.decrypt(out["Encrypt"]) == text


@settings(max_examples=100, deadline=None)
@given(text=st.text(min_size=1, max_size=200))
def test_round_trip_with_wechatpy_wecom(text):
    from wechatpy.enterprise.crypto import WeChatCrypto

    theirs = WeChatCrypto(WECOM_TOKEN, WECOM_KEY, WECOM_CORP)
    ours = Cipher(WECOM_KEY, WECOM_CORP)
    import xmltodict

    out = xmltodict.parse(theirs.encrypt_message(text, "n1", 1411525903))["xml"]
    assert ours.decrypt(out["Encrypt"]) == text
    xml = envelope(ours, WECOM_TOKEN, text, "n2", 1411525903)
    doc = xmltodict.parse(xml)["xml"]
    assert theirs.decrypt_message(xml, doc["MsgSignature"], doc["TimeStamp"], doc["Nonce"]) == text
