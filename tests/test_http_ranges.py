"""Byte ranges and conditional requests on media and static files (RFC 9110), through the app."""

from __future__ import annotations

import email.parser
import email.policy
import gc
import socket
import struct
import threading
import time
import warnings

import pytest
from werkzeug.http import http_date

from app import create_app
from tests.conftest import ROOT, serving
from web.media import HandoffConfigError
from web.ranges import ByteRange, RangeRequestError, file_etag, parse_range

SIZE = 1000


@pytest.mark.parametrize("header, expected", [
    ("bytes=0-99", [(0, 99)]),
    ("bytes=100-", [(100, 999)]),
    ("bytes=-500", [(500, 999)]),
    ("bytes=-5000", [(0, 999)]),
    ("bytes=990-2000", [(990, 999)]),
    ("bytes=999-999", [(999, 999)]),
    ("BYTES=0-0", [(0, 0)]),
    ("bytes= 0-9 , 20-29", [(0, 9), (20, 29)]),
    ("bytes=0-9,,20-29,", [(0, 9), (20, 29)]),
    ("bytes=50-59,0-9", [(50, 59), (0, 9)]),
    # unsatisfiable ranges drop out; none left is a 416
    ("bytes=0-9,5000-6000", [(0, 9)]),
    ("bytes=1000-", []),
    ("bytes=5000-6000", []),
    ("bytes=-0", []),
    # malformed, another unit or overlapping: the header is ignored
    ("bytes=9-0", None),
    ("bytes=a-b", None),
    ("bytes=-", None),
    ("bytes=--5", None),
    ("bytes=1-2-3", None),
    ("bytes=+1-2", None),
    ("bytes=0x10-", None),
    ("bytes=", None),
    ("bytes=,", None),
    ("bytes 0-9", None),
    ("items=0-9", None),
    ("", None),
    ("bytes=0-99,50-149", None),
    ("bytes=0-9,0-9", None),
    ("bytes=1٢-", None),
    ("bytes=0-9\n", None),
])
def test_parse_range_table(header, expected):
    found = parse_range(header, SIZE)
    assert found == (None if expected is None else [ByteRange(s, e) for s, e in expected])


def test_parse_range_refuses_more_ranges_than_the_limit():
    header = "bytes=" + ",".join(f"{n * 10}-{n * 10 + 1}" for n in range(9))
    assert len(parse_range(header, SIZE, max_ranges=9)) == 9
    with pytest.raises(RangeRequestError, match="9 ranges"):
        parse_range(header, SIZE, max_ranges=8)


def test_an_empty_file_has_no_ranges():
    assert parse_range("bytes=0-9", 0) is None


def fetch(client, url: str, method: str = "GET", **headers):
    """Send a request, read the whole body and close the response (media bodies are open files)."""
    response = client.open(url, method=method, headers=headers)
    response.get_data()
    response.close()
    return response


@pytest.fixture(scope="module")
def clip(demo_library):
    """The top story's main clip: its URL, bytes and stat."""
    path = max(demo_library.media_dir.glob("*.mp4"), key=lambda p: p.stat().st_size)
    return f"/media/{path.name}", path.read_bytes(), path.stat()


def expected_slice(data: bytes, header: str) -> tuple[int, int]:
    found = parse_range(header, len(data))
    return found[0].start, found[0].end


@pytest.mark.parametrize("header", [
    lambda n: "bytes=0-99", lambda n: "bytes=0-0", lambda n: "bytes=100-", lambda n: "bytes=-500",
    lambda n: "bytes=-1", lambda n: "bytes=1000-1999", lambda n: "bytes=0-999999999",
    lambda n: f"bytes={n - 1_048_576}-", lambda n: f"bytes={n - 1}-", lambda n: f"bytes=-{n}",
], ids=["first-100", "first-byte", "open-ended", "suffix", "last-byte-suffix", "middle",
        "past-the-end", "last-megabyte", "last-byte", "whole-suffix"])
def test_single_ranges_are_206_with_exactly_those_bytes(client, clip, header):
    url, data, _ = clip
    header = header(len(data))
    start, end = expected_slice(data, header)
    response = fetch(client, url, Range=header)
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{len(data)}"
    assert int(response.headers["Content-Length"]) == end - start + 1
    assert response.data == data[start:end + 1]
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "Content-Encoding" not in response.headers


@pytest.mark.parametrize("header", ["bytes=9-0", "bytes=a-", "lines=0-9", "bytes=0-99,50-149", "bytes="])
def test_malformed_ranges_are_ignored_with_the_whole_file(client, clip, header):
    url, data, _ = clip
    response = fetch(client, url, Range=header)
    assert response.status_code == 200
    assert response.data == data
    assert "Content-Range" not in response.headers


@pytest.mark.parametrize("header", ["bytes=SIZE-", "bytes=SIZE-SIZE", "bytes=-0", "bytes=99999999999-"])
def test_unsatisfiable_ranges_are_416_with_the_length(client, clip, header):
    url, data, _ = clip
    response = fetch(client, url, Range=header.replace("SIZE", str(len(data))))
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(data)}"
    assert response.headers["Content-Security-Policy"]


def test_several_ranges_are_multipart_byteranges(client, clip):
    url, data, _ = clip
    response = fetch(client, url, Range="bytes=500-599,0-9,-20")
    assert response.status_code == 206
    content_type = response.headers["Content-Type"]
    assert content_type.startswith("multipart/byteranges; boundary=")
    assert int(response.headers["Content-Length"]) == len(response.data)
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + response.data)
    parts = [(part["Content-Type"], part["Content-Range"], part.get_payload(decode=True))
             for part in message.iter_parts()]
    size = len(data)
    assert parts == [("video/mp4", f"bytes 500-599/{size}", data[500:600]),
                     ("video/mp4", f"bytes 0-9/{size}", data[:10]),
                     ("video/mp4", f"bytes {size - 20}-{size - 1}/{size}", data[-20:])]


def test_too_many_ranges_are_a_400(client, clip):
    url, _, _ = clip
    response = fetch(client, url, Range="bytes=" + ",".join(f"{n * 10}-{n * 10 + 1}" for n in range(9)))
    assert response.status_code == 400


@pytest.mark.parametrize("if_range, honoured", [
    ("ETAG", True),
    ("W/ETAG", False),
    ('"0-0"', False),
    ("DATE", True),
    ("EARLIER", False),
    ("not a date", False),
])
def test_if_range_honours_the_range_only_for_the_current_file(client, clip, if_range, honoured):
    url, data, st = clip
    if_range = (if_range.replace("ETAG", file_etag(st)).replace("DATE", http_date(int(st.st_mtime)))
                .replace("EARLIER", http_date(int(st.st_mtime) - 60)))
    response = fetch(client, url, Range="bytes=0-9", **{"If-Range": if_range})
    assert response.status_code == (206 if honoured else 200)
    assert response.data == (data[:10] if honoured else data)


@pytest.mark.parametrize("headers, status", [
    ({"If-None-Match": "ETAG"}, 304),
    ({"If-None-Match": 'W/ETAG'}, 304),
    ({"If-None-Match": '"other", ETAG'}, 304),
    ({"If-None-Match": "*"}, 304),
    ({"If-None-Match": '"other"'}, 200),
    ({"If-Modified-Since": "DATE"}, 304),
    ({"If-Modified-Since": "EARLIER"}, 200),
    # If-None-Match wins over If-Modified-Since
    ({"If-None-Match": '"other"', "If-Modified-Since": "DATE"}, 200),
    ({"If-Match": "ETAG"}, 200),
    ({"If-Match": '"other"'}, 412),
    ({"If-Unmodified-Since": "EARLIER"}, 412),
    ({"If-Unmodified-Since": "DATE"}, 200),
    ({"If-None-Match": "ETAG", "Range": "bytes=0-9"}, 304),
])
def test_conditional_requests(client, clip, headers, status):
    url, _, st = clip
    values = {"ETAG": file_etag(st), "DATE": http_date(int(st.st_mtime)),
              "EARLIER": http_date(int(st.st_mtime) - 60)}
    for name, value in headers.items():
        for word, replacement in values.items():
            value = value.replace(word, replacement)
        headers[name] = value
    response = fetch(client, url, **headers)
    assert response.status_code == status
    if status == 304:
        assert response.data == b""
        assert response.headers["ETag"] == file_etag(st)
        assert "immutable" in response.headers["Cache-Control"]
        assert response.headers["Content-Security-Policy"]


def test_media_etag_matches_the_format_nginx_uses(client, clip):
    url, _, st = clip
    response = fetch(client, url)
    assert response.headers["ETag"] == f'"{int(st.st_mtime):x}-{st.st_size:x}"'
    assert response.headers["Last-Modified"] == http_date(int(st.st_mtime))


@pytest.mark.parametrize("range_header, status, length", [
    (None, 200, "SIZE"), ("bytes=0-99", 206, "100"), ("bytes=-10", 206, "10"),
])
def test_head_sends_the_headers_of_get_and_no_body(client, clip, range_header, status, length):
    url, data, _ = clip
    headers = {"Range": range_header} if range_header else {}
    response = fetch(client, url, method="HEAD", **headers)
    assert response.status_code == status
    assert response.headers["Content-Length"] == length.replace("SIZE", str(len(data)))
    assert response.data == b""


def test_static_files_answer_ranges_and_conditionals(client):
    data = (ROOT / "static" / "css" / "app.css").read_bytes()
    response = fetch(client, "/static/css/app.css", Range="bytes=0-9")
    assert response.status_code == 206 and response.data == data[:10]
    etag = fetch(client, "/static/css/app.css").headers["ETag"]
    assert fetch(client, "/static/css/app.css", **{"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize("handoff, header, value", [
    ("nginx", "X-Accel-Redirect", "/_newsreel/media/NAME"),
    ("sendfile", "X-Sendfile", "PATH"),
])
def test_media_can_be_handed_to_the_front_server(demo_library, clip, handoff, header, value):
    url, _, _ = clip
    name = url.rsplit("/", 1)[1]
    client = create_app({"TESTING": True, "LIBRARY": str(demo_library.root),
                         "MEDIA_HANDOFF": handoff}).test_client()
    response = fetch(client, url, Range="bytes=0-9")
    assert response.status_code == 200  # the front server answers the range
    assert response.headers[header] == value.replace("NAME", name).replace(
        "PATH", str((demo_library.media_dir / name).resolve()))
    assert response.data == b""
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "ETag" not in response.headers  # the front server's, from the file
    missing = fetch(client, "/media/0123456789abcdef.mp4")
    assert missing.status_code == 404 and header not in missing.headers


def test_an_unknown_handoff_is_refused(demo_library):
    with pytest.raises(HandoffConfigError, match="MEDIA_HANDOFF"):
        create_app({"TESTING": True, "LIBRARY": str(demo_library.root), "MEDIA_HANDOFF": "apache"})


def test_a_media_request_the_client_resets_leaves_no_file_open(demo_library, clip):
    """A player that switches sources resets the download it no longer wants.

    When the reset comes just after the response is sent, Werkzeug's
    development server (3.1) skips close() on the body: its drain of the
    request socket raises first. The file must be closed all the same, not
    left to the garbage collector's ResourceWarning.
    """
    app = create_app({"LIBRARY": str(demo_library.root)})
    with serving(app) as url, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        host, port = url.removeprefix("http://").split(":")
        for _ in range(20):
            with socket.create_connection((host, int(port))) as connection:
                connection.sendall(f"GET {clip[0]} HTTP/1.1\r\nHost: localhost\r\n"
                                   "Range: bytes=0-999\r\n\r\n".encode("ascii"))
                received = b""
                while len(received.partition(b"\r\n\r\n")[2]) < 1000:
                    received += connection.recv(65536)
                # SO_LINGER with a zero timeout: close() sends a reset, as a browser's abort does.
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(
                t.name.endswith("(process_request_thread)") for t in threading.enumerate()):
            time.sleep(0.02)
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
