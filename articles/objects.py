"""Where prepared media are published: the library folder's media/, or an S3-compatible bucket.

Ingest always prepares media in the library folder's media/ (it stages work
and stays as a cache); before an article is saved, every file it refers to
that the store lacks is uploaded (``upload_missing``). With no store
configured, the folder is the store and uploading is a no-op.

A bucket is named ``s3://bucket/prefix`` (NEWSREEL_MEDIA_STORE) at an
endpoint (NEWSREEL_S3_ENDPOINT_URL; unset, AWS's own). Credentials and
the region come from boto3's usual sources (AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, ~/.aws, an instance role).
Objects keep today's content-hashed names, so each is written once and
served as immutable.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from articles.errors import PlacedError
from media.files import atomic_output
from media.names import MEDIA_TYPES, SERVED_NAME

# Names never change their bytes: every cache may keep them for a year.
IMMUTABLE = "public, max-age=31536000, immutable"
STORE_SETTING = "NEWSREEL_MEDIA_STORE"
ENDPOINT_SETTING = "NEWSREEL_S3_ENDPOINT_URL"
# A bucket name as S3 defines it: 3 to 63 lower-case letters, digits, dots and hyphens.
_BUCKET = re.compile(r"\A[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
_PREFIX = re.compile(r"\A[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*\Z")
# A few quick tries, then one clear line: an ingest or gc waits seconds, not minutes.
CONNECT_SECONDS = 5
READ_SECONDS = 60
ATTEMPTS = 3


class StoreError(PlacedError):
    """The media store cannot be used; carries the store's URL (and endpoint) it concerns."""

    @property
    def url(self) -> str:
        """Return the store's URL, with its endpoint when it has one."""
        return str(self.where)


class StoreSettingError(StoreError, ValueError):
    """NEWSREEL_MEDIA_STORE or NEWSREEL_S3_ENDPOINT_URL is not a usable value."""


@dataclass(frozen=True)
class StoredObject:
    """One media file in the store: its name, size and when it was last written (Unix time)."""

    name: str
    bytes: int
    modified: float
    # The service's entity tag (quotes removed), when it gives one: the MD5 of
    # the bytes for a single-part upload without KMS encryption.
    etag: str | None = None


def open_store(media_store: str | None, endpoint_url: str | None, folder: Path) -> FolderStore | S3Store:
    """Return the store ``media_store`` names, else the folder ``folder``.

    :raises StoreSettingError: a setting cannot be used.
    """
    if not media_store:
        if endpoint_url:
            raise StoreSettingError(f"{ENDPOINT_SETTING} is set but {STORE_SETTING} is not: "
                                    "set both, or neither", endpoint_url)
        return FolderStore(folder)
    return S3Store(*parse_store_url(media_store), endpoint_url=check_endpoint(endpoint_url))


def parse_store_url(value: str) -> tuple[str, str]:
    """Return the bucket and the key prefix (maybe empty) of ``s3://bucket/prefix``.

    :raises StoreSettingError: ``value`` is not of that form.
    """
    problem = f"{STORE_SETTING} must look like s3://bucket/prefix"
    parts = urlsplit(value.strip())
    prefix = parts.path.strip("/")
    if (parts.scheme != "s3" or not _BUCKET.fullmatch(parts.netloc or "") or parts.query
            or parts.fragment or (prefix and not _PREFIX.fullmatch(prefix))):
        raise StoreSettingError(problem, value)
    return parts.netloc, prefix


def check_endpoint(value: str | None) -> str | None:
    """Return the endpoint URL as given, or None for AWS's own.

    :raises StoreSettingError: it is not an http(s) address of a host.
    """
    if not value:
        return None
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError:
        parts = None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname
            or parts.query or parts.fragment or "@" in parts.netloc):
        raise StoreSettingError(f"{ENDPOINT_SETTING} must be the service's address, such as "
                                "https://s3.example:9000", value)
    return value.strip()


def content_type(name: str) -> str:
    """Return the media type of a served file by its name (media.names.MEDIA_TYPES)."""
    return MEDIA_TYPES[Path(name).suffix]


class FolderStore:
    """The library folder's media/: the store on one machine, where ingest already writes."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.url = str(self.folder)

    def exists(self, name: str) -> bool:
        """Return True when ``name`` is a file of the folder."""
        return (self.folder / name).is_file()

    def upload(self, path: Path, name: str) -> None:
        """Put the file ``path`` in the folder as ``name`` (nothing to do when it already is)."""
        target = self.folder / name
        if Path(path).resolve() == target.resolve():
            return
        with atomic_output(target) as temporary:
            shutil.copyfile(path, temporary)

    def touch(self, name: str) -> bool:
        """Mark ``name`` as written now; return False when it is not there."""
        try:
            os.utime(self.folder / name, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return True

    def delete(self, name: str) -> None:
        """Remove ``name``; a missing file is no error."""
        (self.folder / name).unlink(missing_ok=True)

    def list(self) -> Iterator[StoredObject]:
        """Yield the served files of the folder, with their sizes and modification times."""
        if not self.folder.is_dir():
            return
        with os.scandir(self.folder) as entries:
            for entry in entries:
                if SERVED_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                    status = entry.stat(follow_symlinks=False)
                    yield StoredObject(entry.name, status.st_size, status.st_mtime)


class S3Store:
    """A bucket and key prefix of an S3-compatible service, reached with boto3 and signature v4."""

    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None = None):
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint_url = endpoint_url
        # The prefix's s3:// address, and that with the endpoint, for messages.
        self.location = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
        self.url = f"{self.location} at {endpoint_url}" if endpoint_url else self.location
        self._client = None

    @property
    def client(self):
        """Return the boto3 client, made on first use (boto3 is slow to import)."""
        if self._client is None:
            import boto3
            from botocore.config import Config
            # Path-style addresses: every S3-compatible service answers them, while
            # bucket.host names need DNS set up for MinIO or Ceph RGW.
            config = Config(signature_version="s3v4", connect_timeout=CONNECT_SECONDS,
                            read_timeout=READ_SECONDS,
                            retries={"max_attempts": ATTEMPTS, "mode": "standard"},
                            s3={"addressing_style": "path" if self.endpoint_url else "auto"})
            self._client = boto3.session.Session().client("s3", endpoint_url=self.endpoint_url,
                                                          config=config)
        return self._client

    def key(self, name: str) -> str:
        """Return the object key of a media file."""
        return f"{self.prefix}/{name}" if self.prefix else name

    def exists(self, name: str) -> bool:
        """Return True when the object ``name`` is in the bucket.

        :raises StoreError: the service cannot be reached or refuses the request.
        """
        from botocore.exceptions import ClientError
        try:
            with self._errors():
                self.client.head_object(Bucket=self.bucket, Key=self.key(name))
        except StoreError as error:
            if isinstance(error.__cause__, ClientError) and _status(error.__cause__) == 404:
                return False
            raise
        return True

    def upload(self, path: Path, name: str) -> None:
        """Upload the file ``path`` as ``name``, with its media type and an immutable Cache-Control.

        An object appears whole or not at all (S3 completes a multipart
        upload in one step), so no reader sees half a clip.

        :raises StoreError: the service cannot be reached, the bucket is missing, or it refuses.
        """
        with self._errors():
            self.client.upload_file(str(path), self.bucket, self.key(name), ExtraArgs={
                "ContentType": content_type(name), "CacheControl": IMMUTABLE})

    def touch(self, name: str) -> bool:
        """Set the object's last-modified time to now; return False when it is not there.

        S3 has no utime: an object copied onto itself with its headers
        restated gets a new LastModified (a copy inside the service).

        :raises StoreError: the service cannot be reached or refuses the request.
        """
        from botocore.exceptions import ClientError
        key = self.key(name)
        try:
            with self._errors():
                self.client.copy_object(Bucket=self.bucket, Key=key,
                                        CopySource={"Bucket": self.bucket, "Key": key},
                                        MetadataDirective="REPLACE",
                                        ContentType=content_type(name), CacheControl=IMMUTABLE)
        except StoreError as error:
            if isinstance(error.__cause__, ClientError) and _status(error.__cause__) == 404:
                return False
            raise
        return True

    def delete(self, name: str) -> None:
        """Delete the object ``name``; a missing object is no error.

        :raises StoreError: the service cannot be reached or refuses the request.
        """
        with self._errors():
            self.client.delete_object(Bucket=self.bucket, Key=self.key(name))

    def list(self) -> Iterator[StoredObject]:
        """Yield the media objects under the prefix (served names only), with size and LastModified.

        :raises StoreError: the service cannot be reached, the bucket is missing, or it refuses.
        """
        start = f"{self.prefix}/" if self.prefix else ""
        with self._errors():
            # One level only: what lies in "folders" below (the queue's bundle
            # copies, with an empty prefix) is never a media object.
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=start, Delimiter="/")
            for page in pages:
                for item in page.get("Contents", ()):
                    name = item["Key"][len(start):]
                    if SERVED_NAME.fullmatch(name):
                        yield StoredObject(name, item["Size"], item["LastModified"].timestamp(),
                                           item.get("ETag", "").strip('"') or None)

    def download(self, name: str, path: Path) -> None:
        """Write the object ``name`` to the file ``path``.

        :raises StoreError: the service cannot be reached, the object is missing, or it refuses.
        """
        with self._errors():
            self.client.download_file(self.bucket, self.key(name), str(path))

    def beside(self, path: str) -> str:
        """Return the key of ``path`` in the folder that holds the prefix: beside the media, never among them."""
        parent = self.prefix.rpartition("/")[0]
        return f"{parent}/{path}" if parent else path

    def put_file(self, path: Path, key: str) -> None:
        """Upload the file ``path`` as the object ``key`` (not a media object: no public headers).

        :raises StoreError: the service cannot be reached or refuses the request.
        """
        with self._errors():
            self.client.upload_file(str(path), self.bucket, key)

    def get_file(self, key: str, path: Path) -> None:
        """Download the object ``key`` to the file ``path``.

        :raises StoreError: the service cannot be reached, or the object is missing.
        """
        with self._errors():
            self.client.download_file(self.bucket, key, str(path))

    def keys(self, start: str) -> list[str]:
        """Return the keys of every object whose key begins with ``start``.

        :raises StoreError: the service cannot be reached or refuses the request.
        """
        with self._errors():
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start)
            return [item["Key"] for page in pages for item in page.get("Contents", ())]

    def renew(self, key: str) -> None:
        """Give the object ``key`` a new LastModified (a copy onto itself), so age-based expiry starts again.

        :raises StoreError: the service cannot be reached, or the object is missing.
        """
        with self._errors():
            self.client.copy_object(Bucket=self.bucket, Key=key, CopySource={"Bucket": self.bucket, "Key": key},
                                    MetadataDirective="REPLACE")

    def _errors(self):
        return _translated(self.url)


class _translated:
    """Turn boto3's and botocore's errors into one StoreError line naming the store."""

    def __init__(self, url: str):
        self.url = url

    def __enter__(self):
        return self

    def __exit__(self, kind, error, _traceback) -> bool:
        if error is None:
            return False
        from boto3.exceptions import Boto3Error, S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError
        if isinstance(error, StoreError) or not isinstance(error, (BotoCoreError, ClientError, Boto3Error)):
            return False
        cause = error
        if isinstance(error, S3UploadFailedError) and isinstance(error.__context__, ClientError):
            cause = error.__context__
        if isinstance(cause, ClientError):
            code = cause.response.get("Error", {}).get("Code") or str(_status(cause))
            message = {"NoSuchBucket": "the bucket does not exist",
                       "AccessDenied": "access denied (check the credentials and the bucket's policy)",
                       "InvalidAccessKeyId": "the access key is not known to the service",
                       "SignatureDoesNotMatch": "the secret key does not match the access key",
                       }.get(code, cause.response.get("Error", {}).get("Message") or "the request failed")
            text = f"{message} ({code})"
        elif isinstance(cause, EndpointConnectionError):
            text = f"cannot reach the service at {cause.kwargs.get('endpoint_url', 'its endpoint')}"
        elif isinstance(cause, NoCredentialsError):
            text = ("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                    "(or another source boto3 reads)")
        else:
            text = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        raise StoreError(text, self.url) from cause


def _status(error) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def upload_missing(store: FolderStore | S3Store, folder: Path, names: Iterable[str]) -> list[str]:
    """Upload each of ``names`` from ``folder`` that the store lacks; return those uploaded.

    :raises StoreError: an upload or a look-up failed; what was uploaded stays for gc.
    """
    uploaded = []
    for name in sorted(set(names)):
        if not store.exists(name):
            store.upload(folder / name, name)
            uploaded.append(name)
    return uploaded
