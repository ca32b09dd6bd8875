"""Turn any readable video or audio file into verified web outputs and posters.

probe (by the caller) -> decide -> measure loudness -> build argv -> run ->
verify -> record. A remux measures loudness in the same ffmpeg run that
copies the streams, and re-encodes the audio afterwards only when it is off
target. Outputs are named by a hash of the source bytes and the settings,
written atomically, and described in a sidecar ``<key>.json`` written last:
when it exists, every output it lists is complete, and a re-run returns it
without running ffmpeg at all.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from media.errors import MediaError
from media.ffmpeg import commands, tools
from media.ffmpeg.commands import ClipSettings
from media.ffmpeg.info import InputLimits, VideoInfo
from media.ffmpeg.probe import probe
from media.ffmpeg.progress import Progress
from media.ffmpeg.run import run_tool, timeout_for
from media.files import atomic_output, write_text_atomic
from media.video.loudness import (
    Loudness,
    LoudnessTarget,
    describe,
    measure_loudness,
    needs_normalising,
    normalise_filter,
    parse_measurement,
)
from media.video.mp4 import moov_before_mdat
from media.video.posters import write_posters

logger = logging.getLogger(__name__)

DURATION_TOLERANCE = 0.1  # seconds an output may differ from its source
POSTER_WIDTHS = (320, 640, 1280)
PIPELINE_VERSION = "2"

ProgressCallback = Callable[[str, Progress], None]


@dataclass(frozen=True)
class Output:
    """One file written for a clip."""

    path: Path
    kind: str              # "video", "audio", "rendition", "webm", "poster"
    media_type: str
    codec: str | None
    width: int | None
    height: int | None
    duration: float | None
    bytes: int

    def to_json(self) -> dict:
        """Return the fields ``python -m media clip --json`` prints."""
        return {"path": str(self.path), "kind": self.kind, "codec": self.codec,
                "width": self.width, "height": self.height,
                "duration": round(self.duration, 3) if self.duration is not None else None,
                "bytes": self.bytes}


@dataclass(frozen=True)
class ClipResult:
    """Everything prepare_clip made from one source."""

    key: str
    has_audio: bool
    method: str                       # "remux", "transcode", "audio-copy", "audio-transcode"
    reasons: tuple[str, ...]
    loudness: str | None              # measured level, for logs and the page
    normalised: bool
    poster_time: float | None
    outputs: tuple[Output, ...] = field(default=())
    reused: bool = False              # True when a finished earlier run was returned

    @property
    def main(self) -> Output:
        """Return the primary playable output (MP4 or M4A)."""
        return next(o for o in self.outputs if o.kind in ("video", "audio"))

    def of_kind(self, kind: str) -> list[Output]:
        """Return the outputs of one kind, in the order they were written."""
        return [o for o in self.outputs if o.kind == kind]


def settings_key(settings: ClipSettings) -> str:
    """Return a stable text form of settings, for content-hashed output names."""
    return json.dumps(asdict(settings), sort_keys=True)


def file_hash(path: Path | str) -> str:
    """Return the SHA-256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def output_key(source_hash: str, settings: ClipSettings, poster_at: float | None) -> str:
    """Return the 16-hex-digit name stem shared by all outputs of one preparation."""
    text = "\0".join([PIPELINE_VERSION, source_hash, settings_key(settings), repr(poster_at)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan(info: VideoInfo, settings: ClipSettings = ClipSettings()) -> tuple[str, list[str]]:
    """Return (method, reasons) for a probed source."""
    if not info.has_video:
        reasons = commands.audio_reasons(info)
        return ("audio-transcode" if reasons else "audio-copy"), reasons
    reasons = commands.remux_reasons(info, settings.max_height)
    return ("transcode" if reasons else "remux"), reasons


@contextlib.contextmanager
def output_lock(out_dir: Path, key: str) -> Iterator[None]:
    """Hold an exclusive lock for one key, so two ingests never write the same outputs."""
    locks = out_dir / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    with (locks / f"{key}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare_clip(info: VideoInfo, out_dir: Path | str, settings: ClipSettings = ClipSettings(), *,
                 poster_at: float | None = None, limits: InputLimits = InputLimits(),
                 source_hash: str | None = None, threads: int | None = None,
                 on_progress: ProgressCallback | None = None,
                 shared_lock: Callable[[str], AbstractContextManager] | None = None
                 ) -> ClipResult:
    """Prepare web outputs for a probed source in ``out_dir``; reuse finished ones.

    ``shared_lock(key)``, when given, is held around the folder's own lock:
    one that machines with separate folders share (the caller knows where
    such a lock lives), so that two of them never prepare the same outputs at once.

    :raises MediaError: when the source breaks a limit, ffmpeg fails or an
        output fails verification. Nothing half-written stays visible.
    """
    info.check_limits(limits)
    if poster_at is not None and info.has_video and not 0 <= poster_at < info.duration:
        raise MediaError(f"poster time {poster_at:g} s is outside the clip "
                         f"(0 to {info.duration:.1f} s)", info.path)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    key = output_key(source_hash or file_hash(info.path), settings, poster_at)
    with shared_lock(key) if shared_lock else contextlib.nullcontext(), output_lock(out_dir, key):
        cached = _load_sidecar(out_dir, key)
        if cached is not None:
            logger.info("%s: already prepared", info.path)
            return cached
        _remove_stale_temporaries(out_dir, key)
        result = _prepare(info, out_dir, key, settings, poster_at, threads, on_progress)
        write_text_atomic(out_dir / f"{key}.json", json.dumps(_sidecar(result), indent=1))
    return result


def _prepare(info: VideoInfo, out_dir: Path, key: str, settings: ClipSettings,
             poster_at: float | None, threads: int | None,
             on_progress: ProgressCallback | None) -> ClipResult:
    method, reasons = plan(info, settings)
    ffmpeg_bin = tools.ffmpeg()
    written: list[Output] = []
    early_posters = None
    if info.has_video and method == "remux":
        # A remux copies the video stream, so the source's frames are the
        # output's: the posters are made from the source while ffmpeg
        # measures loudness and remuxes, instead of after them.
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="posters")
        early_posters = pool.submit(write_posters, info.path, info.duration, out_dir, key,
                                    at=poster_at, widths=POSTER_WIDTHS)
        pool.shutdown(wait=False)
    try:
        if info.has_video and method == "remux" and _target(info, settings):
            # One ffmpeg run copies the streams and measures the audio.
            main, audio_filter, level = _remux_measuring(ffmpeg_bin, info, out_dir / f"{key}.mp4",
                                                         settings, on_progress)
            written.append(main)
        else:
            audio_filter, level = _loudness(info, settings)
        if info.has_video:
            if not written:
                def main_argv(tmp: Path) -> list[str]:
                    if method == "remux":
                        return commands.remux_command(ffmpeg_bin, info, tmp, audio_filter,
                                                      settings)
                    return commands.transcode_command(ffmpeg_bin, info, tmp, settings,
                                                      audio_filter, threads=threads)
                written.append(_run_and_verify(main_argv, info, out_dir / f"{key}.mp4", "video",
                                               method, on_progress))
            for height in _rendition_heights(info, settings):
                written.append(_run_and_verify(
                    lambda tmp, height=height: commands.transcode_command(
                        ffmpeg_bin, info, tmp, settings, audio_filter, max_height=height,
                        threads=threads),
                    info, out_dir / f"{key}-{height}.mp4", "rendition", f"{height}p",
                    on_progress))
            if settings.webm:
                written.append(_run_and_verify(
                    lambda tmp: commands.webm_command(ffmpeg_bin, info, tmp, settings,
                                                      audio_filter, threads),
                    info, out_dir / f"{key}.webm", "webm", "WebM", on_progress))
            if early_posters is not None:
                poster = early_posters.result()
            else:
                poster = write_posters(written[0].path, written[0].duration, out_dir, key,
                                       at=poster_at, widths=POSTER_WIDTHS)
            written += [Output(image.path, "poster", image.media_type, image.format.lower(),
                               image.width, image.height, None, image.path.stat().st_size)
                        for image in poster.images]
            poster_time = poster.time
        else:
            written.append(_run_and_verify(
                lambda tmp: commands.audio_command(ffmpeg_bin, info, tmp, settings, audio_filter),
                info, out_dir / f"{key}.m4a", "audio", method, on_progress))
            poster_time = None
    except BaseException:
        if early_posters is not None:
            _discard_posters(early_posters)
        for output in written:
            output.path.unlink(missing_ok=True)
        raise
    return ClipResult(key, info.has_audio, method, tuple(reasons), level, audio_filter is not None,
                      poster_time, tuple(written))


def _discard_posters(posters: Future) -> None:
    """Wait for posters being made beside a failed run, then delete what they wrote."""
    try:
        poster = posters.result()
    except Exception:  # noqa: BLE001  (the failed run's own error is the one to report)
        return
    for image in poster.images:
        image.path.unlink(missing_ok=True)


def _target(info: VideoInfo, settings: ClipSettings) -> LoudnessTarget | None:
    """Return the loudness the audio should have, or None when levels are left alone."""
    if not info.has_audio or settings.loudness_target is None:
        return None
    return LoudnessTarget(integrated=settings.loudness_target, true_peak=settings.true_peak)


def _loudness(info: VideoInfo, settings: ClipSettings) -> tuple[str | None, str | None]:
    """Return (normalisation filter or None, measured level text) for the source's audio."""
    target = _target(info, settings)
    if target is None:
        return None, None
    return _decide(info, measure_loudness(info.path, target), target)


def _decide(info: VideoInfo, measured: Loudness, target: LoudnessTarget) -> tuple[str | None, str]:
    """Return (normalisation filter or None, measured level text) for a measurement."""
    level = describe(measured)
    if not needs_normalising(measured, target):
        logger.info("%s: loudness %s, kept", info.path, level)
        return None, level
    logger.info("%s: loudness %s, normalising to %g LUFS", info.path, level, target.integrated)
    return normalise_filter(measured, target), level


def _rendition_heights(info: VideoInfo, settings: ClipSettings) -> list[int]:
    # Renditions only ever go down: a rendition as tall as the main clip
    # would be a copy of it under another name.
    main_height = min(info.display_size[1], settings.max_height)
    return sorted({h for h in settings.renditions if h < main_height}, reverse=True)


def _remux_measuring(ffmpeg_bin: str, info: VideoInfo, output: Path, settings: ClipSettings,
                     on_progress: ProgressCallback | None
                     ) -> tuple[Output, str | None, str]:
    """Remux and measure loudness in one run; re-encode the audio only when it is off target.

    Returns (the verified MP4, the normalisation filter or None, the measured level).

    :raises MediaError: when ffmpeg fails, prints no measurement, or the output
        fails verification. Nothing half-written stays visible.
    """
    logger.info("%s: remux -> %s", info.path, output.name)
    timeout = timeout_for(info.duration)
    with atomic_output(output) as tmp:
        argv = commands.remux_measuring_command(ffmpeg_bin, info, tmp)
        result = run_tool(argv, info.path, what="remux failed", timeout=timeout,
                          duration=info.duration, on_progress=_labelled(on_progress, info, "remux"))
        measured = parse_measurement(result.stderr, info.path, argv)
        audio_filter, level = _decide(info, measured, _target(info, settings))
        if audio_filter is not None:
            # The copy just written is replaced: the video is copied again from
            # the source (a remux costs little) and only the audio is encoded.
            run_tool(commands.remux_command(ffmpeg_bin, info, tmp, audio_filter, settings),
                     info.path, what="normalising the audio failed", timeout=timeout,
                     duration=info.duration,
                     on_progress=_labelled(on_progress, info, "normalising audio"))
        described = verify_output(tmp, info, "video")
    return (Output(output, "video", *described, output.stat().st_size), audio_filter, level)


def _labelled(on_progress: ProgressCallback | None, info: VideoInfo, label: str):
    if on_progress is None:
        return None
    return lambda progress: on_progress(f"{info.path.name} {label}", progress)


def _run_and_verify(build: Callable[[Path], list[str]], info: VideoInfo, output: Path, kind: str,
                    label: str, on_progress: ProgressCallback | None) -> Output:
    """Run the argv that ``build`` makes for a temporary path, verify, then rename into place."""
    logger.info("%s: %s -> %s", info.path, label, output.name)
    with atomic_output(output) as tmp:
        run_tool(build(tmp), info.path, what=f"{label} failed", timeout=timeout_for(info.duration),
                 duration=info.duration, on_progress=_labelled(on_progress, info, label))
        described = verify_output(tmp, info, kind)
    return Output(output, kind, described[0], described[1], described[2], described[3],
                  described[4], output.stat().st_size)


def verify_output(path: Path, source: VideoInfo, kind: str) -> tuple:
    """Probe a written output and check it is what browsers need.

    Returns (media type, codec, width, height, duration).

    :raises MediaError: naming the source when a check fails.
    """
    out = probe(path)
    problems = []
    want_video, want_audio = {"webm": ("vp9", "opus"), "audio": (None, "aac")}.get(kind, ("h264", "aac"))
    if want_video and out.video_codec != want_video:
        problems.append(f"video codec {out.video_codec}")
    if want_video and out.pix_fmt != "yuv420p":
        problems.append(f"pixel format {out.pix_fmt}")
    if source.has_audio and out.audio_codec != want_audio:
        problems.append(f"audio codec {out.audio_codec}")
    if not source.has_audio and out.has_audio:
        problems.append("an audio track appeared")
    if abs(out.duration - source.duration) > DURATION_TOLERANCE:
        problems.append(f"duration {out.duration:.3f} s, source {source.duration:.3f} s")
    if kind != "webm" and not moov_before_mdat(path):
        problems.append("moov atom is not before mdat")
    if problems:
        raise MediaError(f"{kind} output failed verification: " + "; ".join(problems), source.path)
    media_type = {"webm": "video/webm", "audio": "audio/mp4"}.get(kind, "video/mp4")
    size = out.display_size or (None, None)
    return media_type, out.video_codec or out.audio_codec, size[0], size[1], out.duration


def _sidecar(result: ClipResult) -> dict:
    data = asdict(result)
    data["outputs"] = [{**asdict(o), "path": o.path.name} for o in result.outputs]
    return data


def _load_sidecar(out_dir: Path, key: str) -> ClipResult | None:
    path = out_dir / f"{key}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        outputs = tuple(Output(**{**o, "path": out_dir / o["path"]}) for o in data.pop("outputs"))
        result = ClipResult(**{**data, "reasons": tuple(data["reasons"]), "outputs": outputs,
                               "reused": True})
    except (OSError, ValueError, TypeError, KeyError):
        return None
    # A sidecar whose outputs were deleted by hand is not a finished job.
    return result if all(o.path.is_file() for o in outputs) else None


def _remove_stale_temporaries(out_dir: Path, key: str) -> None:
    # Temporary names start with "." and the output's stem (files.atomic_output).
    # Under the key's lock nobody else writes them: these are a killed run's.
    for stale in out_dir.glob(f".{key}*"):
        if stale.is_file():
            stale.unlink(missing_ok=True)


def cpu_count() -> int:
    """Return the cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
