"""Pure builders of ffmpeg/ffprobe argv lists. Nothing here runs a process.

Every input is opened as ``file:<absolute path>`` with the ``file`` protocol
and a fixed list of demuxers only, so a hostile file cannot make ffmpeg open
URLs, playlists of other files (HLS, concat) or devices.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import ffmpeg

if TYPE_CHECKING:
    from media.ffmpeg.info import VideoInfo

# Demuxers for the containers editors really send; deliberately without hls,
# concat, image2 and the like, which read other files named inside the input.
SAFE_DEMUXERS = ",".join([
    "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "avi", "flv", "mpegts", "mpeg",
    "ogg", "mp3", "aac", "wav", "flac", "asf", "mxf", "dv", "h264", "hevc",
])

WEB_VIDEO_PROFILES = {"Constrained Baseline", "Baseline", "Main", "High"}

# The EBU R128 meter with true peak; ebur128 prints its summary when the
# graph closes, and loudness.parse_measurement reads it.
LOUDNESS_METER = "ebur128=peak=true"


@dataclass(frozen=True)
class ClipSettings:
    """Encoding choices for web clips; part of every output's content hash."""

    max_height: int = 1080
    crf: int = 23
    preset: str = "veryfast"
    audio_bitrate: str = "128k"
    audio_rate: int = 48000
    renditions: tuple[int, ...] = ()   # extra MP4 heights, e.g. (720, 480)
    webm: bool = False                 # also write VP9/Opus WebM
    loudness_target: float | None = -16.0   # LUFS; None leaves levels alone
    true_peak: float = -1.5            # dBTP
    webm_crf: int = 33


def input_url(path: Path | str) -> str:
    """Return the URL ffmpeg should open: never a protocol the name suggests."""
    return "file:" + str(Path(path).resolve())


def _input(path: Path | str, **options):
    return ffmpeg.input(input_url(path), protocol_whitelist="file",
                        format_whitelist=SAFE_DEMUXERS, **options)


def _compile(stream, binary: str, loglevel: str = "error") -> list[str]:
    # -nostdin: ffmpeg must never wait on a terminal; -y: we always write
    # into a fresh temporary name, which then is renamed into place.
    argv = stream.compile(cmd=binary, overwrite_output=True)
    return [argv[0], "-hide_banner", "-nostdin", "-loglevel", loglevel, *argv[1:]]


def _compile_with_log(stream, binary: str) -> list[str]:
    # Filters such as ebur128 and silencedetect report at info level, which
    # "-loglevel error" would hide; -nostats keeps the once-a-second status
    # lines out of the captured stderr.
    argv = _compile(stream, binary, loglevel="info")
    return [argv[0], "-nostats", *argv[1:]]


def probe_command(ffprobe: str, path: Path | str) -> list[str]:
    """Return the ffprobe argv that describes ``path`` as JSON."""
    # ffmpeg-python builds ffmpeg graphs only (its probe() runs ffprobe itself).
    return [ffprobe, "-v", "error", "-protocol_whitelist", "file",
            "-format_whitelist", SAFE_DEMUXERS, "-print_format", "json",
            "-show_format", "-show_streams", input_url(path)]


def remux_reasons(info: VideoInfo, max_height: int = 1080) -> list[str]:
    """Return why ``info`` cannot simply be remuxed into a clip of at most ``max_height``; empty when it can."""
    reasons = []
    if not info.has_video:
        reasons.append("no video stream")
        return reasons
    if info.video_codec != "h264":
        reasons.append(f"video codec is {info.video_codec}, not H.264")
    elif info.video_profile not in WEB_VIDEO_PROFILES:
        reasons.append(f"H.264 profile {info.video_profile} is not Baseline/Main/High")
    if info.video_level is not None and info.video_level > 42:
        reasons.append(f"H.264 level {info.video_level / 10:g} is above 4.2")
    if info.pix_fmt != "yuv420p":
        reasons.append(f"pixel format is {info.pix_fmt}, not yuv420p")
    if info.rotation:
        reasons.append(f"picture is rotated {info.rotation} degrees")
    if info.sample_aspect_ratio != 1:
        reasons.append("pixels are not square")
    if info.height and info.height > max_height:
        reasons.append(f"height {info.height} is above {max_height}")
    if not info.format.startswith("mov,"):
        reasons.append(f"container is {info.format}, not MP4/MOV")
    if info.has_audio and (info.audio_codec != "aac" or info.audio_profile not in (None, "LC")):
        reasons.append(f"audio is {info.audio_codec} {info.audio_profile or ''}".rstrip()
                       + ", not AAC-LC")
    return reasons


def remux_command(ffmpeg_bin: str, info: VideoInfo, output: Path | str,
                  audio_filter: str | None = None, settings: ClipSettings = ClipSettings()
                  ) -> list[str]:
    """Return the argv that copies the video into a fast-start MP4.

    With ``audio_filter`` (loudness normalisation) only the audio is
    re-encoded; the video stream is still copied bit for bit.
    """
    source = _input(info.path)
    return _compile(_remux_output(source, info, output, audio_filter, settings), ffmpeg_bin)


def remux_measuring_command(ffmpeg_bin: str, info: VideoInfo, output: Path | str) -> list[str]:
    """Return the argv that copies every stream into a fast-start MP4 and measures the audio.

    One ffmpeg run, two outputs: the MP4, as ``remux_command`` writes it
    without a filter, and the first audio stream decoded through
    ``LOUDNESS_METER`` into the null muxer. The meter's summary is on stderr
    (loudness.parse_measurement reads it), so this run logs at info level.
    """
    source = _input(info.path)
    remux = _remux_output(source, info, output, None, ClipSettings())
    meter = ffmpeg.output(_audio(source, LOUDNESS_METER), "-", f="null")
    # -nostats keeps the once-a-second status lines out of the captured stderr.
    argv = _compile(ffmpeg.merge_outputs(remux, meter), ffmpeg_bin, loglevel="info")
    return [argv[0], "-nostats", *argv[1:]]


def _remux_output(source, info: VideoInfo, output: Path | str, audio_filter: str | None,
                  settings: ClipSettings):
    streams = [source["v:0"]]
    options = {"c:v": "copy", "movflags": "+faststart", "map_metadata": "-1",
               "map_chapters": "-1", "f": "mp4"}
    if info.has_audio:
        streams.append(_audio(source, audio_filter))
        options.update(_audio_options(info, settings) if audio_filter else {"c:a": "copy"})
    return ffmpeg.output(*streams, str(output), **options)


def _audio(source, audio_filter: str | None):
    return apply_filters(source["a:0"], audio_filter)


def apply_filters(stream, chain: str | None):
    """Return ``stream`` through a filter chain written as text, such as "volume=-3dB,aresample=48000"."""
    # Each filter is added in turn so ffmpeg-python quotes its values correctly.
    for part in filter(None, (chain or "").split(",")):
        name, _, arguments = part.partition("=")
        values = [a for a in arguments.split(":") if a]
        stream = stream.filter(name, *(v for v in values if "=" not in v),
                               **dict(v.split("=", 1) for v in values if "=" in v))
    return stream


def _audio_options(info: VideoInfo, settings: ClipSettings) -> dict:
    return {"c:a": "aac", "b:a": settings.audio_bitrate, "ar": settings.audio_rate,
            "ac": min(info.audio_channels or 2, 2)}


def _web_video(source, info: VideoInfo, max_height: int):
    """Return the video stream filtered to upright, square, even-sized, TV-range yuv420p."""
    # ffmpeg's default autorotate turns the pixels before this chain runs, so
    # the picture here is already upright. Each scale runs only when needed:
    # a no-op scale of a 1080p picture still costs a tenth of the encode.
    stream = source["v:0"]
    width, height = info.display_size or (0, 0)
    if info.sample_aspect_ratio != 1:
        stream = (stream.filter("scale", "trunc(iw*sar/2)*2", "trunc(ih/2)*2")
                  .filter("setsar", "1"))
        width, height = width // 2 * 2, height // 2 * 2
    full_range = info.full_range
    if height > max_height or width % 2 or height % 2 or full_range:
        # Cap the height without upscaling, keep both sides even for yuv420p,
        # and take full-range (JPEG) video to the TV range browsers expect.
        stream = stream.filter("scale", "-2", f"min({max_height},trunc(ih/2)*2)",
                               **({"out_range": "tv"} if full_range else {}))
        # scale keeps the display aspect by bending the SAR when it rounds a
        # width to even: make the pixels square again.
        stream = stream.filter("setsar", "1")
    return stream.filter("format", "yuv420p")


def transcode_command(ffmpeg_bin: str, info: VideoInfo, output: Path | str,
                      settings: ClipSettings = ClipSettings(), audio_filter: str | None = None,
                      max_height: int | None = None, threads: int | None = None) -> list[str]:
    """Return the argv that encodes a web-ready H.264/AAC fast-start MP4."""
    source = _input(info.path)
    streams = [_web_video(source, info, max_height or settings.max_height)]
    options = {
        "c:v": "libx264", "crf": settings.crf, "preset": settings.preset,
        "profile:v": "high", "level:v": "4.1",
        # A keyframe every 2 s: players seek fast, and posters are chosen
        # among keyframes without decoding the whole clip.
        "force_key_frames": "expr:gte(t,n_forced*2)",
        "movflags": "+faststart", "map_metadata": "-1", "map_chapters": "-1", "f": "mp4",
    }
    if threads:
        options["threads"] = threads
    if info.has_audio:
        streams.append(_audio(source, audio_filter))
        options.update(_audio_options(info, settings))
    return _compile(ffmpeg.output(*streams, str(output), **options), ffmpeg_bin)


def webm_command(ffmpeg_bin: str, info: VideoInfo, output: Path | str,
                 settings: ClipSettings = ClipSettings(), audio_filter: str | None = None,
                 threads: int | None = None) -> list[str]:
    """Return the argv that encodes a VP9/Opus WebM alternative."""
    source = _input(info.path)
    streams = [_web_video(source, info, settings.max_height)]
    # Constant quality (-b:v 0 with -crf); row-mt and cpu-used 4 keep VP9
    # fast enough for short clips on a small machine.
    options = {"c:v": "libvpx-vp9", "crf": settings.webm_crf, "b:v": 0, "row-mt": 1,
               "deadline": "good", "cpu-used": 4, "map_metadata": "-1",
               "map_chapters": "-1", "f": "webm"}
    if threads:
        options["threads"] = threads
    if info.has_audio:
        streams.append(_audio(source, audio_filter))
        options.update({"c:a": "libopus", "b:a": "96k", "ar": 48000,
                        "ac": min(info.audio_channels or 2, 2)})
    return _compile(ffmpeg.output(*streams, str(output), **options), ffmpeg_bin)


def audio_reasons(info: VideoInfo) -> list[str]:
    """Return why an audio-only input cannot be copied into M4A; empty when it can."""
    reasons = []
    if info.audio_codec != "aac" or info.audio_profile not in (None, "LC"):
        reasons.append(f"audio is {info.audio_codec}, not AAC-LC")
    if not info.format.startswith("mov,"):
        reasons.append(f"container is {info.format}, not MP4/M4A")
    return reasons


def audio_command(ffmpeg_bin: str, info: VideoInfo, output: Path | str,
                  settings: ClipSettings = ClipSettings(), audio_filter: str | None = None
                  ) -> list[str]:
    """Return the argv that writes a fast-start AAC ``.m4a`` from an audio-only input."""
    source = _input(info.path)
    options = {"movflags": "+faststart", "map_metadata": "-1", "map_chapters": "-1",
               "vn": None, "f": "mp4"}
    if audio_filter or audio_reasons(info):
        options.update(_audio_options(info, settings))
    else:
        options["c:a"] = "copy"
    return _compile(ffmpeg.output(_audio(source, audio_filter), str(output), **options),
                    ffmpeg_bin)


def _audio_analysis(path: Path | str, audio_filter: str):
    """Return the output that decodes the first audio stream of ``path`` through a filter, into nothing."""
    return ffmpeg.output(_input(path)["a:0"], "-", f="null", af=audio_filter, vn=None, sn=None, dn=None)


def measure_command(ffmpeg_bin: str, path: Path | str) -> list[str]:
    """Return the argv that measures the loudness of the first audio stream of ``path``."""
    return _compile_with_log(_audio_analysis(path, LOUDNESS_METER), ffmpeg_bin)


def silencedetect_command(ffmpeg_bin: str, path: Path | str, noise_db: float,
                          min_silence: float) -> list[str]:
    """Return the argv that logs the silences of the first audio stream of ``path``.

    Quieter than ``noise_db`` dBFS for at least ``min_silence`` seconds is silence.
    """
    detector = f"silencedetect=noise={noise_db:g}dB:duration={min_silence:g}"
    return _compile_with_log(_audio_analysis(path, detector), ffmpeg_bin)


def speech_audio_command(ffmpeg_bin: str, path: Path | str, rate: int = 16000) -> list[str]:
    """Return the argv that writes the first audio stream of ``path`` to stdout as raw speech samples.

    Mono signed 16-bit little-endian at ``rate`` Hz, no header: what speech
    recognisers read.
    """
    out = ffmpeg.output(_input(path)["a:0"], "pipe:1", f="s16le", ac=1, ar=rate,
                        vn=None, sn=None, dn=None, **{"c:a": "pcm_s16le"})
    return _compile(out, ffmpeg_bin)


def demo_clip_command(ffmpeg_bin: str, output: Path | str, width: int, height: int,
                      seconds: int, options: dict, tone: int) -> list[str]:
    """Return the argv that synthesises a test clip: moving pattern and a beeping tone."""
    # lavfi sources are generated, not read: no file, so no input whitelist.
    picture = ffmpeg.input(f"testsrc2=size={width}x{height}:rate=25:duration={seconds}", f="lavfi")
    sound = ffmpeg.input(f"sine=frequency={tone}:beep_factor=2:duration={seconds}", f="lavfi")
    return _compile(ffmpeg.output(picture, sound, str(output), shortest=None, f="mp4", **options),
                    ffmpeg_bin)


def demo_speech_clip_command(ffmpeg_bin: str, output: Path | str, width: int, height: int,
                             seconds: int, options: dict,
                             speech: list[tuple[Path | str, float, float]]) -> list[str]:
    """Return the argv that makes a test clip whose sound is speech under its captions.

    ``speech`` holds (WAV file, start, end) per cue: each file is cut at its
    cue's length, delayed to its start, mixed into one track the clip's length
    and brought to the loudness web clips get.
    """
    picture = ffmpeg.input(f"testsrc2=size={width}x{height}:rate=25:duration={seconds}", f="lavfi")
    voices = [_input(wav)["a:0"].filter("atrim", end=f"{end - start:.3f}")
              .filter("adelay", delays=round(start * 1000), all=1)
              for wav, start, end in speech]
    # normalize=0: cues do not overlap, so no voice needs to be turned down.
    sound = (ffmpeg.filter(voices, "amix", inputs=len(voices), normalize=0)
             if len(voices) > 1 else voices[0])
    settings = ClipSettings()
    sound = (sound.filter("apad", whole_dur=seconds).filter("atrim", end=seconds)
             .filter("loudnorm", I=settings.loudness_target, TP=settings.true_peak)
             .filter("aresample", settings.audio_rate))
    return _compile(ffmpeg.output(picture, sound, str(output), shortest=None, f="mp4", **options),
                    ffmpeg_bin)


def _seek(path: Path | str, at: float, **options):
    # Input seeking (before -i) jumps to a keyframe and decodes from there;
    # after -i it would decode every frame from the start.
    return _input(path, ss=f"{at:.3f}", **options)


def poster_candidates_command(ffmpeg_bin: str, clip: Path | str, first_ms: int, step_ms: int,
                              count: int, width: int) -> list[str]:
    """Return the argv that writes ``count`` small grey PNG frames, one every ``step_ms`` from ``first_ms``, to stdout.

    Frame ``i`` is the first frame starting at or after ``first_ms + i * step_ms``,
    the one ``poster_frame_command`` extracts at that time.
    """
    # After the seek, candidate i is due at i * step. fps keeps, per slot, the
    # last frame stamped at or before it (round=up); stamping each frame with
    # its predecessor's time plus one tick turns that into the first frame at
    # or after it, as -ss does. start_time=0 anchors slot 0 at the seek point.
    pick = "setpts=if(isnan(PREV_INPTS)\\,0\\,PREV_INPTS+1)"
    graph = f"{pick},fps=fps=1000/{step_ms}:start_time=0:round=up,scale={width}:-2,format=gray"
    out = ffmpeg.output(_seek(clip, first_ms / 1000)["v:0"], "pipe:1", vf=graph, f="image2pipe",
                        **{"frames:v": count, "c:v": "png"})
    return _compile(out, ffmpeg_bin)


def poster_frame_command(ffmpeg_bin: str, clip: Path | str, at: float, output_png: Path | str) -> list[str]:
    """Return the argv that writes the full-size frame at ``at`` seconds as one PNG."""
    out = ffmpeg.output(_seek(clip, at)["v:0"], str(output_png), pix_fmt="rgb24", f="image2",
                        # The PNG is read once and deleted: deflating it is wasted time.
                        compression_level=0,
                        # update: the name is one file, not an image2 pattern with %d.
                        update=1, **{"frames:v": 1, "c:v": "png"})
    return _compile(out, ffmpeg_bin)


def poster_keyframes_command(ffmpeg_bin: str, clip: Path | str, low: float, high: float) -> list[str]:
    """Return the argv that writes the keyframes from ``low`` to ``high`` seconds to stdout.

    Each is one binary PPM, full size RGB, converted as ``poster_frame_command``
    converts; showinfo logs its time on stderr (level info): frame ``n`` of
    the log is the ``n``-th image on stdout.
    """
    graph = (f"select='between(t,{low:.6f},{high:.6f})',split[keep][log];"
             # showinfo checksums every pixel it sees: it gets a thumbnail-sized
             # copy, which costs nothing, instead of the full frame.
             "[log]scale=8:8:flags=neighbor,showinfo,nullsink;[keep]null")
    # skip_frame: decode keyframes only, the others are skipped before decoding
    # (not -discard nokey: without the packets between keyframes the decoder
    # guesses their times, and guesses wrong after B-frames). One decoding
    # thread: frame threads would each set up a decoder for frames that are
    # mostly never decoded, costing more than they save.
    source = _input(clip, skip_frame="nokey", threads=1)
    out = ffmpeg.output(source["v:0"], "pipe:1", fps_mode="passthrough", vf=graph, pix_fmt="rgb24",
                        f="image2pipe", **{"c:v": "ppm"})
    return _compile_with_log(out, ffmpeg_bin)
