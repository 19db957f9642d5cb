"""The sandbox's signing and AES envelope reproduce the published vectors (reference §1.1, §1.3)."""

from wechatpy.crypto import base as crypto_base

from local.sandbox import callbacks

OA_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OA_APPID = "wxb11529c136998cb6"


def test_oa_url_signature_worked_example():
    assert callbacks.sha1_sign("pamtest", "1409304348", "xxxxxx") == "76480565cbe296026c53aaacd1ad523a1ddba24f"


def test_oa_encrypt_vectors(monkeypatch):
    monkeypatch.setattr(crypto_base.BasePrpCrypto, "get_random_string", lambda self: "aaaabbbbccccdddd")
    enc = callbacks.encrypt(OA_KEY, "我是中文abcd123", OA_APPID)
    assert enc == "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    xml = ("<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
           "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]>"
           "</Content><MsgId>6054768590064713728</MsgId></xml>")
    enc = callbacks.encrypt(OA_KEY, xml, OA_APPID)
    assert enc.startswith("jn1L23DB+6ELqJ+6bruv2wghAbY8kq3q")
    assert callbacks.sha1_sign("pamtest", "1409304348", "xxxxxx", enc) == "70c78f44bf6a212431140a71da2f0bd160ce4d63"
    assert callbacks.decrypt(OA_KEY, enc, OA_APPID) == xml


def test_wecom_echostr_vector():
    echostr = "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
    key, corpid = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a"
    signature = callbacks.sha1_sign("123456", "1411443780", "437374425", echostr)
    assert signature == "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96"
    assert callbacks.decrypt(key, echostr, corpid, wecom=True) == "5927782489442352469"


def test_cdata_escapes_terminator():
    xml = callbacks.build_xml({"Content": "a]]>b", "CreateTime": 5})
    assert xml == "<xml><Content><![CDATA[a]]]]><![CDATA[>b]]></Content><CreateTime>5</CreateTime></xml>"
