"""Lantern: safeguarding and behaviour concern reporting. Everything the Lambda needs at run time."""

import sys

__version__ = "0.1.0"

# botocore imports urllib3.contrib.pyopenssl whenever pyOpenSSL is installed (the `webauthn` library needs it for
# passkeys), only to take urllib3's own SSLContext from it: that loads OpenSSL and cryptography's x509 on every cold
# start (~100 ms measured here). Marked absent before botocore is first imported, botocore takes the very same
# SSLContext from urllib3.util.ssl_ instead; passkeys import what they need when they are used.
sys.modules.setdefault("urllib3.contrib.pyopenssl", None)
