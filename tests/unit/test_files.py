"""Uploaded files must be what they claim to be: magic bytes, not the browser's word."""

from __future__ import annotations

import pytest

from chalicelib.files import WORD_DOCX, _safe_name, _upload_problem, content_matches


@pytest.mark.parametrize(
    ("content_type", "head"),
    [
        ("application/pdf", b"%PDF-1.7\n"),
        ("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF"),
        ("image/png", b"\x89PNG\r\n\x1a\n\x00\x00"),
        ("image/gif", b"GIF89a\x01\x00"),
        ("image/webp", b"RIFF\x24\x00\x00\x00WEBPVP8 "),
        ("image/heic", b"\x00\x00\x00\x18ftypheic\x00\x00"),
        ("application/msword", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00"),
        (WORD_DOCX, b"PK\x03\x04\x14\x00"),
        ("text/plain", "Notes from the meeting – Zoë".encode()),
        ("text/plain", "cut mid-character: é".encode()[:-1]),
    ],
)
def test_real_files_match_their_type(content_type, head):
    assert content_matches(content_type, head)


@pytest.mark.parametrize(
    ("content_type", "head"),
    [
        ("image/png", b"MZ\x90\x00"),  # a Windows program named .png
        ("application/pdf", b"<html><script>"),
        ("image/webp", b"RIFF\x24\x00\x00\x00WAVE"),
        ("text/plain", b"\x7fELF\x02\x01\x01\x00"),
        ("text/plain", b"\xff\xfe\x00\x00binary"),
        ("application/x-msdownload", b"MZ"),
    ],
)
def test_disguised_files_do_not(content_type, head):
    assert not content_matches(content_type, head)


def test_display_names_lose_paths_and_control_characters():
    assert _safe_name("C:\\Users\\me\\Desktop\\letter.pdf") == "letter.pdf"
    assert _safe_name("../../etc/passwd") == "passwd"
    assert _safe_name("note\x00\x1b[31m.txt") == "note[31m.txt"
    assert len(_safe_name("a" * 400 + ".pdf")) == 150


def test_upload_requests_are_checked_before_any_url_is_given():
    assert _upload_problem("letter.pdf", "application/pdf", 1000) is None
    assert "cannot be uploaded" in _upload_problem("run.exe", "application/x-msdownload", 10)
    assert "larger than 20 MB" in _upload_problem("big.pdf", "application/pdf", 20 * 1024 * 1024 + 1)
    assert "is empty" in _upload_problem("zero.pdf", "application/pdf", 0)
    assert "is empty" in _upload_problem("bool.pdf", "application/pdf", True)
    assert "needs a name" in _upload_problem("", "application/pdf", 10)
