"""Files attached to incidents: uploaded straight to a private S3 bucket by presigned POST, then checked here.

moto (and a misbehaving client) ignore the POST policy, so nothing is trusted: before a file is attached the
server reads its size, declared type and first bytes, and refuses anything that is not what it claims to be.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import NamedTuple
from urllib.parse import quote, unquote

from chalicelib import aws
from chalicelib.errors import InvalidInputError

MAX_BYTES = 20 * 1024 * 1024
UPLOAD_LIFETIME_SECONDS = 15 * 60
NAME_MAX = 150
WORD_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ALLOWED_TYPES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "image/heic": "HEIC photo (iPad)",
    "application/msword": "Word document",
    WORD_DOCX: "Word document",
    "text/plain": "plain text",
}
ALLOWED_LIST = "PDF, photo (JPEG, PNG, GIF, WebP, HEIC), Word document or plain text"
# Uploads start tagged pending and are tagged attached when an incident takes them; the bucket's lifecycle rule
# deletes what stays pending (a file removed from the form, a form never sent).
STATE_TAG = "lantern-state"
PENDING_TAGGING = f"<Tagging><TagSet><Tag><Key>{STATE_TAG}</Key><Value>pending</Value></Tag></TagSet></Tagging>"


class UploadedFile(NamedTuple):
    key: str
    name: str
    content_type: str
    size: int


def files_bucket() -> str:
    return os.environ["LANTERN_FILES_BUCKET"]


def _key(staff_id: str, upload_id: str) -> str:
    # The uploader's id is part of the key: nobody can attach a file someone else uploaded.
    return f"uploads/{staff_id}/{upload_id}"


def content_matches(content_type: str, head: bytes) -> bool:
    """Do a file's first bytes match the type it was declared as? (Magic numbers; text must be UTF-8 without NUL.)"""
    signatures = {
        "application/pdf": (b"%PDF-",),
        "image/jpeg": (b"\xff\xd8\xff",),
        "image/png": (b"\x89PNG\r\n\x1a\n",),
        "image/gif": (b"GIF87a", b"GIF89a"),
        "application/msword": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
        WORD_DOCX: (b"PK\x03\x04",),
    }
    if content_type in signatures:
        return head.startswith(signatures[content_type])
    if content_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if content_type == "image/heic":
        return head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc")
    if content_type == "text/plain":
        if b"\x00" in head:
            return False
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            return error.start >= len(head) - 3  # a character cut off at the end of the sample is fine
        return True
    return False


def start_upload(staff_id: str, name: str, content_type: str, size: int) -> dict:
    """Check what the browser says it will upload (request model NewUpload: a name, a type and a whole number of
    bytes); return a presigned POST for exactly that."""
    problem = _upload_problem(name, content_type, size)
    if problem:
        raise InvalidInputError(problem, {_problem_field(name, content_type): problem})
    upload_id = str(uuid.uuid4())
    stored_name = quote(_safe_name(name))  # S3 metadata is ASCII: the display name travels percent-encoded
    post = aws.s3().generate_presigned_post(
        Bucket=files_bucket(),
        Key=_key(staff_id, upload_id),
        Fields={"Content-Type": content_type, "x-amz-meta-name": stored_name, "tagging": PENDING_TAGGING},
        Conditions=[
            {"Content-Type": content_type},
            {"x-amz-meta-name": stored_name},
            {"tagging": PENDING_TAGGING},
            ["content-length-range", 1, MAX_BYTES],
        ],
        ExpiresIn=UPLOAD_LIFETIME_SECONDS,
    )
    return {"upload_id": upload_id, "url": post["url"], "fields": post["fields"]}


def _upload_problem(name, content_type, size) -> str | None:
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        return "The file needs a name of 255 characters or fewer."
    if not isinstance(content_type, str) or content_type not in ALLOWED_TYPES:
        return f"{_safe_name(name)} cannot be uploaded: choose a {ALLOWED_LIST}."
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        return f"{_safe_name(name)} is empty."
    if size > MAX_BYTES:
        return f"{_safe_name(name)} is larger than 20 MB. Choose a smaller file."
    return None


def _problem_field(name: str, content_type: str) -> str:
    """Which of what was sent `_upload_problem` found wrong: the name, the type or the size."""
    if not name.strip() or len(name) > 255:
        return "name"
    return "type" if content_type not in ALLOWED_TYPES else "size"


def _safe_name(name: str) -> str:
    """A display name with no path or control characters."""
    base = re.split(r"[\\/]", name.strip())[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip() or "file"
    return cleaned[:NAME_MAX]


def check_upload(staff_id: str, upload_id: str, taken: list[str] | None = None) -> UploadedFile:
    """The uploaded object, if it exists, is within the limits and is what it claims to be; tagged attached. Its key
    goes in `taken` when this call moved it from pending (so only such a file is ever `release`d: a file another
    incident already holds is never put back in the bucket's clean-up)."""
    client = aws.s3()
    key = _key(staff_id, upload_id)
    try:
        head = client.head_object(Bucket=files_bucket(), Key=key)
    except client.exceptions.ClientError:
        message = "A file did not finish uploading. Remove it and add it again."
        raise InvalidInputError(message, {"upload_ids": message}) from None
    content_type, size = head.get("ContentType", ""), head["ContentLength"]
    name = unquote(head.get("Metadata", {}).get("name", "file"))
    problem = _upload_problem(name, content_type, size)
    if problem is None:
        first_bytes = client.get_object(Bucket=files_bucket(), Key=key, Range="bytes=0-63")["Body"].read()
        if not content_matches(content_type, first_bytes):
            problem = f"{_safe_name(name)} is not a real {ALLOWED_TYPES[content_type]}. Choose another file."
    if problem:
        client.delete_object(Bucket=files_bucket(), Key=key)
        raise InvalidInputError(problem, {"upload_ids": problem})
    if taken is not None:
        tags = client.get_object_tagging(Bucket=files_bucket(), Key=key)["TagSet"]
        if {"Key": STATE_TAG, "Value": "attached"} not in tags:
            taken.append(key)
    client.put_object_tagging(
        Bucket=files_bucket(), Key=key, Tagging={"TagSet": [{"Key": STATE_TAG, "Value": "attached"}]}
    )
    return UploadedFile(key=key, name=_safe_name(name), content_type=content_type, size=size)


def release(keys: list[str]) -> None:
    """Tag uploads pending again after the incident that took them (`check_upload`'s `taken`) failed to save: if the
    person gives up, the bucket's lifecycle rule deletes them (a retry tags them attached again)."""
    client = aws.s3()
    for key in keys:
        client.put_object_tagging(
            Bucket=files_bucket(), Key=key, Tagging={"TagSet": [{"Key": STATE_TAG, "Value": "pending"}]}
        )


DOWNLOAD_SECONDS = 60


def download_url(key: str, name: str, content_type: str) -> str:
    """A short-lived link that downloads the file as an attachment (never shown inline in the browser)."""
    return aws.s3().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": files_bucket(),
            "Key": key,
            "ResponseContentDisposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "ResponseContentType": content_type,
        },
        ExpiresIn=DOWNLOAD_SECONDS,
    )
