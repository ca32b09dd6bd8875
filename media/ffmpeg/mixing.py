"""Pure builders of the ffmpeg argv lists that make a clip's audio-described versions.

Nothing here runs a process. Inputs are opened as ``commands`` opens them:
``file:`` URLs with a fixed list of demuxers, so a hostile clip cannot make
ffmpeg open anything else. The standard version takes two runs: the mix
(programme ducked under the voice) into a float WAV, measured in the same
run, then the mux that copies the clip's video and encodes the mix with the
measured gain. The extended version holds frames, so its video is encoded.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import ffmpeg

from media.ffmpeg.commands import (
    LOUDNESS_METER,
    ClipSettings,
    _audio,
    _compile,
    _input,
    apply_filters,
    input_url,
)

MIX_FORMAT = {"sample_fmts": "fltp", "sample_rates": 48000, "channel_layouts": "stereo"}
# 256 samples (5 ms) per frame: the ducking gain is worked out once a frame,
# and AAC's 1024-sample frames would make each ramp a staircase of 21 ms steps.
DUCK_FRAME_SAMPLES = 256
# Our own caption files, written beside the outputs; only for those inputs.
SUBTITLE_DEMUXERS = "srt"
# A voice at the programme's loudness, added to it, peaks above the -1.5 dBTP
# ceiling, and only loudnorm (which resamples to 192 kHz and took 3.3 of the
# 3.7 s a 32 s clip needed) could bring it back. Limiting the mix's peaks to
# -4.4 dBFS leaves the final gain (within a few dB) a plain volume change.
MIX_PEAK_LIMIT = 0.6


def _mix_graph(clip: Path | str, voice_wav: Path | str, duck: str, voice_gain_db: float,
               has_audio: bool, programme=None):
    """Return the filter graph's mix: the programme ducked by ``duck`` under the gained voice."""
    voice = (_input(voice_wav)["a:0"].filter("aformat", **MIX_FORMAT)
             .filter("volume", f"{voice_gain_db:.2f}dB"))
    if not has_audio:
        return _limited(voice)
    if programme is None:
        programme = _input(clip)["a:0"]
    ducked = (programme.filter("aformat", **MIX_FORMAT)
              .filter("asetnsamples", n=DUCK_FRAME_SAMPLES)
              .filter("volume", volume=duck, eval="frame"))
    # normalize=0: amix would otherwise halve both; duration=first: the programme's length.
    mix = ffmpeg.filter([ducked, voice], "amix", inputs=2, normalize=0, duration="first")
    return _limited(mix)


def _limited(mix):
    # level=0: no automatic gain; latency=1: the look-ahead does not delay the sound.
    return mix.filter("alimiter", limit=MIX_PEAK_LIMIT, level=0, latency=1)


def _mix_outputs(mix, output_wav: Path | str) -> list[str]:
    """Return the outputs that write ``mix`` as a float WAV and measure it on the way."""
    split = mix.filter_multi_output("asplit")
    wav = ffmpeg.output(split[0], str(output_wav), f="wav", **{"c:a": "pcm_f32le"})
    meter = ffmpeg.output(apply_filters(split[1], LOUDNESS_METER), "-", f="null")
    return ffmpeg.merge_outputs(wav, meter)


def _with_log(argv: list[str]) -> list[str]:
    # The meter's summary is logged at info level; -nostats keeps the
    # once-a-second status lines out of the captured stderr.
    return [argv[0], "-nostats", *argv[1:]]


def described_mix_command(ffmpeg_bin: str, clip: Path | str, voice_wav: Path | str,
                          output_wav: Path | str, duck: str, voice_gain_db: float,
                          has_audio: bool) -> list[str]:
    """Return the argv that mixes the clip's sound, ducked by ``duck``, with the voice track.

    ``voice_wav`` holds every description at its place, the clip's length;
    the mix goes to ``output_wav`` and through the loudness meter, whose
    summary ``loudness.parse_measurement`` reads from stderr. A clip without
    sound gets the voice alone.
    """
    mix = _mix_graph(clip, voice_wav, duck, voice_gain_db, has_audio)
    return _with_log(_compile(_mix_outputs(mix, output_wav), ffmpeg_bin, loglevel="info"))


def described_mux_command(ffmpeg_bin: str, clip: Path | str, mix_wav: Path | str,
                          output: Path | str, audio_filter: str | None,
                          settings: ClipSettings = ClipSettings()) -> list[str]:
    """Return the argv that copies the clip's video and adds the mix as AAC, in a fast-start MP4."""
    video = _input(clip)["v:0"]
    audio = _audio(_input(mix_wav), audio_filter)
    return _compile(ffmpeg.output(
        video, audio, str(output), **{"c:v": "copy", "c:a": "aac", "b:a": settings.audio_bitrate,
                                      # the fast coder halves the encode (0.55 s against 1.24 s
                                      # of CPU for 32 s), which is most of this version's time
                                      "aac_coder": "fast"},
        ar=settings.audio_rate, ac=2, movflags="+faststart", map_metadata="-1",
        map_chapters="-1", f="mp4"), ffmpeg_bin)


def _hold_segments(holds: Sequence[tuple[float, float]], duration: float
                   ) -> list[tuple[float, float, float]]:
    """Return (start, end, hold after it) for each piece of the clip between hold points.

    ``holds`` are (time, seconds) in time order, times within (0, duration].
    """
    segments, start = [], 0.0
    for at, seconds in holds:
        segments.append((start, at, seconds))
        start = at
    if start < duration or not segments:
        segments.append((start, duration, 0.0))
    return segments


def _held_audio(clip: Path | str, lead: float, holds: Sequence[tuple[float, float]],
                duration: float):
    """Return the programme sound with silence where the extended version holds its frame."""
    pieces = _hold_segments(holds, duration)
    parts = _input(clip)["a:0"].filter_multi_output("asplit", len(pieces))
    streams = []
    for index, (start, end, hold) in enumerate(pieces):
        part = (parts[index].filter("atrim", start=f"{start:.6f}", end=f"{end:.6f}")
                .filter("asetpts", "PTS-STARTPTS").filter("aformat", **MIX_FORMAT))
        if index == 0 and lead:
            part = part.filter("adelay", delays=round(lead * 1000), all=1)
        if hold:
            part = part.filter("apad", pad_dur=f"{hold:.6f}")
        streams.append(part)
    return ffmpeg.concat(*streams, v=0, a=1) if len(streams) > 1 else streams[0]


def extended_mix_command(ffmpeg_bin: str, clip: Path | str, voice_wav: Path | str,
                         output_wav: Path | str, duck: str, voice_gain_db: float, has_audio: bool,
                         lead: float, holds: Sequence[tuple[float, float]],
                         duration: float) -> list[str]:
    """Return the argv that mixes the extended version's sound, measuring it on the way.

    The programme is silent for ``lead`` seconds at the start and for each
    (time, seconds) of ``holds``; ``duck`` and ``voice_wav`` are on the
    extended timeline.
    """
    programme = _held_audio(clip, lead, holds, duration) if has_audio else None
    mix = _mix_graph(clip, voice_wav, duck, voice_gain_db, has_audio, programme)
    return _with_log(_compile(_mix_outputs(mix, output_wav), ffmpeg_bin, loglevel="info"))


def _held_video(clip: Path | str, lead: float, holds: Sequence[tuple[float, float]],
                duration: float):
    """Return the clip's picture with its frame held at the start and at each hold point."""
    pieces = _hold_segments(holds, duration)
    parts = _input(clip)["v:0"].filter_multi_output("split", len(pieces))
    streams = []
    for index, (start, end, hold) in enumerate(pieces):
        part = (parts[index].filter("trim", start=f"{start:.6f}", end=f"{end:.6f}")
                .filter("setpts", "PTS-STARTPTS"))
        clone = {}
        if index == 0 and lead:
            clone.update(start_mode="clone", start_duration=f"{lead:.6f}")
        if hold:
            clone.update(stop_mode="clone", stop_duration=f"{hold:.6f}")
        if clone:
            part = part.filter("tpad", **clone)
        streams.append(part)
    video = ffmpeg.concat(*streams, v=1, a=0) if len(streams) > 1 else streams[0]
    return video.filter("format", "yuv420p")


def extended_video_command(ffmpeg_bin: str, clip: Path | str, mix_wav: Path | str,
                           subtitles: Sequence[tuple[Path | str, str, str]], output: Path | str,
                           audio_filter: str | None, lead: float,
                           holds: Sequence[tuple[float, float]], duration: float,
                           settings: ClipSettings = ClipSettings(),
                           threads: int | None = None) -> list[str]:
    """Return the argv that encodes the extended version: held frames, the mix, its captions.

    ``subtitles`` holds (SRT file, ISO 639-2 language, title) per caption
    track, already on the extended timeline; they go into the MP4 as
    mov_text, which plain players and TVs show.
    """
    streams = [_held_video(clip, lead, holds, duration), _audio(_input(mix_wav), audio_filter)]
    options = {
        "c:v": "libx264", "crf": settings.crf, "preset": settings.preset,
        "profile:v": "high", "level:v": "4.1", "force_key_frames": "expr:gte(t,n_forced*2)",
        "c:a": "aac", "b:a": settings.audio_bitrate, "ar": settings.audio_rate, "ac": 2,
        "movflags": "+faststart", "map_metadata": "-1", "map_chapters": "-1", "f": "mp4",
    }
    if threads:
        options["threads"] = threads
    for srt, _language, _title in subtitles:
        streams.append(ffmpeg.input(input_url(srt), protocol_whitelist="file",
                                    format_whitelist=SUBTITLE_DEMUXERS, f="srt")["s:0"])
    if subtitles:
        options["c:s"] = "mov_text"
    argv = _compile(ffmpeg.output(*streams, str(output), **options), ffmpeg_bin)
    # Two metadata options per stream: a dict of options cannot repeat a
    # key, so they go in before the output name by hand (the argv ends with
    # it and "-y"; ffmpeg ignores output options after the last output).
    # The MP4 muxer drops a stream's "title"; players show its handler name.
    labels = []
    for index, (_srt, language, title) in enumerate(subtitles):
        labels += [f"-metadata:s:s:{index}", f"language={language}",
                   f"-metadata:s:s:{index}", f"handler_name={title}"]
    return [*argv[:-2], *labels, *argv[-2:]]
