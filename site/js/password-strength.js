// A rough guide to a new password's strength, shown as the person types. The server's policy
// (chalicelib/auth/passwords.py) decides; this only warns early about what it would refuse.

export const MIN_LENGTH = 12;

const squash = (text) => text.toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");

/**
 * `{level, text}` for a password, or null when it is empty. Lengths count characters, not
 * UTF-16 units, as the server does.
 *
 *   passwordStrength("lantern", "The Mead")  // {level: "short", text: "Too short (7 of 12 characters)"}
 */
export function passwordStrength(password, schoolName = "") {
  const length = [...password].length;
  if (length === 0) return null;
  if (length < MIN_LENGTH) return { level: "short", text: `Too short (${length} of ${MIN_LENGTH} characters)` };
  const school = squash(schoolName);
  if (new Set(password.toLowerCase()).size < 5 || (school && squash(password).includes(school))) {
    return { level: "weak", text: "Weak — easy to guess" };
  }
  return length < 16 ? { level: "good", text: "Good" } : { level: "strong", text: "Strong" };
}
