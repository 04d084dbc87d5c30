"""The CBOR (RFC 8949) that passkeys need: what the `webauthn` library asks of `cbor2`, its `loads` and `dumps`.

Why Lantern has its own: webauthn 3 requires cbor2 6, which is a Rust extension built only for glibc 2.28 and later.
Lambda's python3.11 runtime (Amazon Linux 2) has glibc 2.26, so `chalice package` cannot ship cbor2 (it leaves it
out with a warning), and `import webauthn` would fail in Lambda. WebAuthn's CBOR is small and definite-length
(CTAP2's canonical form): attestation objects, COSE public keys and extensions, made of integers, byte and text
strings, arrays, maps, booleans and null. `passkeys._webauthn()` hands the library this module in place of cbor2,
locally as in Lambda, so the tests run what is deployed (tests/unit/test_cbor.py checks it against cbor2 itself).

>>> loads(bytes.fromhex("a201020326")) == {1: 2, 3: -7}
True
>>> dumps({1: 2, 3: -7}).hex()
'a201020326'
"""

from __future__ import annotations

import math
import struct
from typing import Any

MAX_DEPTH = 16  # WebAuthn's structures nest four deep at most


class CBORDecodeError(ValueError):
    """Data that is not CBOR this module reads (webauthn turns any error into InvalidCBORData)."""


def loads(data: bytes, *, allow_duplicate_keys: bool = True) -> Any:
    """The first CBOR item in `data`; anything after it is ignored, as cbor2 does (webauthn measures each item it
    reads from authenticatorData by encoding it again)."""
    value, _ = _decode(memoryview(bytes(data)), 0, 0, allow_duplicate_keys)
    return value


def _head(data: memoryview, at: int) -> tuple[int, int, int, int]:
    """(major type, additional info, argument, where the item's content starts)."""
    if at >= len(data):
        raise CBORDecodeError("the data ends too soon")
    initial = data[at]
    major, info = initial >> 5, initial & 0x1F
    if info < 24:
        return major, info, info, at + 1
    if info <= 27:
        size = 1 << (info - 24)
        if at + 1 + size > len(data):
            raise CBORDecodeError("the data ends too soon")
        return major, info, int.from_bytes(data[at + 1 : at + 1 + size], "big"), at + 1 + size
    raise CBORDecodeError("indefinite lengths and reserved values are not used by WebAuthn")


def _decode(data: memoryview, at: int, depth: int, allow_duplicate_keys: bool) -> tuple[Any, int]:
    if depth > MAX_DEPTH:
        raise CBORDecodeError("nested too deeply")
    major, info, argument, at = _head(data, at)
    if major == 0:
        return argument, at
    if major == 1:
        return -1 - argument, at
    if major in (2, 3):
        end = at + argument
        if end > len(data):
            raise CBORDecodeError("the data ends too soon")
        raw = bytes(data[at:end])
        return (raw if major == 2 else raw.decode("utf-8")), end
    if major == 4:
        items = []
        for _ in range(argument):  # each item takes at least one byte: a false count soon runs out of data
            item, at = _decode(data, at, depth + 1, allow_duplicate_keys)
            items.append(item)
        return items, at
    if major == 5:
        result: dict = {}
        for _ in range(argument):
            key, at = _decode(data, at, depth + 1, allow_duplicate_keys)
            if isinstance(key, (list, dict)):
                raise CBORDecodeError("a map key cannot be an array or a map")
            value, at = _decode(data, at, depth + 1, allow_duplicate_keys)
            if not allow_duplicate_keys and key in result:  # 1 and True are one key in Python: refused too
                raise CBORDecodeError(f"duplicate map key: {key!r}")
            result[key] = value
        return result, at
    if major == 6:
        raise CBORDecodeError("tags are not used by WebAuthn")
    if info in (20, 21):
        return info == 21, at
    if info in (22, 23):  # null, undefined
        return None, at
    if info in (25, 26, 27):
        size = 1 << (info - 24)
        return struct.unpack({2: ">e", 4: ">f", 8: ">d"}[size], argument.to_bytes(size, "big"))[0], at
    raise CBORDecodeError("simple values are not used by WebAuthn")


def dumps(value: Any) -> bytes:
    """`value` as CBOR, each length and integer in its shortest form and maps in their own order, as cbor2 writes
    them (so an item read from authenticatorData encodes again to its own length)."""
    out = bytearray()
    _encode(value, out, 0)
    return bytes(out)


def _encode_head(major: int, argument: int, out: bytearray) -> None:
    if argument < 24:
        out.append(major << 5 | argument)
        return
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * size):
            out.append(major << 5 | info)
            out += argument.to_bytes(size, "big")
            return
    raise ValueError("integers beyond 64 bits are not used by WebAuthn")


def _encode(value: Any, out: bytearray, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError("nested too deeply")
    if value is False or value is True:
        out.append(0xF5 if value else 0xF4)
    elif value is None:
        out.append(0xF6)
    elif isinstance(value, int) and value >= 0:
        _encode_head(0, value, out)
    elif isinstance(value, int):
        _encode_head(1, -1 - value, out)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        _encode_head(2, len(raw), out)
        out += raw
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        _encode_head(3, len(raw), out)
        out += raw
    elif isinstance(value, (list, tuple)):
        _encode_head(4, len(value), out)
        for item in value:
            _encode(item, out, depth + 1)
    elif isinstance(value, dict):
        _encode_head(5, len(value), out)
        for key, item in value.items():
            _encode(key, out, depth + 1)
            _encode(item, out, depth + 1)
    elif isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
        out.append(0xF9)  # as cbor2 writes them: half precision holds them exactly
        out += struct.pack(">e", value)
    elif isinstance(value, float):
        out.append(0xFB)
        out += struct.pack(">d", value)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as CBOR")
