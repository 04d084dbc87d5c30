"""Passkeys work from the Lambda package itself: unpacked as /var/task, with nothing but the package and the standard
library on the path. cbor2 cannot be shipped (no wheel for Lambda's glibc: chalicelib/auth/cbor.py stands in), so
this registers a passkey and signs in with it through `webauthn` as packaged, without it."""

from __future__ import annotations

import subprocess
import sys
import zipfile

CEREMONY = r"""
import base64, hashlib, json, os, sys
assert "cbor2" not in sys.modules
from chalicelib.auth import cbor, passkeys
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

webauthn = passkeys._webauthn()
b64 = lambda data: base64.urlsafe_b64encode(data).decode().rstrip("=")
key, credential_id, rp_id, origin = ec.generate_private_key(ec.SECP256R1()), os.urandom(32), "themead.test", "https://themead.test"
numbers = key.public_key().public_numbers()
cose = cbor.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
rp_hash = hashlib.sha256(rp_id.encode()).digest()
challenge = os.urandom(32)
client_data = json.dumps({"type": "webauthn.create", "challenge": b64(challenge), "origin": origin}).encode()
attested = bytes(16) + len(credential_id).to_bytes(2, "big") + credential_id + cose  # AAGUID, id, key
auth_data = rp_hash + bytes([0x45]) + bytes(4) + attested  # flags: present, verified, attested; count 0
attestation = cbor.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
registered = webauthn.verify_registration_response(
    credential={"id": b64(credential_id), "rawId": b64(credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64(client_data), "attestationObject": b64(attestation)}},
    expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origin, require_user_verification=True)
challenge = os.urandom(32)
client_data = json.dumps({"type": "webauthn.get", "challenge": b64(challenge), "origin": origin}).encode()
auth_data = rp_hash + bytes([0x05]) + (1).to_bytes(4, "big")
signature = key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
used = webauthn.verify_authentication_response(
    credential={"id": b64(credential_id), "rawId": b64(credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64(client_data), "authenticatorData": b64(auth_data),
                             "signature": b64(signature)}},
    expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origin,
    credential_public_key=registered.credential_public_key, credential_current_sign_count=0,
    require_user_verification=True)
assert used.new_sign_count == 1
print("passkey ok")
"""


def test_the_package_registers_and_uses_a_passkey_without_cbor2(packaged, tmp_path):
    with zipfile.ZipFile(packaged.zip_path) as package:
        names = package.namelist()
        package.extractall(tmp_path)
    assert any(name.startswith("webauthn/") for name in names)
    assert not any(name.startswith("cbor2") for name in names)  # chalice cannot ship it: see chalicelib/auth/cbor.py
    env = {"PYTHONPATH": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1", "LANTERN_SETTINGS": "chalicelib/school.toml"}
    done = subprocess.run(
        [sys.executable, "-S", "-c", CEREMONY], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == "passkey ok", done.stderr
