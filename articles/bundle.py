"""Load and validate an article bundle: article.md (front matter + Markdown) and its files.

Validation only reads: a bundle folder is the editor's source of truth and is
never written to. Errors name the file and, where known, the line.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from articles import languages
from articles.errors import ArticleError
from captions.errors import CaptionError
from captions.tracks import check_kind, check_language

ARTICLE_FILE = "article.md"
MAX_ARTICLE_BYTES = 1_000_000
# \A and \Z: "$" would also match before a final newline, and "story\n" is no slug.
SLUG = re.compile(r"\A[a-z0-9]+(?:-[a-z0-9]+)*\Z")
CAPTION_SUFFIXES = {".vtt", ".srt", ".sbv"}


class BundleError(ArticleError):
    """A bundle is invalid; ``str()`` is one line: ``FILE[:LINE]: message``."""

    def __init__(self, message: str, path: Path | str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = Path(path)
        self.line = line

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class CaptionSpec:
    """One caption file of the clip as the front matter lists it."""

    path: Path
    language: str
    label: str
    default: bool
    kind: str = "captions"   # captions, subtitles, descriptions or chapters
    # Made by speech recognition and published unreviewed: its label says so.
    automatic: bool = False
    # An automatic captions file the bundle does not have: ingest drafts it
    # from the clip, with the article's own words as the hint, and never
    # writes it into the bundle.
    drafted: bool = False

    @property
    def shown_as_text(self) -> bool:
        """Return whether the player lists the track among its captions."""
        return self.kind in ("captions", "subtitles")


@dataclass(frozen=True)
class VideoSpec:
    """The clip of an article."""

    path: Path
    title: str
    captions: tuple[CaptionSpec, ...]
    poster_at: float | None = None
    credit: str | None = None
    poster_alt: str | None = None      # what the poster frame shows, where it stands alone


@dataclass(frozen=True)
class ImageSpec:
    """One photo of an article; credit may come from the file's metadata later."""

    path: Path
    alt: str | None
    caption: str | None = None
    credit: str | None = None
    decorative: bool = False
    focus: tuple[float, float] = (0.5, 0.5)   # the point crops keep in view, 0..1 from top left


@dataclass(frozen=True)
class Bundle:
    """A validated article bundle; paths are absolute and inside ``folder``."""

    folder: Path
    slug: str
    title: str
    published: dt.datetime
    language: str
    summary: str
    body: str
    video: VideoSpec | None = None
    images: tuple[ImageSpec, ...] = ()
    related: tuple[str, ...] = ()
    # Other-language versions of this article: (language tag, slug) pairs.
    translations: tuple[tuple[str, str], ...] = ()
    top: bool = False
    files: tuple[Path, ...] = field(default=())
    strict: bool = False    # caption quality problems refuse the bundle instead of warning

    @property
    def article_file(self) -> Path:
        """Return the path of article.md."""
        return self.folder / ARTICLE_FILE


def split_front_matter(text: str, path: Path) -> tuple[str, str, int]:
    """Return (front matter, body, body's first line number) of article.md.

    :raises BundleError: when the file does not open with a ``---`` block.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise BundleError("must start with a '---' line opening the YAML front matter", path, 1)
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() in ("---", "..."):
            return "".join(lines[1:number - 1]), "".join(lines[number:]), number + 1
    raise BundleError("front matter is not closed by a '---' line", path, 1)


def load_bundle(folder: Path | str) -> Bundle:
    """Read and validate the bundle in ``folder``.

    :raises BundleError: naming the file (and line) of the first problem.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise BundleError("not a bundle folder", folder)
    folder = folder.resolve()
    article = folder / ARTICLE_FILE
    if not article.is_file():
        raise BundleError(f"missing {ARTICLE_FILE}", article)
    raw = article.read_bytes()
    if len(raw) > MAX_ARTICLE_BYTES:
        raise BundleError(f"{ARTICLE_FILE} is larger than {MAX_ARTICLE_BYTES} bytes", article)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise BundleError("not UTF-8 text", article, line) from error
    front, body, _ = split_front_matter(text, article)
    fields = _Fields(front, article)
    return fields.bundle(folder, body)


class _Fields:
    """Typed access to front-matter fields, with line numbers for errors."""

    def __init__(self, front: str, path: Path):
        self.path = path
        try:
            self.node = yaml.compose(front, Loader=yaml.SafeLoader)
            self.data = yaml.safe_load(front)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 2 if mark is not None else None  # +1 for '---', +1 one-based
            problem = getattr(error, "problem", None) or "invalid YAML"
            raise BundleError(f"front matter is not valid YAML: {problem}", path, line) from error
        if not isinstance(self.data, dict):
            raise BundleError("front matter must be a mapping of fields", path, 2)

    def line(self, *keys) -> int | None:
        """Return the line of the value at ``keys`` in the front matter, if found."""
        node = self.node
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if k.value == key), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
            else:
                node = None
            if node is None:
                return None
        return node.start_mark.line + 2

    def fail(self, message: str, *keys) -> BundleError:
        """Return a BundleError pointing at the field ``keys``."""
        return BundleError(message, self.path, self.line(*keys) if keys else None)

    def text(self, mapping: dict, key: str, *where, required: bool = True) -> str | None:
        """Return a non-empty string field, or None when optional and absent."""
        value = mapping.get(key)
        if value is None:
            if required:
                raise self.fail(f"missing required field '{_dotted(*where, key)}'", *where)
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"'{_dotted(*where, key)}' must be non-empty text", *where, key)
        return value.strip()

    def file(self, folder: Path, name, *keys, suffixes: set[str] | None = None,
             missing_ok: bool = False) -> Path:
        """Return the absolute path of a bundle file named in the front matter (existing unless ``missing_ok``)."""
        if not isinstance(name, str) or not name.strip():
            raise self.fail(f"'{_dotted(*keys)}' must name a file in the bundle", *keys)
        path = (folder / name).resolve()
        # Bundles come from outside: a name must not reach beyond its folder.
        if folder not in path.parents:
            raise self.fail(f"'{name}' is outside the bundle folder", *keys)
        if suffixes is not None and path.suffix.lower() not in suffixes:
            allowed = ", ".join(sorted(suffixes))
            raise self.fail(f"'{name}' must be one of {allowed}", *keys)
        if not path.is_file() and not (missing_ok and not path.exists()):
            raise BundleError(f"file not found (named in {ARTICLE_FILE} line "
                              f"{self.line(*keys)})", folder / name)
        return path

    def bundle(self, folder: Path, body: str) -> Bundle:
        """Validate every field and return the Bundle."""
        data = self.data
        slug = self.text(data, "slug", required=False) or folder.name
        if not SLUG.fullmatch(slug):
            raise self.fail(f"slug '{slug}' must be lower-case letters, digits and hyphens",
                            *(("slug",) if "slug" in data else ()))
        language = self.text(data, "language", required=False) or "en"
        if not languages.is_language_tag(language):
            raise self.fail(f"'{language}' is not a language tag like 'en' or 'de-CH'", "language")
        related = data.get("related") or []
        if not isinstance(related, list) or not all(isinstance(r, str) and SLUG.fullmatch(r) for r in related):
            raise self.fail("'related' must be a list of article slugs", "related")
        translations = self.translations(check_language(language), slug)
        top = data.get("top", False)
        if not isinstance(top, bool):
            raise self.fail("'top' must be true or false", "top")
        strict = data.get("strict", False)
        if not isinstance(strict, bool):
            raise self.fail("'strict' must be true or false", "strict")
        video = self.video(folder, language) if data.get("video") is not None else None
        images = self.images(folder)
        files = [folder / ARTICLE_FILE]
        if video:
            files += [video.path, *(c.path for c in video.captions if not c.drafted)]
        files += [i.path for i in images]
        return Bundle(folder=folder, slug=slug, title=self.text(data, "title"),
                      published=self.published(), language=language,
                      summary=self.text(data, "summary"), body=body, video=video,
                      images=images, related=tuple(related), translations=translations,
                      top=top, files=tuple(files), strict=strict)

    def translations(self, language: str, slug: str) -> tuple[tuple[str, str], ...]:
        """Validate ``translations``: a mapping of language tag to the slug of that version."""
        items = self.data.get("translations") or {}
        if not isinstance(items, dict):
            raise self.fail("'translations' must map language tags to article slugs, "
                            "like 'de: nachtfaehre-faehrt-wieder'", "translations")
        found: dict[str, str] = {}
        for key, other in items.items():
            try:
                tag = check_language(str(key))
            except CaptionError:
                raise self.fail(f"'{key}' in 'translations' is not a language tag like 'en' "
                                "or 'de-CH'", "translations") from None
            where = ("translations", key)
            if not isinstance(other, str) or not SLUG.fullmatch(other):
                raise self.fail(f"'translations.{key}' must be an article slug", *where)
            if other == slug:
                raise self.fail(f"'translations.{key}' names this article itself", *where)
            if tag == language or tag in found:
                raise self.fail(f"'translations' names the language '{tag}' twice "
                                "(the article's own language counts)", *where)
            found[tag] = other
        return tuple(found.items())

    def published(self) -> dt.datetime:
        """Return the publication time as an aware datetime (UTC when no offset)."""
        value = self.data.get("published")
        if value is None:
            raise self.fail("missing required field 'published'")
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, dt.date):
            moment = dt.datetime(value.year, value.month, value.day)
        else:
            try:
                moment = dt.datetime.fromisoformat(str(value).strip())
            except ValueError:
                raise self.fail(f"'published' is not an ISO 8601 date: {value!r}",
                                "published") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

    def video(self, folder: Path, language: str) -> VideoSpec:
        """Validate the ``video`` mapping."""
        video = self.data["video"]
        if not isinstance(video, dict):
            raise self.fail("'video' must be a mapping with 'source' and 'captions'", "video")
        path = self.file(folder, video.get("source"), "video", "source")
        poster_at = video.get("poster_at")
        if poster_at is not None and (isinstance(poster_at, bool)
                                      or not isinstance(poster_at, (int, float)) or poster_at < 0):
            raise self.fail("'video.poster_at' must be a number of seconds", "video", "poster_at")
        captions = video.get("captions") or []
        if not isinstance(captions, list):
            raise self.fail("'video.captions' must be a list", "video", "captions")
        specs = [self.caption(folder, item, index) for index, item in enumerate(captions)]
        seen = [(c.kind, c.language) for c in specs]
        if len(set(seen)) != len(seen):
            raise self.fail("two caption files have the same kind and language",
                            "video", "captions")
        for index, spec in enumerate(specs):
            if spec.default and not spec.shown_as_text:
                raise self.fail(f"a '{spec.kind}' track cannot be 'default: true'",
                                "video", "captions", index, "default")
        defaults = [c for c in specs if c.default]
        if len(defaults) > 1:
            raise self.fail("only one caption file may be 'default: true'", "video", "captions")
        shown = [c for c in specs if c.shown_as_text]
        if shown and not defaults:
            # The track in the article's own language is the natural default.
            chosen = next((c for c in shown if languages.primary(c.language)
                           == languages.primary(language)), shown[0])
            specs = [replace(c, default=c is chosen) for c in specs]
        return VideoSpec(path=path, title=self.text(video, "title", "video"),
                         captions=tuple(specs),
                         poster_at=float(poster_at) if poster_at is not None else None,
                         credit=self.text(video, "credit", "video", required=False),
                         poster_alt=self.text(video, "poster_alt", "video", required=False))

    def caption(self, folder: Path, item, index: int) -> CaptionSpec:
        """Validate one entry of ``video.captions``."""
        keys = ("video", "captions", index)
        if not isinstance(item, dict):
            raise self.fail("each caption entry must be a mapping with 'file' and 'language'", *keys)
        automatic = item.get("automatic", False)
        if not isinstance(automatic, bool):
            raise self.fail("'automatic' must be true or false", *keys, "automatic")
        path = self.file(folder, item.get("file"), *keys, "file", suffixes=CAPTION_SUFFIXES,
                         missing_ok=automatic)
        drafted = not path.exists()
        if drafted and (item.get("kind") or "captions") != "captions" or drafted and path.suffix != ".vtt":
            raise BundleError(f"file not found (named in {ARTICLE_FILE} line {self.line(*keys, 'file')}; "
                              "only a missing .vtt captions file marked automatic: true is drafted)",
                              path)
        language = self.text(item, "language", *keys)
        try:
            language = check_language(language)
        except CaptionError as error:
            raise self.fail(error.message, *keys, "language") from None
        kind = self.text(item, "kind", *keys, required=False) or "captions"
        try:
            kind = check_kind(kind)
        except CaptionError as error:
            raise self.fail(error.message, *keys, "kind") from None
        label = self.text(item, "label", *keys, required=False) or languages.autonym(language)
        if not label:
            raise self.fail(f"caption language '{language}' needs a 'label'", *keys)
        default = item.get("default", False)
        if not isinstance(default, bool):
            raise self.fail("'default' must be true or false", *keys, "default")
        return CaptionSpec(path, language, label, default, kind, automatic, drafted)

    def images(self, folder: Path) -> tuple[ImageSpec, ...]:
        """Validate the ``images`` list (alt text is checked at ingest with the file's metadata)."""
        items = self.data.get("images") or []
        if not isinstance(items, list):
            raise self.fail("'images' must be a list", "images")
        specs = []
        for index, item in enumerate(items):
            keys = ("images", index)
            if not isinstance(item, dict):
                raise self.fail("each image entry must be a mapping with 'source' and 'alt'", *keys)
            decorative = item.get("decorative", False)
            if not isinstance(decorative, bool):
                raise self.fail("'decorative' must be true or false", *keys, "decorative")
            focus = item.get("focus", [0.5, 0.5])
            if not (isinstance(focus, list) and len(focus) == 2 and all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1
                    for v in focus)):
                raise self.fail("'focus' must be [x, y] with numbers from 0 to 1", *keys, "focus")
            specs.append(ImageSpec(
                focus=(float(focus[0]), float(focus[1])),
                path=self.file(folder, item.get("source"), *keys, "source"),
                alt=self.text(item, "alt", *keys, required=False),
                caption=self.text(item, "caption", *keys, required=False),
                credit=self.text(item, "credit", *keys, required=False),
                decorative=decorative))
        return tuple(specs)


def _dotted(*keys) -> str:
    return ".".join(f"[{k}]" if isinstance(k, int) else str(k) for k in keys).replace(".[", "[")
