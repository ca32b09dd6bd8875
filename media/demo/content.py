"""Text of the demo articles: original, invented stories about invented places."""

from __future__ import annotations

TOP_STORY = {
    "slug": "night-ferry-returns",
    "title": "The night ferry to Marrow Island sails again",
    "published": "2026-11-20T07:30:00+01:00",
    "summary": ("After eight months in dry dock, the late crossing between Port Elsey and "
                "Marrow Island is back, and shift workers no longer have to sleep at the quay."),
    "video_title": "On board the first night crossing",
    "video_credit": "Video: Newsreel demo desk",
    "photo_alt": ("A white ferry with a blue hull leaves a small harbour at dusk; "
                  "lights are on in the wheelhouse and the sky is orange over the sea."),
    "photo_caption": "The ferry leaves Port Elsey on its first evening run.",
    "photo_credit": "Newsreel demo desk / Studio Elsey",
    "photo_creator": "Ada Lindqvist",
    "photo_copyright": "© 2026 Newsreel demo desk",
    "body": """\
The last boat of the day left Port Elsey at 23:40 on Thursday, the first night
crossing since March. About sixty passengers were on board: nurses from the
island clinic, bakers on the early shift and a school band coming home from a
competition.

## Why the ferry stopped

A cracked propeller shaft took the only night-capable vessel out of service in
the spring. The replacement part had to be cast to order, and the harbour
authority says the repair cost more than the ferry earns in a year.

## What changes now

- Crossings at 21:10, 22:30 and 23:40, every day of the week.
- Bicycles travel free after 21:00.
- The ticket office stays open until the last departure.

"We planned our lives around that boat," said one passenger, who works nights at
the bakery on the quay. The harbour authority will publish the winter timetable
next week.
""",
    "captions_en": [
        (0.5, 4.0, "<v Narrator>It is twenty to midnight in Port Elsey."),
        (4.2, 7.8, "The night ferry is about to leave\nfor the first time since March."),
        (8.2, 11.5, "<v Captain>We have been waiting for this\nevening for eight months."),
        (11.7, 15.0, "<v Captain>The new shaft is in,\nthe engine sounds good."),
        (15.6, 19.0, "<v Narrator>About sixty passengers\nare on board tonight."),
        (19.2, 22.6, "<v Passenger>I work at the bakery.\nWithout this boat I sleep at the quay."),
        (23.0, 26.4, "<v Narrator>The crossing takes\ntwenty-five minutes."),
        (26.6, 30.2, "The first night ferry reaches\nMarrow Island just after midnight."),
        (30.4, 31.8, "[Ship's horn]"),
    ],
    "captions_de": [
        (0.5, 4.0, "Es ist zwanzig vor zwölf in Port Elsey."),
        (4.2, 7.8, "Die Nachtfähre legt gleich ab,\nzum ersten Mal seit März."),
        (8.2, 11.5, "Auf diesen Abend haben wir\nacht Monate gewartet."),
        (11.7, 15.0, "Die neue Welle ist eingebaut,\nder Motor klingt gut."),
        (15.6, 19.0, "Heute Abend sind etwa\nsechzig Fahrgäste an Bord."),
        (19.2, 22.6, "Ich arbeite in der Bäckerei.\nOhne dieses Schiff schlafe ich am Kai."),
        (23.0, 26.4, "Die Überfahrt dauert\nfünfundzwanzig Minuten."),
        (26.6, 30.2, "Die erste Nachtfähre erreicht\nMarrow Island kurz nach Mitternacht."),
        (30.4, 31.8, "[Schiffshorn]"),
    ],
    # What a blind viewer would miss, read out by the browser or shown in the
    # transcript in brackets (WCAG 1.2.3 and 1.2.5).
    "descriptions_en": [
        (0.5, 4.0, "Night. A ferry with its lights on waits at a quay; passengers walk up the ramp."),
        (8.2, 11.5, "In the wheelhouse, the captain checks the instruments."),
        (15.6, 19.0, "The deck is full: nurses in uniform, a school band with instrument cases."),
        (26.6, 30.2, "The lights of Marrow Island come into view across the dark water."),
    ],
    "chapters_en": [
        (0.0, 8.0, "Leaving Port Elsey"),
        (8.0, 19.0, "The repaired ferry"),
        (19.0, 32.0, "Passengers and the arrival"),
    ],
}

LIBRARY_STORY = {
    "slug": "reading-room-stays-open",
    "title": "Port Elsey's reading room stays open until midnight",
    "published": "2026-11-18T12:00:00+01:00",
    "summary": "A trial of late opening hours at the town library has been made permanent.",
    "video_title": "An evening in the reading room",
    "photo_alt": "Rows of wooden desks with green lamps in a quiet library reading room.",
    "photo_caption": "The reading room on a weekday evening.",
    "photo_credit": "Newsreel demo desk",
    "body": """\
The town library's reading room will stay open until midnight from Monday to
Saturday. During the six-month trial, more than four thousand evening visits
were counted, most of them by students and people who work day shifts.

The library board says volunteers will staff the desk after 20:00.
""",
    "captions_en": [
        (0.3, 3.5, "<v Librarian>Most evenings every desk is taken."),
        (3.8, 7.5, "<v Librarian>People come after work,\nstudents come after the canteen closes."),
        (7.8, 11.5, "<v Narrator>The late opening is now permanent."),
    ],
}

GARDEN_STORY = {
    "slug": "school-roof-garden",
    "title": "A garden on the school roof keeps classrooms cooler",
    "published": "2026-11-12T09:15:00+01:00",
    "summary": "Pupils at Harbour Street School measured the temperature under their new roof garden.",
    "video_title": "Pupils show their roof garden",
    "photo_alt": "Raised beds with herbs and tomatoes on a flat school roof under a blue sky.",
    "photo_caption": "The roof garden in its first summer.",
    "photo_credit": "Newsreel demo desk",
    "body": """\
Pupils at Harbour Street School planted herbs, beans and tomatoes on the flat
roof above their science rooms. All summer they read two thermometers: one under
the garden, one under the bare roof next to it.

On the hottest afternoon the room under the garden was four degrees cooler.
""",
    "captions_en": [
        (0.4, 3.6, "<v Pupil>This thermometer is under the garden."),
        (3.9, 7.2, "<v Pupil>That one is under the bare roof."),
        (7.5, 9.8, "<v Pupil>Four degrees difference!"),
    ],
}

# The garden story in Arabic: a right-to-left language version with its own
# headline, text and subtitles, sharing the English story's clip and photo.
GARDEN_STORY_AR = {
    "slug": "school-roof-garden-ar",
    "language": "ar",
    "translation_of": GARDEN_STORY["slug"],
    "title": "حديقة على سطح المدرسة تُبقي الفصول أكثر برودة",
    "published": "2026-11-12T11:00:00+01:00",
    "summary": "قاس تلاميذ مدرسة شارع الميناء درجة الحرارة تحت حديقتهم الجديدة على السطح.",
    "video_title": "التلاميذ يعرضون حديقتهم على السطح",
    "photo_alt": "أحواض مرتفعة فيها أعشاب وطماطم على سطح مدرسة مستوٍ تحت سماء زرقاء.",
    "photo_caption": "حديقة السطح في صيفها الأول.",
    "photo_credit": "Newsreel demo desk",
    "body": """\
زرع تلاميذ مدرسة شارع الميناء الأعشاب والفاصولياء والطماطم على السطح المستوي
فوق قاعات العلوم. وطوال الصيف قرأوا مقياسَي حرارة: أحدهما تحت الحديقة، والآخر
تحت السطح العاري المجاور لها.

في أشدّ أيام الصيف حرارة، كانت القاعة التي تحت الحديقة أبرد بأربع درجات.
""",
    # The pupils speak English: Arabic viewers read subtitles, and the
    # English captions stay available.
    "subtitles_ar": [
        (0.4, 3.6, "<v تلميذ>مقياس الحرارة هذا تحت الحديقة."),
        (3.9, 7.2, "<v تلميذ>وذاك تحت السطح العاري."),
        (7.5, 9.8, "<v تلميذ>فرق أربع درجات!"),
    ],
    "captions_en": GARDEN_STORY["captions_en"],
}

STORIES = (TOP_STORY, LIBRARY_STORY, GARDEN_STORY)
# Language versions of the stories above; each names its original in "translation_of".
TRANSLATIONS = (GARDEN_STORY_AR,)
