// Passkeys (WebAuthn) in the browser, for the second step of logging in (sign-in-code.js) and the Passkeys page
// (passkeys.js): the server's JSON options become what navigator.credentials wants, and the browser's answer
// becomes the JSON the server reads, with every binary value as base64url text. The server makes and checks every
// challenge; nothing here decides anything.

/** Can this browser make and use passkeys? (Safari on iPad, Chrome on Chromebooks, Edge: yes.) */
export function passkeysSupported() {
  return typeof window.PublicKeyCredential === "function" && Boolean(navigator.credentials);
}

/** "AQID" → Uint8Array [1, 2, 3] (base64url, with or without padding). */
export function fromBase64url(text) {
  const base64 = String(text || "").replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** An ArrayBuffer (or view) → base64url text without padding. */
export function toBase64url(buffer) {
  const bytes =
    buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const withBinaryIds = (list) => (Array.isArray(list) ? list : []).map((item) => ({ ...item, id: fromBase64url(item.id) }));

/** Add a passkey on this device: the body for POST /account/passkeys. Throws what the browser throws. */
export async function createPasskey(options, label) {
  const publicKey = {
    ...options,
    challenge: fromBase64url(options.challenge),
    user: { ...options.user, id: fromBase64url(options.user.id) },
    excludeCredentials: withBinaryIds(options.excludeCredentials),
  };
  const credential = await navigator.credentials.create({ publicKey });
  const { response } = credential;
  const transports = typeof response.getTransports === "function" ? response.getTransports() : [];
  return {
    id: credential.id,
    client_data: toBase64url(response.clientDataJSON),
    attestation_object: toBase64url(response.attestationObject),
    transports: transports.join(","),
    label: String(label || "").slice(0, 60),
  };
}

/** Use a passkey for the second step of logging in: the body for POST /auth/passkey. Throws what the browser throws. */
export async function usePasskey(options) {
  const publicKey = {
    ...options,
    challenge: fromBase64url(options.challenge),
    allowCredentials: withBinaryIds(options.allowCredentials),
  };
  const credential = await navigator.credentials.get({ publicKey });
  const { response } = credential;
  const body = {
    id: credential.id,
    client_data: toBase64url(response.clientDataJSON),
    authenticator_data: toBase64url(response.authenticatorData),
    signature: toBase64url(response.signature),
  };
  if (response.userHandle && response.userHandle.byteLength) body.user_handle = toBase64url(response.userHandle);
  return body;
}

/**
 * What to tell the person when the device's passkey prompt ended without a passkey. `rpId` is the address the
 * server named: a page opened at another address (http://127.0.0.1 on a developer's machine, where the local
 * server is also http://localhost) cannot use passkeys, and says where it can.
 */
export function passkeyProblem(error, rpId = "") {
  const name = error && error.name;
  if (name === "NotAllowedError" || name === "AbortError") return "The passkey was not used: it was cancelled, or took too long.";
  if (name === "InvalidStateError") return "This device already has a passkey for your account.";
  if (name === "SecurityError" && rpId && location.hostname !== rpId) {
    return `Passkeys work only at this school’s Lantern address: open ${location.protocol}//${rpId}${location.port ? `:${location.port}` : ""}.`;
  }
  if (name === "NotSupportedError") return "This device cannot make a passkey that Lantern accepts.";
  return "The passkey could not be used on this device.";
}

/** A name for a new passkey from the device it is made on, which the person can change. */
export function deviceName(agent = navigator.userAgent, touchPoints = navigator.maxTouchPoints || 0) {
  if (/CrOS/.test(agent)) return "Chromebook";
  if (/iPad/.test(agent) || (/Macintosh/.test(agent) && touchPoints > 1)) return "iPad"; // iPadOS says "Macintosh"
  if (/iPhone/.test(agent)) return "iPhone";
  if (/Android/.test(agent)) return "Android device";
  if (/Windows/.test(agent)) return "Windows computer";
  if (/Macintosh/.test(agent)) return "Mac";
  return "This device";
}
