"""Named caption quality profiles: the limits a caption file is checked against.

Each profile follows one published guideline; ``newsreel``, the default,
is ours, for short news clips watched on phones. A limit of None is not
checked.

Why the ``newsreel`` numbers are what they are:

- 42 characters per line: the common broadcast and streaming delivery limit,
  so agency and broadcast captions pass as they are; the browser wraps a
  line that does not fit a narrow phone player anyway, which is why the line
  count matters more than the exact width.
- 2 lines: every guideline agrees, and a third line would cover the lower
  third where news graphics (names, places, straplines) sit.
- 20 characters per second: news captions are often verbatim quotes, which
  cannot be paraphrased to slow them down, so only speeds that are hard for
  anyone to read are reported; 17 (Netflix, adults) would flag ordinary
  fast speech of about 200 words a minute.
- at least 1 second: shorter cues flash past a reader; Netflix's 5/6 s is
  tied to 24 fps drama editing, a round second suits mixed news sources.
- at most 7 seconds: longer cues make viewers re-read and think the player
  is stuck; the same ceiling as Netflix.
- a gap of at least 2 frames: back-to-back cues closer than that read as a
  flicker rather than a change of caption.
- sound for more than 3 seconds with no cue: long enough for music and the
  pauses between sentences, short enough to catch a missing sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from captions.errors import CaptionError

DEFAULT_PROFILE = "newsreel"


class ProfileError(CaptionError, ValueError):
    """A quality profile name that does not exist; the message lists the valid ones."""


@dataclass(frozen=True)
class QualityProfile:
    """Limits for one caption style guide; durations in seconds, speeds per cue.

    ``min_duration`` 0 checks only for cues that are never shown (ending
    at or before their start); ``max_uncaptioned`` is how long sound may
    go on with no cue on screen before it is reported.
    """

    name: str
    description: str
    max_chars_per_line: int
    max_lines: int
    max_cps: float | None
    max_wpm: float | None
    min_duration: float
    max_duration: float | None
    min_gap_frames: int | None
    max_uncaptioned: float = 3.0


NETFLIX_EN = QualityProfile(
    name="netflix-en",
    description="Netflix Timed Text Style Guide, English, adult programmes",
    max_chars_per_line=42,
    max_lines=2,
    max_cps=17,
    max_wpm=None,
    # 20 frames at 24 fps
    min_duration=5 / 6,
    max_duration=7.0,
    min_gap_frames=2,
)

BBC = QualityProfile(
    name="bbc",
    description="BBC subtitle guidelines",
    # about 68% of the width of a 16:9 picture
    max_chars_per_line=37,
    max_lines=2,
    max_cps=None,
    # the guidelines ask for 160-180 words per minute; only above the
    # upper end is a cue too fast
    max_wpm=180,
    min_duration=0.0,
    max_duration=None,
    min_gap_frames=None,
)

DCMP = QualityProfile(
    name="dcmp",
    description="DCMP Captioning Key, adult audiences",
    max_chars_per_line=32,
    max_lines=2,
    max_cps=None,
    # the Key's range is 120-160 words per minute by audience; 160 is its
    # ceiling, for adult viewers
    max_wpm=160,
    min_duration=2.0,
    max_duration=None,
    min_gap_frames=None,
)

NEWSREEL = QualityProfile(
    name="newsreel",
    description="Newsreel default: short news clips watched on phones",
    max_chars_per_line=42,
    max_lines=2,
    max_cps=20,
    max_wpm=None,
    min_duration=1.0,
    max_duration=7.0,
    min_gap_frames=2,
)

# the default first: error messages and listings keep this order
PROFILES: dict[str, QualityProfile] = {
    profile.name: profile for profile in (NEWSREEL, NETFLIX_EN, BBC, DCMP)
}


def get_profile(name: str) -> QualityProfile:
    """Return the profile called ``name``.

    :raises ProfileError: naming the valid profiles when there is none by that name
    """
    try:
        return PROFILES[name]
    except KeyError:
        valid = ", ".join(PROFILES)
        raise ProfileError(
            f"unknown caption quality profile {name!r} (use one of: {valid})") from None
