"""The security headers on every response: one source for the local server, the API and the CDN."""


def content_security_policy(upload_origin: str = "") -> str:
    """The policy for every page; `upload_origin` is the files bucket the browser POSTs uploads to."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            f"connect-src 'self' {upload_origin}".strip(),
            "font-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


def security_headers(upload_origin: str = "") -> dict[str, str]:
    return {**SECURITY_HEADERS, "Content-Security-Policy": content_security_policy(upload_origin)}


CONTENT_SECURITY_POLICY = content_security_policy()

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# Data from the API is never cached by a browser or proxy.
API_HEADERS = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
