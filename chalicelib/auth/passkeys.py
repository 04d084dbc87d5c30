"""Passkeys (WebAuthn): the quicker second step of signing in, for school iPads and Chromebooks (issue 10).

A passkey never replaces the password. It answers only a *pending* sign-in (the password done, stage "code"), and
goes through the same count, acceptance and refusal as a code (`second_factor.take_attempt`, `accept`, `refuse`).
An account adds one once it is fully signed in, so after it has set up its authenticator app, which stays the
fallback. An admin's reset of the second factor removes them all (`second_factor.reset`).

Challenges: 32 random bytes, made by the server for one purpose ("register" or "sign-in"). Only their SHA-256 is
kept, with that browser's session (`LoginSession.challenge_*`), for CHALLENGE_LIFETIME. Any answer uses the
challenge up, whatever its outcome: a conditional update removes it before anything else is checked. So an answer
works once, only in the session that asked for it, and only for what it was asked for. The challenge the browser
sends back is believed only when its hash is the one kept.

Relying party: the school's own address from its settings (`SchoolSettings.url`). The rp id is its host name and
the expected origin is its scheme://host[:port]. Locally that address is http://127.0.0.1:PORT, and browsers
refuse an IP address as an rp id (Chromium: "This is an invalid domain"). So a loopback address is named
`localhost`, which is the same server and also a secure context over plain http. Locally, passkeys work at
http://localhost:PORT.

User verification is *required*: the device checks who is holding it (Face ID, Touch ID, a Chromebook's PIN or
fingerprint, a security key's PIN) before it signs. School iPads and Chromebooks are often shared, and their passkeys
may sync to a shared Apple or Google account. Without that check, anyone holding the device who knew the password
would get in. The built-in authenticators of the devices the issue names all verify. A security key without a PIN
is asked to set one. Resident (discoverable) keys are preferred, not required: signing in lists the account's own
credentials (allowCredentials), so a security key that cannot store one works too.

Sign count: each use must report a higher count than the last, unless the authenticator keeps none (both are 0,
as synced passkeys report). A count that stays or goes backwards means two copies of one key (a cloned
authenticator): it is refused and audited. Attestation is "none": Lantern trusts the person already signed in, not
a device maker.

The `webauthn` library (with cryptography and pyOpenSSL) is imported only inside these functions (`_webauthn`), so
it stays off the cold start. It reads and writes CBOR with chalicelib/auth/cbor.py, not cbor2, which cannot be
shipped to Lambda's python3.11 (see there).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import sys
import threading
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import size

from chalicelib import audit
from chalicelib.auth import second_factor, sessions
from chalicelib.clock import utcnow
from chalicelib.errors import ConflictError, InvalidInputError, LanternError, NotFoundError, NotSignedInError
from chalicelib.log import logger
from chalicelib.models import LoginSession, Passkey, Staff
from chalicelib.settings import SchoolSettings

if TYPE_CHECKING:
    from chalicelib.web.requests import NewPasskey, PasskeySignIn

CHALLENGE_LIFETIME = timedelta(minutes=5)
CEREMONY_TIMEOUT_MS = 180_000  # the browser's own limit: inside the challenge's lifetime
MAX_PASSKEYS = 10
REGISTER, SIGN_IN = "register", "sign-in"
LOOPBACK = frozenset({"127.0.0.1", "::1"})
TRANSPORTS = frozenset({"ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"})
NOT_USED = "Your passkey could not be used. Try it again, or enter the code from your authenticator app instead."
NOT_ADDED = "The passkey was not added. Try again; if it keeps failing, keep using your authenticator app."
_BASE64URL = r"[A-Za-z0-9_-]+={0,2}"  # compiled on first use, not at import

# The pages send WebAuthn's binary values as base64url text (chalicelib/web/requests.py: PasskeySignIn, NewPasskey);
# a credential id is at most 1,023 bytes.
MAX_CREDENTIAL_TEXT = 1400


_LOADING = threading.Lock()


def _webauthn():
    """The `webauthn` library, reading and writing CBOR with chalicelib/auth/cbor.py, locally as in Lambda (where
    there is no cbor2): its two helpers that use cbor2 are given Lantern's codec, whoever imported the library."""
    from chalicelib.auth import cbor

    with _LOADING:
        absent = object()
        before = sys.modules.get("cbor2", absent)
        sys.modules["cbor2"] = cbor  # what webauthn's helpers bind when they are first imported
        try:
            import webauthn
        finally:
            if before is absent:
                del sys.modules["cbor2"]
            else:
                sys.modules["cbor2"] = before
        for helper in ("webauthn.helpers.parse_cbor", "webauthn.helpers.encode_cbor"):
            sys.modules[helper].cbor2 = cbor  # the modules (webauthn.helpers names functions after them)
    return webauthn


class PasskeyRefusedError(InvalidInputError):
    """A passkey answer Lantern will not take; the message says what the person can do instead."""


def relying_party(url: str) -> tuple[str, str]:
    """(rp id, expected origin) from the school's own address; loopback is named localhost (browsers refuse IPs).

    >>> relying_party("https://lantern.themead.example.org")
    ('lantern.themead.example.org', 'https://lantern.themead.example.org')
    >>> relying_party("http://127.0.0.1:8000")
    ('localhost', 'http://localhost:8000')
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in LOOPBACK:
        host = "localhost"
    port = f":{parts.port}" if parts.port else ""
    return host, f"{parts.scheme}://{host}{port}"


def _bytes(text: str) -> bytes:
    """base64url text (padded or not) as bytes; anything else is refused."""
    if not re.fullmatch(_BASE64URL, text):
        raise InvalidInputError(NOT_USED)
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInputError(NOT_USED) from None


def _text(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _challenge_hash(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def _new_challenge(session: LoginSession, purpose: str, now: datetime) -> bytes:
    """A fresh challenge for this session (replacing any earlier one): only its hash is kept."""
    challenge = secrets.token_bytes(32)
    try:
        session.update(
            actions=[
                LoginSession.challenge_hash.set(_challenge_hash(challenge)),
                LoginSession.challenge_purpose.set(purpose),
                LoginSession.challenge_at.set(now),
            ],
            condition=LoginSession.token_hash.exists(),  # never bring back a session that logged out meanwhile
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise NotSignedInError() from None
        raise
    return challenge


def _use_challenge(session: LoginSession, purpose: str, client_data: bytes, now: datetime) -> bytes | None:
    """Use up the session's challenge (whatever the answer) and return it if `client_data` answers it: made for
    `purpose`, not expired, and the very one the browser signed. None otherwise."""
    kept, kept_for, made_at = session.challenge_hash, session.challenge_purpose, session.challenge_at
    if not kept:
        return None
    try:
        session.update(
            actions=[
                LoginSession.challenge_hash.remove(),
                LoginSession.challenge_purpose.remove(),
                LoginSession.challenge_at.remove(),
            ],
            condition=LoginSession.challenge_hash == kept,
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None  # another answer used it a moment ago
        raise
    if kept_for != purpose or made_at is None or now - made_at > CHALLENGE_LIFETIME:
        return None
    try:
        signed = json.loads(client_data.decode("utf-8")).get("challenge")
        challenge = _bytes(signed) if isinstance(signed, str) else b""
    except (ValueError, AttributeError, RecursionError, LanternError):
        return None
    if not challenge or not secrets.compare_digest(_challenge_hash(challenge), kept):
        return None
    return challenge


def _options_json(options) -> dict:
    return json.loads(_webauthn().options_to_json(options))


# --- Adding a passkey (a full session of a role with a second factor) ----------------------------------------


def registration_options(school: SchoolSettings, token: str | None, now: datetime | None = None) -> dict:
    """The options for navigator.credentials.create(), as JSON, with a new challenge kept for this session."""
    generate_registration_options = _webauthn().generate_registration_options
    from webauthn.helpers.structs import (
        AttestationConveyancePreference,
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    now = now or utcnow()
    session, staff = sessions.resume(token, now)
    held = staff.passkeys or []
    if len(held) >= MAX_PASSKEYS:
        raise InvalidInputError(f"You already have {MAX_PASSKEYS} passkeys. Remove one you no longer use first.")
    rp_id, _ = relying_party(school.url)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=f"Lantern ({school.name})",
        user_name=staff.email,
        user_id=staff.staff_id.encode("utf-8"),  # a random UUID: nothing about the person
        user_display_name=staff.name,
        challenge=_new_challenge(session, REGISTER, now),
        timeout=CEREMONY_TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=_bytes(p.credential_id)) for p in held],
    )
    return {"options": _options_json(options)}


def register(
    school: SchoolSettings, token: str | None, form: NewPasskey, source: dict, now: datetime | None = None
) -> dict:
    """Check the browser's answer to `registration_options` and add the passkey to the account; audited."""
    verify_registration_response = _webauthn().verify_registration_response
    from webauthn.helpers.exceptions import WebAuthnException

    now = now or utcnow()
    session, staff = sessions.resume(token, now)
    subject = f"staff#{staff.staff_id}"
    client_data = _bytes(form.client_data)

    def refused(reason: str, message: str = NOT_ADDED) -> PasskeyRefusedError:
        audit.record(subject, staff.staff_id, f"passkey not added: {reason}", source, now)
        logger.info("passkey not added", extra={"staff_id": staff.staff_id, "reason": reason})
        return PasskeyRefusedError(message)

    challenge = _use_challenge(session, REGISTER, client_data, now)
    if challenge is None:
        raise refused("no such challenge (used, expired or another session's)")
    rp_id, origin = relying_party(school.url)
    transports = [t for t in form.transports.split(",") if t in TRANSPORTS]
    try:
        verified = verify_registration_response(
            credential={
                "id": form.id,
                "rawId": form.id,
                "type": "public-key",
                "response": {
                    "clientDataJSON": form.client_data,
                    "attestationObject": form.attestation_object,
                    "transports": transports,
                },
            },
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise refused(f"not verified ({type(error).__name__})") from None
    credential_id = _text(verified.credential_id)
    held = staff.passkeys or []
    if any(secrets.compare_digest(p.credential_id, credential_id) for p in held):
        raise refused("already added", "This passkey has already been added.")
    passkey = Passkey(
        passkey_id=uuid.uuid4().hex,
        credential_id=credential_id,
        public_key=_text(verified.credential_public_key),
        sign_count=verified.sign_count,
        label=form.label or "Passkey",
        transports=transports or None,
        created_at=now,
    )
    try:
        staff.update(
            actions=[Staff.passkeys.set((Staff.passkeys | []).append([passkey]))],
            condition=Staff.passkeys.does_not_exist() | (size(Staff.passkeys) < MAX_PASSKEYS),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise refused("too many passkeys", f"You already have {MAX_PASSKEYS} passkeys.") from None
        raise
    audit.record(subject, staff.staff_id, "added a passkey", source, now)
    logger.info("passkey added", extra={"staff_id": staff.staff_id})
    return {"passkey": _row(passkey), "passkeys": [_row(p) for p in staff.passkeys or []]}


def _row(passkey: Passkey) -> dict:
    return {
        "id": passkey.passkey_id,
        "label": passkey.label,
        "created_at": passkey.created_at.isoformat(),
        "last_used_at": passkey.last_used_at.isoformat() if passkey.last_used_at else None,
    }


def listing(staff: Staff) -> dict:
    """The account's own passkeys, as its page lists them (never a key or a credential id)."""
    return {"passkeys": [_row(p) for p in staff.passkeys or []]}


def remove(staff: Staff, passkey_id: str, source: dict, now: datetime | None = None) -> dict:
    """Remove one of the account's own passkeys (a lost or replaced device); audited."""
    now = now or utcnow()
    held = staff.passkeys or []
    index = next((i for i, p in enumerate(held) if p.passkey_id == passkey_id), None)
    if index is None:
        raise NotFoundError("There is no such passkey. Reload the page.")
    try:
        staff.update(
            actions=[Staff.passkeys[index].remove()],
            condition=Staff.passkeys[index].passkey_id == passkey_id,
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise ConflictError("Your passkeys changed a moment ago. Reload the page.") from None
        raise
    audit.record(f"staff#{staff.staff_id}", staff.staff_id, "removed a passkey", source, now)
    logger.info("passkey removed", extra={"staff_id": staff.staff_id})
    return listing(staff)


# --- Signing in with a passkey (the second step of a pending sign-in) -----------------------------------------


def sign_in_options(school: SchoolSettings, token: str | None, now: datetime | None = None) -> dict:
    """For a pending sign-in at the code step: the options for navigator.credentials.get() with a new challenge,
    or `{"options": None}` when the account has no passkey (the page then asks for the code)."""
    generate_authentication_options = _webauthn().generate_authentication_options
    from webauthn.helpers.structs import (
        AuthenticatorTransport,
        PublicKeyCredentialDescriptor,
        UserVerificationRequirement,
    )

    now = now or utcnow()
    session, staff = sessions.resume(token, now, stage="code")
    held = staff.passkeys or []
    if not held:
        return {"options": None}
    rp_id, _ = relying_party(school.url)
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=_new_challenge(session, SIGN_IN, now),
        timeout=CEREMONY_TIMEOUT_MS,
        allow_credentials=[
            PublicKeyCredentialDescriptor(
                id=_bytes(p.credential_id),
                transports=[AuthenticatorTransport(t) for t in p.transports or [] if t in TRANSPORTS] or None,
            )
            for p in held
        ],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return {"options": _options_json(options)}


def sign_in(
    school: SchoolSettings, token: str | None, form: PasskeySignIn, source: dict, now: datetime | None = None
) -> Staff:
    """Check a passkey's answer for a pending "code" sign-in; on success the sign-in becomes full, exactly as with
    a code (`second_factor.accept`). Every refusal is audited (`second_factor.refuse`)."""
    verify_authentication_response = _webauthn().verify_authentication_response
    from webauthn.helpers.exceptions import WebAuthnException

    now = now or utcnow()
    session, staff = sessions.resume(token, now, stage="code")
    client_data = _bytes(form.client_data)
    _bytes(form.id)  # base64url text (so ASCII) before it is compared with the account's credentials
    second_factor.take_attempt(staff, now)

    def refuse(reason: str) -> NoReturn:
        second_factor.refuse(staff, f"passkey {reason}", NOT_USED, source, field="passkey")

    challenge = _use_challenge(session, SIGN_IN, client_data, now)
    if challenge is None:
        refuse("answered no challenge of this sign-in (used, expired or another's)")
    held = staff.passkeys or []
    index = next((i for i, p in enumerate(held) if secrets.compare_digest(p.credential_id, form.id)), None)
    if index is None:
        refuse("not one of this account's")
    passkey = held[index]
    user_handle = form.user_handle
    if user_handle and _bytes(user_handle) != staff.staff_id.encode("utf-8"):
        refuse("of another account")
    rp_id, origin = relying_party(school.url)
    try:
        verified = verify_authentication_response(
            credential={
                "id": form.id,
                "rawId": form.id,
                "type": "public-key",
                "response": {
                    "clientDataJSON": form.client_data,
                    "authenticatorData": form.authenticator_data,
                    "signature": form.signature,
                    **({"userHandle": user_handle} if user_handle else {}),
                },
            },
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=_bytes(passkey.public_key),
            credential_current_sign_count=0,  # the count is checked below, once the signature is known good
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        refuse(f"not verified ({type(error).__name__})")
    count, last = verified.new_sign_count, int(passkey.sign_count or 0)
    if (count or last) and count <= last:
        refuse(f"sign count went backwards ({count} after {last}): a cloned authenticator?")
    try:
        staff.update(
            actions=[Staff.passkeys[index].sign_count.set(count), Staff.passkeys[index].last_used_at.set(now)],
            condition=(Staff.passkeys[index].credential_id == passkey.credential_id)
            & ((Staff.passkeys[index].sign_count < count) | (Staff.passkeys[index].sign_count == 0)),
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        refuse("used at the same moment elsewhere (sign count)")
    return second_factor.accept(session, staff, "a passkey", source)
