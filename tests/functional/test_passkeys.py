"""Passkeys (WebAuthn), the quicker second step (issue 10), against a tiny software authenticator: an EC P-256 key
that builds authenticatorData, clientDataJSON and a "none" attestation in CBOR, and signs assertions as a phone or
a Chromebook would. A passkey is added once signed in, then answers the second step exactly as a code does; it never
skips the password; challenges work once, in their own sign-in; wrong origins, rp ids, credentials, accounts and
sign counts are refused and audited; an admin's reset removes every passkey."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import timedelta

import cbor2
import pyotp
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.auth import passkeys
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidInputError
from chalicelib.models import AuditEntry, LoginSession, Staff
from chalicelib.settings import ROLE_LABELS
from chalicelib.web.requests import PasskeySignIn, validate
from tests.functional.test_second_factor import PASSWORD, enrol, sign_in
from tests.helpers import Api, make_staff, session_cookie_for

RP_ID, ORIGIN = "themead.test", "https://themead.test"  # the `school` fixture's address
UP, UV, AT = 0x01, 0x04, 0x40  # authenticatorData flags: user present, user verified, attested credential data


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """One passkey on one device: an EC P-256 key pair, its credential id and its signature counter."""

    def __init__(self, *, counts: bool = True) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.sign_count = 0
        self.counts = counts  # synced passkeys keep no counter: always 0

    @property
    def id(self) -> str:
        return b64(self.credential_id)

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    @staticmethod
    def client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}).encode()

    def create(self, options: dict, *, origin: str = ORIGIN, rp_id: str = RP_ID, flags: int = UP | UV) -> dict:
        """navigator.credentials.create(): the body the page sends to POST /account/passkeys."""
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([flags | AT])
            + self.sign_count.to_bytes(4, "big")
            + bytes(16)  # AAGUID: none
            + len(self.credential_id).to_bytes(2, "big")
            + self.credential_id
            + self.cose_key()
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": self.id,
            "client_data": b64(self.client_data("webauthn.create", options["challenge"], origin)),
            "attestation_object": b64(attestation),
            "transports": "internal",
            "label": "Staffroom iPad",
        }

    def get(
        self,
        options: dict,
        *,
        origin: str = ORIGIN,
        rp_id: str = RP_ID,
        flags: int = UP | UV,
        user_handle: str | None = None,
        count: int | None = None,
    ) -> dict:
        """navigator.credentials.get(): the body the page sends to POST /auth/passkey."""
        if count is None and self.counts:
            self.sign_count += 1
        count = self.sign_count if count is None else count
        client_data = self.client_data("webauthn.get", options["challenge"], origin)
        auth_data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + count.to_bytes(4, "big")
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        body = {
            "id": self.id,
            "client_data": b64(client_data),
            "authenticator_data": b64(auth_data),
            "signature": b64(signature),
        }
        if user_handle is not None:
            body["user_handle"] = user_handle
        return body


def actions(staff) -> list[str]:
    return [e.action for e in AuditEntry.query(f"staff#{staff.staff_id}") if e.entry != "~head"]


def signed_in_with_totp(client, role: str = "leader", email: str | None = None):
    """An account of `role` that has set up its authenticator app (directly: test_second_factor.py proves the
    pages' way, and the first test here goes through it), and a full session for it."""
    staff = make_staff(role, password=PASSWORD, email=email)
    staff.update(actions=[Staff.totp_secret.set(pyotp.random_base32()), Staff.second_factor_at.set(utcnow())])
    return staff, Api(client, session_cookie_for(staff))


def add_passkey(api: Api, authenticator: SoftAuthenticator) -> dict:
    options = api.post("/account/passkeys/options")
    assert options.status_code == 200, options.data
    added = api.post("/account/passkeys", authenticator.create(options.data["options"]))
    assert added.status_code == 201, added.data
    return added.data


def at_the_second_step(api: Api, email: str) -> dict | None:
    """Log out, log in with the password; the passkey options the code page would ask for."""
    api.post("/auth/logout")
    assert sign_in(api, email) == {"next": "code"}
    response = api.post("/auth/passkey/options")
    assert response.status_code == 200, response.data
    return response.data["options"]


def test_a_leader_adds_a_passkey_and_signs_in_with_it_exactly_as_with_a_code(client, school):
    leader = make_staff("leader", password=PASSWORD)
    api = Api(client)
    enrol(api, leader.email)  # the authenticator app set up: the same session goes on to add a passkey
    phone = SoftAuthenticator()

    options = api.post("/account/passkeys/options").data["options"]
    assert options["rp"]["id"] == RP_ID and options["user"]["name"] == leader.email
    assert unb64(options["user"]["id"]) == leader.staff_id.encode()  # a random id, nothing about the person
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["attestation"] == "none" and options["excludeCredentials"] == []
    session = LoginSession.get(_token_hash(api))
    assert session.challenge_hash == hashlib.sha256(unb64(options["challenge"])).hexdigest()  # only its hash kept
    assert options["challenge"] not in json.dumps(session.attribute_values, default=str)
    added = api.post("/account/passkeys", phone.create(options))
    assert added.status_code == 201, added.data
    assert added.data["passkey"]["label"] == "Staffroom iPad" and added.data["passkey"]["last_used_at"] is None
    assert "public_key" not in json.dumps(added.data) and phone.id not in json.dumps(added.data)
    stored = Staff.get(leader.staff_id).passkeys[0]
    assert stored.credential_id == phone.id and stored.sign_count == 0 and stored.transports == ["internal"]
    assert api.get("/account/passkeys").data["passkeys"] == [added.data["passkey"]]
    again = api.post("/account/passkeys/options").data["options"]
    assert again["excludeCredentials"] == [{"id": phone.id, "type": "public-key"}]  # not added twice

    options = at_the_second_step(api, leader.email)
    assert api.get("/me").status_code == 401  # the password alone reaches nothing
    assert options["rpId"] == RP_ID and options["userVerification"] == "required"
    assert [c["id"] for c in options["allowCredentials"]] == [phone.id]
    done = api.post("/auth/passkey", phone.get(options, user_handle=b64(leader.staff_id.encode())))
    assert done.status_code == 200, done.data
    assert done.data == {"user": {"name": leader.name, "role": "leader", "role_label": ROLE_LABELS["leader"]}}
    assert api.get("/me").status_code == 200
    assert LoginSession.get(_token_hash(api)).stage == "full"
    stored = Staff.get(leader.staff_id).passkeys[0]
    assert stored.sign_count == 1 and stored.last_used_at is not None

    # The same audit entries as a code: the code path is the one way through the second step.
    api.post("/auth/logout")
    sign_in(api, leader.email)
    totp = Staff.get(leader.staff_id).totp_secret
    assert api.post("/auth/code", {"code": pyotp.TOTP(totp).at(utcnow() + timedelta(seconds=30))}).status_code == 200
    assert actions(leader) == [
        "set up an authenticator app",
        "added a passkey",
        "signed in with a passkey",
        "signed in with a code",
    ]


def _token_hash(api: Api) -> str:
    from chalicelib.auth.sessions import token_hash

    return token_hash(api.cookie.split("=", 1)[1])


def test_a_passkey_never_skips_the_password(client, school):
    leader, api = signed_in_with_totp(client)
    phone = SoftAuthenticator()
    add_passkey(api, phone)
    options = at_the_second_step(api, leader.email)
    answer = phone.get(options)

    nobody = Api(client)
    assert nobody.post("/auth/passkey/options").status_code == 401
    assert nobody.post("/auth/passkey", answer).status_code == 401
    signed_in = Api(client, session_cookie_for(leader))  # a full session has no second step to answer
    assert signed_in.post("/auth/passkey/options").status_code == 401
    assert signed_in.post("/auth/passkey", answer).status_code == 401
    # A sign-in waiting for its second step cannot add a passkey, nor list them.
    assert api.post("/account/passkeys/options").status_code == 401
    assert api.get("/account/passkeys").status_code == 401
    # Staff who only report have no second factor, and so no passkeys.
    teacher = Api(client, session_cookie_for(make_staff("staff", password=PASSWORD)))
    assert teacher.post("/account/passkeys/options").status_code == 403
    assert api.post("/auth/passkey", answer).status_code == 200  # the pending sign-in itself: yes


def test_a_challenge_works_once_and_only_in_the_sign_in_that_asked_for_it(client, school):
    leader, api = signed_in_with_totp(client)
    phone = SoftAuthenticator()
    add_passkey(api, phone)

    options = at_the_second_step(api, leader.email)
    wrong = api.post("/auth/passkey", phone.get(options, origin="https://evil.example"))
    assert wrong.status_code == 400 and wrong.data["fields"] == {"passkey": passkeys.NOT_USED}
    used_up = api.post("/auth/passkey", phone.get(options))  # right this time, but that challenge has gone
    assert used_up.status_code == 400
    assert api.get("/me").status_code == 401

    options = api.post("/auth/passkey/options").data["options"]
    answer = phone.get(options)
    assert api.post("/auth/passkey", answer).status_code == 200
    # Replayed: in a new sign-in (which has its own challenge, or none yet), the old answer is worth nothing.
    api.post("/auth/logout")
    sign_in(api, leader.email)
    assert api.post("/auth/passkey", answer).status_code == 400
    api.post("/auth/passkey/options")
    assert api.post("/auth/passkey", answer).status_code == 400
    # Another browser's sign-in, at the same moment, cannot answer this one's challenge either.
    other = Api(client)
    sign_in(other, leader.email)
    options = api.post("/auth/passkey/options").data["options"]
    assert other.post("/auth/passkey", phone.get(options)).status_code == 400
    assert api.get("/me").status_code == 401 and other.get("/me").status_code == 401
    refusals = [a for a in actions(leader) if a.startswith("second factor refused")]
    assert len(refusals) == 5
    assert all(a.startswith("second factor refused: passkey") for a in refusals)


def test_a_challenge_expires_after_five_minutes(client, school):
    leader, api = signed_in_with_totp(client)
    phone = SoftAuthenticator()
    add_passkey(api, phone)
    options = at_the_second_step(api, leader.email)
    token = api.cookie.split("=", 1)[1]
    later = utcnow() + passkeys.CHALLENGE_LIFETIME + timedelta(seconds=5)
    with pytest.raises(InvalidInputError):
        answer = validate(PasskeySignIn, phone.get(options))  # as the route reads it
        passkeys.sign_in(school, token, answer, {"ip": "", "user_agent": ""}, now=later)
    assert LoginSession.get(_token_hash(api)).stage == "code"


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"origin": "https://themead.test.evil.example"}, "not verified"),
        ({"origin": "http://themead.test"}, "not verified"),
        ({"rp_id": "evil.example"}, "not verified"),
        ({"flags": UP}, "not verified"),  # the device did not check who was holding it
    ],
)
def test_a_wrong_origin_rp_id_or_an_unverified_person_is_refused(client, school, change, refusal):
    leader, api = signed_in_with_totp(client)
    phone = SoftAuthenticator()

    options = api.post("/account/passkeys/options").data["options"]
    assert api.post("/account/passkeys", phone.create(options, **change)).status_code == 400
    assert Staff.get(leader.staff_id).passkeys is None
    add_passkey(api, phone)

    options = at_the_second_step(api, leader.email)
    refused = api.post("/auth/passkey", phone.get(options, **change))
    assert refused.status_code == 400
    assert api.get("/me").status_code == 401
    assert any(a.startswith(f"passkey not added: {refusal}") for a in actions(leader))
    assert any(a.startswith(f"second factor refused: passkey {refusal}") for a in actions(leader))


def test_an_unknown_passkey_and_another_accounts_passkey_are_refused(client, school):
    first, first_api = signed_in_with_totp(client, "leader", "first.leader@themead.example.org")
    second, second_api = signed_in_with_totp(client, "dsl", "second.dsl@themead.example.org")
    first_phone, second_phone = SoftAuthenticator(), SoftAuthenticator()
    add_passkey(first_api, first_phone)
    add_passkey(second_api, second_phone)

    options = at_the_second_step(second_api, second.email)
    stranger = SoftAuthenticator()  # never added anywhere
    assert second_api.post("/auth/passkey", stranger.get(options)).status_code == 400
    options = second_api.post("/auth/passkey/options").data["options"]
    # The first account's own passkey, answering the second account's challenge: not one of its passkeys.
    assert second_api.post("/auth/passkey", first_phone.get(options)).status_code == 400
    # The second account's credential id, signed by another key (or claiming another user): refused too.
    options = second_api.post("/auth/passkey/options").data["options"]
    forged = first_phone.get(options)
    forged["id"] = second_phone.id
    assert second_api.post("/auth/passkey", forged).status_code == 400
    options = second_api.post("/auth/passkey/options").data["options"]
    claimed = second_phone.get(options, user_handle=b64(first.staff_id.encode()))
    assert second_api.post("/auth/passkey", claimed).status_code == 400
    assert second_api.get("/me").status_code == 401
    assert [a for a in actions(second) if "refused" in a] == [
        "second factor refused: passkey not one of this account's",
        "second factor refused: passkey not one of this account's",
        "second factor refused: passkey not verified (InvalidAuthenticationResponse)",
        "second factor refused: passkey of another account",
    ]
    # Removing a passkey works only on one's own.
    first_id = first_api.get("/account/passkeys").data["passkeys"][0]["id"]
    other = Api(client, session_cookie_for(second))
    assert other.post(f"/account/passkeys/{first_id}/remove", {}).status_code == 404
    assert first_api.post(f"/account/passkeys/{first_id}/remove", {}).data == {"passkeys": []}
    assert actions(first)[-1] == "removed a passkey"


def test_a_sign_count_that_goes_backwards_is_refused_as_a_cloned_authenticator(client, school):
    leader, api = signed_in_with_totp(client)
    phone = SoftAuthenticator()
    add_passkey(api, phone)
    for _ in range(2):
        options = at_the_second_step(api, leader.email)
        assert api.post("/auth/passkey", phone.get(options)).status_code == 200
    assert Staff.get(leader.staff_id).passkeys[0].sign_count == 2

    options = at_the_second_step(api, leader.email)
    clone = api.post("/auth/passkey", phone.get(options, count=1))  # a copy of the key, a use behind
    assert clone.status_code == 400
    options = api.post("/auth/passkey/options").data["options"]
    assert api.post("/auth/passkey", phone.get(options, count=2)).status_code == 400  # not moved on either
    assert api.get("/me").status_code == 401
    assert actions(leader)[-2:] == [
        "second factor refused: passkey sign count went backwards (1 after 2): a cloned authenticator?",
        "second factor refused: passkey sign count went backwards (2 after 2): a cloned authenticator?",
    ]
    assert Staff.get(leader.staff_id).passkeys[0].sign_count == 2
    options = api.post("/auth/passkey/options").data["options"]
    assert api.post("/auth/passkey", phone.get(options)).status_code == 200  # the real device, moving on


def test_a_passkey_that_keeps_no_count_works_every_time(client, school):
    leader, api = signed_in_with_totp(client)
    synced = SoftAuthenticator(counts=False)  # as iCloud Keychain and Google Password Manager report: always 0
    add_passkey(api, synced)
    for _ in range(2):
        options = at_the_second_step(api, leader.email)
        assert api.post("/auth/passkey", synced.get(options)).status_code == 200


def test_an_admins_reset_of_the_second_factor_removes_every_passkey(client, school):
    leader, api = signed_in_with_totp(client)
    phone = SoftAuthenticator()
    add_passkey(api, phone)
    options = at_the_second_step(api, leader.email)  # a sign-in waiting, with a challenge
    admin = Api(client, session_cookie_for(make_staff("admin", email="it@themead.example.org")))
    assert admin.post(f"/admin/staff/{leader.staff_id}/reset-second-factor", {}).status_code == 200

    assert Staff.get(leader.staff_id).passkeys is None
    assert api.post("/auth/passkey", phone.get(options)).status_code == 401  # that sign-in has ended
    assert sign_in(api, leader.email) == {"next": "enrol"}
    assert api.post("/auth/passkey/options").status_code == 401  # enrolling first: no passkey step
    api.post("/auth/logout")
    enrol(api, leader.email)
    assert at_the_second_step(api, leader.email) is None  # the page asks for the code
    assert api.post("/auth/passkey", phone.get({"challenge": b64(b"x" * 32)})).status_code == 400
    assert api.get("/me").status_code == 401


def test_no_more_than_ten_passkeys_and_bodies_that_are_not_passkeys_are_refused(client, school):
    leader, api = signed_in_with_totp(client)
    for _ in range(passkeys.MAX_PASSKEYS):
        add_passkey(api, SoftAuthenticator())
    too_many = api.post("/account/passkeys/options")
    assert too_many.status_code == 400 and "Remove one" in too_many.data["error"]
    options = at_the_second_step(api, leader.email)
    assert len(options["allowCredentials"]) == passkeys.MAX_PASSKEYS
    for junk in (
        {"id": "not base64!", "client_data": "x", "authenticator_data": "x", "signature": "x"},
        {"id": "AAAA", "client_data": b64(b"[" * 3000), "authenticator_data": "AAAA", "signature": "AAAA"},
        {"id": "AAAA", "client_data": b64(b'{"challenge": 5}'), "authenticator_data": "AAAA", "signature": "AAAA"},
    ):
        response = api.post("/auth/passkey", junk)
        assert response.status_code == 400, response.data
    options = api.post("/auth/passkey/options").data["options"]
    answer = {**SoftAuthenticator().get(options), "id": "é" * 20}  # the right challenge, an id that is not base64url
    assert api.post("/auth/passkey", answer).status_code == 400
