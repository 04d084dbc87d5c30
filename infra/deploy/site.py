"""The static site: upload what changed, delete what is no longer built, invalidate the CDN.

Assets are fingerprinted by the build (tools/build_site.py: a hash of the content in the name, such as
`js/api.3f2a9c1e.js`), so they are cached for a year and never revalidated; a deploy that changes one uploads it
under a new name. Pages (HTML) and the few files that must keep their name (the web manifest, icons it names,
robots.txt) are revalidated on every load.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import uuid
from pathlib import Path

PAGE_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".js": "text/javascript"}
PAGE_TYPES |= {".svg": "image/svg+xml", ".webmanifest": "application/manifest+json", ".json": "application/json"}
FINGERPRINTED = re.compile(r"\.[0-9a-f]{10}\.[a-z0-9]+$")  # name.<10 hex digits>.ext
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def content_type(path: Path) -> str:
    return PAGE_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def cache_control(path: Path) -> str:
    """Fingerprinted assets never change under their name: cached for a year. Everything else is revalidated."""
    return IMMUTABLE if FINGERPRINTED.search(path.name) else REVALIDATE


class SiteSteps:
    """Mixed into Deployer: needs self.client."""

    def upload_site(self, site: Path, bucket: str) -> tuple[int, int, int]:
        """Upload changed files, then delete ones no longer built. Returns (uploaded, unchanged, deleted).

        Pages are uploaded last, so a browser never gets a page naming an asset not uploaded yet; old assets are
        deleted only after every page is in place (a page cached before this deploy may still name them: the CDN
        keeps them until invalidated)."""
        s3 = self.client("s3")
        existing = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            existing |= {o["Key"]: o["ETag"].strip('"') for o in page.get("Contents", [])}
        uploaded = unchanged = 0
        keys = set()
        files = sorted((p for p in site.rglob("*") if p.is_file()), key=lambda p: (p.suffix == ".html", str(p)))
        for path in files:
            key = path.relative_to(site).as_posix()
            keys.add(key)
            body = path.read_bytes()
            if existing.get(key) == hashlib.md5(body, usedforsecurity=False).hexdigest():  # S3's ETag, not security
                unchanged += 1
                continue
            s3.put_object(
                Bucket=bucket, Key=key, Body=body, ContentType=content_type(path), CacheControl=cache_control(path)
            )
            uploaded += 1
        stale = sorted(set(existing) - keys)
        for start in range(0, len(stale), 1000):
            s3.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": k} for k in stale[start : start + 1000]], "Quiet": True}
            )
        return uploaded, unchanged, len(stale)

    def invalidate(self, distribution_id: str) -> str:
        result = self.client("cloudfront", "us-east-1").create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": f"lantern-{uuid.uuid4()}"},
        )
        return result["Invalidation"]["Id"]

    def empty_bucket(self, bucket: str) -> int:
        """Delete every version and delete marker of a versioned bucket (the site bucket, before its stack is
        deleted: CloudFormation cannot delete a bucket that is not empty). Returns how many were deleted."""
        s3 = self.client("s3")
        deleted = 0
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            objects = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            ]
            for start in range(0, len(objects), 1000):
                s3.delete_objects(Bucket=bucket, Delete={"Objects": objects[start : start + 1000], "Quiet": True})
            deleted += len(objects)
        return deleted
