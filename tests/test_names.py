"""One list of prepared media names and types: the library, gc, the media view and nginx agree."""

from __future__ import annotations

import re

import pytest

from media.names import MEDIA_TYPES, OUTPUT_NAME, SERVED_NAME, SERVED_PATTERN, TEMPORARY_NAME
from tests.conftest import ROOT
from web.static import TYPES as STATIC_TYPES

DEPLOY = ROOT / "deploy"
KEY = "0123456789abcdef"


def _nginx_types() -> dict[str, str]:
    """Return extension -> media type from deploy/mime.conf's types block."""
    block = (DEPLOY / "mime.conf").read_text(encoding="utf-8").split("{", 1)[1].split("}", 1)[0]
    found = {}
    for line in block.splitlines():
        words = line.strip().rstrip(";").split()
        for extension in words[1:]:
            found[f".{extension}"] = words[0]
    return found


def test_nginx_names_every_media_type_as_the_app_does():
    nginx = _nginx_types()
    assert {extension: nginx.get(extension) for extension in MEDIA_TYPES} == MEDIA_TYPES
    assert {extension: nginx.get(extension) for extension in STATIC_TYPES} == STATIC_TYPES


def test_nginx_serves_from_disk_exactly_the_names_the_app_serves():
    config = (DEPLOY / "media-direct.conf").read_text(encoding="utf-8")
    # \z, not $: PCRE's $ also matches before a final newline, and nginx decodes %0A.
    locations = re.findall(r'location ~ "\^/media/\(\?<media_name>(.+)\)\\z"', config)
    assert locations == [SERVED_PATTERN]


@pytest.mark.parametrize("extension", sorted(MEDIA_TYPES))
def test_every_served_type_is_a_served_and_an_output_name(extension):
    for name in (f"{KEY}{extension}", f"{KEY}-640{extension}", f"{KEY}-og{extension}"):
        assert SERVED_NAME.fullmatch(name) and OUTPUT_NAME.fullmatch(name).group(1) == KEY


@pytest.mark.parametrize("name", [f"{KEY}.json"])
def test_a_sidecar_is_an_output_but_never_served(name):
    assert OUTPUT_NAME.fullmatch(name) and not SERVED_NAME.fullmatch(name)


@pytest.mark.parametrize("name", [f"{KEY}.html", f"{KEY}.mp4.tmp", f"{KEY[:15]}.mp4", f"{KEY.upper()}.mp4",
                                  f"{KEY}-a-b.jpg", f"../{KEY}.mp4", f".{KEY}.mp4", f"{KEY}.MP4",
                                  f"{KEY}.mp4\n", f"{KEY}.json\n", f"{KEY}-640.webp\n", f"\n{KEY}.mp4"])
def test_other_names_are_neither_served_nor_collected(name):
    # .match() too: a caller that forgets fullmatch must not let "<name>\n" through.
    assert not SERVED_NAME.fullmatch(name) and not OUTPUT_NAME.fullmatch(name)
    assert not SERVED_NAME.match(name) and not OUTPUT_NAME.match(name)


def test_temporaries_are_recognised_by_their_leading_dot():
    assert TEMPORARY_NAME.match(f".{KEY}.x8k2j.mp4") and not TEMPORARY_NAME.match(f"{KEY}.mp4")
