"""WeChat callback crypto, hardened: signatures, freshness, and the AES envelope (OA safe mode and WeCom).

The wire format is wechatpy's (and Tencent's): `Encrypt = base64(AES-256-CBC(key, iv=key[:16],
random16 + len(msg) as big-endian uint32 + msg + receive_id, PKCS#7 to 32 bytes))`, signed with
`sha1(sorted([token, timestamp, nonce, Encrypt]))`. Unlike wechatpy this module compares signatures in
constant time, decodes base64 strictly, validates the padding and the length field, and compares the
trailing appid/corpid in constant time; every refusal is a typed `Rejected` carrying its HTTP status, the
status of the matching error class of the one mapping (scrm/errors.py): malformed 400, forged 403, too large
413. Pure (no I/O); `cryptography` is imported on first use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from functools import lru_cache

from .. import errors

MAX_SKEW_SECONDS = 300  # default window; the service passes settings().callback_clock_skew
BLOCK = 32  # WeChat pads to 32 bytes (PKCS#7 with a 32-byte block), not AES's 16


class Rejected(Exception):
    """A callback request we refuse; `status` is the HTTP status to answer with (scrm.errors.status_of reads it),
    `reason` the plain-text answer WeChat gets."""

    status = errors.BadBody.status
    reason = "malformed"

    def __init__(self, detail: str = ""):
        super().__init__(detail or self.reason)
        self.detail = detail or self.reason


class Malformed(Rejected):
    status = errors.BadBody.status
    reason = "malformed"


class Forged(Rejected):
    """Bad or missing signature, stale timestamp, wrong appid/corpid."""

    status = errors.Forbidden.status
    reason = "forbidden"


class TooLarge(Rejected):
    status = errors.PayloadTooLarge.status
    reason = "too large"


def sign(*parts: str) -> str:
    """WeChat's signature: sha1 over the dictionary-sorted concatenation, lowercase hex."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def verify(given: str | None, *parts: str) -> None:
    if not given or len(given) != 40:
        raise Forged("bad signature")
    if not hmac.compare_digest(sign(*parts).encode(), given.lower().encode("utf-8", "replace")):
        raise Forged("bad signature")


def check_timestamp(timestamp: str | None, now: float, max_skew: int = MAX_SKEW_SECONDS) -> int:
    """The request's timestamp as int, if it is digits and within `max_skew` seconds of now."""
    if not timestamp or len(timestamp) > 12 or not timestamp.isascii() or not timestamp.isdigit():
        raise Forged("bad timestamp")
    value = int(timestamp)
    if abs(now - value) > max_skew:
        raise Forged("stale timestamp")
    return value


def check_nonce(nonce: str | None) -> str:
    if not nonce or len(nonce) > 64 or not nonce.isascii() or not nonce.replace("-", "").replace("_", "").isalnum():
        raise Forged("bad nonce")
    return nonce


def _key(encoding_aes_key: str) -> bytes:
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("EncodingAESKey must be 43 base64 characters") from None
    if len(key) != 32:
        raise ValueError("EncodingAESKey must decode to 32 bytes")
    return key


class Cipher:
    """AES envelope for one account (`receive_id` = OA appid or WeCom corpid)."""

    def __init__(self, encoding_aes_key: str, receive_id: str):
        from cryptography.hazmat.primitives.ciphers import Cipher as _Cipher
        from cryptography.hazmat.primitives.ciphers import algorithms, modes

        self.key = _key(encoding_aes_key)
        self.receive_id = receive_id.encode("utf-8")
        self._cipher = _Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def decrypt(self, encrypted: str) -> str:
        if not encrypted or len(encrypted) > 200_000:
            raise Malformed("missing or oversized Encrypt")
        try:
            raw = base64.b64decode(encrypted.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise Malformed("Encrypt is not base64") from None
        if len(raw) < BLOCK or len(raw) % 16:
            raise Malformed("Encrypt has a bad length")
        decryptor = self._cipher.decryptor()
        plain = decryptor.update(raw) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise Malformed("bad padding")
        body = plain[16:-pad]
        if len(body) < 4:
            raise Malformed("truncated message")
        (length,) = struct.unpack(">I", body[:4])
        if length > len(body) - 4:
            raise Malformed("bad message length")
        message, receive_id = body[4:4 + length], body[4 + length:]
        if not hmac.compare_digest(receive_id, self.receive_id):
            raise Forged("message for another appid/corpid")
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed("message is not UTF-8") from None

    def encrypt(self, text: str, random16: bytes | None = None) -> str:
        msg = text.encode("utf-8")
        rand = random16 if random16 is not None else secrets.token_hex(8).encode()
        plain = rand + struct.pack(">I", len(msg)) + msg + self.receive_id
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        encryptor = self._cipher.encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


@lru_cache(maxsize=256)
def cipher_for(encoding_aes_key: str, receive_id: str) -> Cipher:
    return Cipher(encoding_aes_key, receive_id)


def envelope(cipher: Cipher, token: str, reply: str, nonce: str, timestamp: int) -> str:
    """The encrypted passive-reply envelope (the fields WeChat expects, in wechatpy's layout)."""
    encrypted = cipher.encrypt(reply)
    signature = sign(token, str(timestamp), nonce, encrypted)
    return (f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt><MsgSignature><![CDATA[{signature}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>")
