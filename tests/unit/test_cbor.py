"""chalicelib/auth/cbor.py, the CBOR that passkeys use in place of cbor2 (which Lambda's python3.11 cannot load),
checked against cbor2 itself: the same bytes out, the same values back, and what WebAuthn must refuse refused."""

from __future__ import annotations

import math

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.auth import cbor

keys = st.one_of(st.integers(min_value=-(2**63), max_value=2**63), st.text(max_size=20), st.binary(max_size=20))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.binary(max_size=300),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(values)
def test_the_same_bytes_as_cbor2_and_the_same_values_back(value):
    encoded = cbor.dumps(value)
    assert encoded == cbor2.dumps(value)
    assert cbor.loads(encoded) == value
    assert cbor.loads(encoded + b"\x01\x02 trailing") == value  # what follows the item is left alone, as cbor2 does


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=60))
def test_any_bytes_give_a_value_or_an_error_never_a_crash(data):
    try:
        cbor.loads(data, allow_duplicate_keys=False)
    except ValueError:
        pass


def test_floats_of_every_width_are_read():
    for raw in (cbor2.dumps(1.5), bytes.fromhex("f93e00"), bytes.fromhex("fa3fc00000")):
        assert cbor.loads(raw) == 1.5
    assert math.isinf(cbor.loads(bytes.fromhex("f97c00")))


def test_what_webauthn_must_refuse_is_refused():
    duplicate = bytes.fromhex("a2010201f5")  # {1: 2, 1: true}
    one_and_true = bytes.fromhex("a201f5f5f4")  # {1: true, true: false}: one key to Python
    for data in (duplicate, one_and_true):
        assert cbor.loads(data) is not None  # cbor2's default keeps the last
        with pytest.raises(cbor.CBORDecodeError):
            cbor.loads(data, allow_duplicate_keys=False)
    for data in (
        b"",
        bytes.fromhex("5a0000ffff00"),  # a byte string longer than the data
        bytes.fromhex("9b" + "ff" * 8),  # an array of 2**64 items, with none there
        bytes.fromhex("5f4101ff"),  # an indefinite-length byte string
        bytes.fromhex("c24101"),  # a tag (bignum)
        bytes.fromhex("a1810102"),  # an array as a map key
        bytes.fromhex("63ffffff"),  # text that is not UTF-8
        b"\x81" * 40 + b"\x01",  # nested 40 deep
    ):
        with pytest.raises(ValueError):
            cbor.loads(data)


def test_a_real_attestation_and_cose_key_read_as_cbor2_reads_them():
    cose = {1: 2, 3: -7, -1: 1, -2: bytes(range(32)), -3: bytes(range(32, 64))}
    attestation = {"fmt": "none", "attStmt": {}, "authData": bytes(37) + cbor2.dumps(cose)}
    raw = cbor2.dumps(attestation)
    assert cbor.loads(raw, allow_duplicate_keys=False) == cbor2.loads(raw) == attestation
    assert len(cbor.dumps(cbor.loads(cbor2.dumps(cose) + b"\xa0extensions"))) == len(cbor2.dumps(cose))


def test_passkeys_give_webauthn_this_codec_whoever_imported_it_first():
    import sys

    import webauthn  # here first, with cbor2 itself

    from chalicelib.auth import passkeys

    assert passkeys._webauthn() is webauthn
    parse, encode = sys.modules["webauthn.helpers.parse_cbor"], sys.modules["webauthn.helpers.encode_cbor"]
    assert parse.cbor2 is cbor and encode.cbor2 is cbor
    assert parse.parse_cbor(bytes.fromhex("a201020326")) == {1: 2, 3: -7}
    assert sys.modules["cbor2"] is cbor2  # everyone else's cbor2 is left as it was


def test_without_cbor2_as_in_lambda_webauthn_still_loads(tmp_path):
    """Lambda's package has no cbor2: a fresh interpreter that cannot import it still verifies CBOR."""
    import subprocess
    import sys

    script = (
        "import sys; sys.modules['cbor2'] = None\n"  # import cbor2 fails, as in the package
        "from chalicelib.auth import passkeys\n"
        "w = passkeys._webauthn()\n"
        "from webauthn.helpers import parse_cbor\n"
        "assert parse_cbor(bytes.fromhex('a201020326')) == {1: 2, 3: -7}\n"
        "assert sys.modules['cbor2'] is None\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr
