"""From a scraped page to a draft article: the text, its quotes and who said them.

General rules, not per-site ones:

- A page is split into blocks (runs of non-blank lines). The article body is the
  longest run of *prose* blocks (sentences ending in punctuation, or quotations)
  after the headline; it ends at page furniture: short, link-like or repeated
  lines, sign-up and job-advert boxes, and teasers of other stories (a title-like
  line followed by prose that shares little vocabulary with the article).
- The headline is the title-like line nearest the start of the body; a dateline
  ("29 January 2018", "Tuesday 2 December 2025", "January 2018") gives the date at
  the precision it states, and a name beside it (or "By …") the byline.
- A direct quote is text between quotation marks (‘…’, “…”, "…") of at least a few
  words; a quotation left open at the end of a paragraph continues in the next
  paragraph that opens with a quotation mark, as British newspapers print it. It
  is attributed by a speech verb in its paragraph ("…,’ he said", "said Ms Smith",
  "Name, role, said:"), by a name, surname or role printed there, or by a pronoun
  or continuation carried over from the previous quote.
- Speakers are matched to people already in the archive by full name, by surname
  with an honorific, or by a role they held as printed; anyone else is proposed as
  a new person.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace

from django.utils.text import slugify

from archive.dates import PartialDate

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day,?"
DAY_MONTH_YEAR = re.compile(
    rf"\b(?:{WEEKDAY}\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTH})\.?,?\s+((?:19|20)\d\d)\b", re.I
)
MONTH_DAY_YEAR = re.compile(rf"\b({MONTH})\.?\s+(\d{{1,2}}),\s+((?:19|20)\d\d)\b", re.I)
MONTH_YEAR = re.compile(rf"\b({MONTH})\.?\s+((?:19|20)\d\d)\b", re.I)
ISO_DATE = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")

SPEECH_VERBS = (
    "said|says|say|added|adds|explained|explains|commented|comments|stated|states|told|tells|warned|warns|"
    "continued|continues|noted|notes|described|describes|emphasised|emphasized|insisted|insists|argued|argues|"
    "acknowledged|acknowledges|admitted|admits|responded|responds|welcomed|welcomes|concluded|concludes|"
    "praised|praises|remarked|remarks|announced|announces|confirmed|confirms|urged|urges|found|finds|"
    "reported|reports|concluded|highlighted|highlights|recognised|recognises|called|calls"
)
HONORIFICS = r"(?:Cllr|Councillor|Mr|Mrs|Ms|Miss|Dr|Prof|Professor|Sir|Dame|Lord|Lady|Rt Hon|the Right Honourable)"
PRONOUNS = {"he", "she", "they"}
OPEN_QUOTES = "‘“\"'"
FURNITURE_WORDS = re.compile(
    r"\b(sign up|subscribe|newsletter|cookie|advert|recruiter|recuriter|apply now|read more|related|share this|"
    r"follow us|copyright|all rights reserved|privacy|terms and conditions|jobs (?:of the week|board)|find a job|"
    r"salary|per annum|pro rata|"
    r"click here|back to top|skip to|menu|search|log ?in|image|photo|getty|caption|join the conversation|"
    r"comments? \(\d+\)|comments are (?:closed|moderated)|most (?:read|popular)|more on this story|related topics|"
    r"notes to editors|media (?:contact|enquiries)|was this page helpful|accessibility (?:help|statement))\b",
    re.I,
)
# What news sites put inside an article, between its paragraphs: a teaser, a sign-up box, a picture.
INLINE_FURNITURE = re.compile(
    r"^(?:read more|read next|more:|see also|also read|related|sign up|advertisement|image|photo|picture|watch|"
    r"listen)\b",
    re.I,
)
# A salary or a pay range: job adverts, not a sentence that mentions money ("an extra £4m").
PAY = re.compile(r"£\s?\d[\d,.]*k?\s*(?:-|–|to)\s*£?\s?\d|\b(?:per annum|pro rata|salary)\b", re.I)
# A menu or breadcrumb trail: "Home | News | Sport", "Home > News > Social care", "News  Features  Jobs".
NAVIGATION = re.compile(r"\s[|>»›/·•]\s|\S {2,}\S|^(?:home|you are here)\b", re.I)
# Who wrote it and when, above an article: "By A Name", "UPDATED: 10:42, 2 February 2022".
BY_PREFIX = re.compile(r"^(?:by|written by)\s+", re.I)
BYLINE = re.compile(r"^(?:[Bb]y|[Ww]ritten by)\s+[A-Z]")


class ImportError_(ValueError):
    """A page that cannot be imported, with the reason."""


@dataclass
class Quote:
    words: str
    paragraph: int
    kind: str = "direct"
    speaker_name: str = ""
    speaker_slug: str = ""
    role_as_printed: str = ""
    how: str = ""  # how the speaker was found, for review


@dataclass
class ImportedArticle:
    headline: str = ""
    standfirst: str = ""
    byline: str = ""
    published_on: PartialDate | None = None
    date_stated: bool = False
    paragraphs: list[str] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    furniture: list[str] = field(default_factory=list)
    new_people: dict[str, str] = field(default_factory=dict)  # slug → name
    inspections: list[str] = field(default_factory=list)

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


# --- reading the page ---------------------------------------------------------------------------------


def decode(data: bytes, name: str) -> str:
    if not data.strip():
        raise ImportError_(f"{name} is empty")
    if b"\x00" in data[:4096]:
        raise ImportError_(f"{name} is a binary file, not page text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    controls = sum(1 for char in text if unicodedata.category(char) == "Cc" and char not in "\r\n\t")
    if controls > len(text) / 100:
        raise ImportError_(f"{name} looks binary ({controls} control characters), not page text")
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def blocks_of(text: str) -> list[str]:
    blocks, current = [], []
    for line in text.split("\n"):
        if line.strip():
            current.append(line.strip())
        elif current:
            blocks.append(" ".join(current))
            current = []
    if current:
        blocks.append(" ".join(current))
    return blocks


def word_count(text: str) -> int:
    return len(re.findall(r"\w+", text))


def is_prose(block: str) -> bool:
    """A sentence or a quotation: what articles are made of."""
    stripped = block.strip()
    if word_count(stripped) < 4:
        return False
    if stripped.endswith("?") and word_count(stripped) <= 12 and stripped[0] not in OPEN_QUOTES:
        return False  # a question standing alone is a title (often another story's)
    # A closing quotation mark ends a sentence only after its own punctuation: "… she said 'no'" is a title.
    ends_like_sentence = (
        stripped[-1] in ".!?:…"
        or (stripped[-1] in "’”\"'" and len(stripped) > 1 and stripped[-2] in ".!?,…")
        or stripped.endswith(".)")
    )
    starts_with_quote = stripped[0] in OPEN_QUOTES
    return ends_like_sentence or starts_with_quote


def is_title_like(block: str) -> bool:
    stripped = block.strip()
    words = word_count(stripped)
    return 2 <= words <= 25 and stripped[-1] not in ".:;," and len(stripped) <= 200


def looks_like_furniture(block: str, repeated: Counter) -> bool:
    stripped = block.strip()
    words = word_count(stripped)
    if repeated[stripped.lower()] > 1:
        return True
    if words <= 4 and not stripped.endswith((".", "’", "”", '"')):
        return True
    if FURNITURE_WORDS.search(stripped) and words < 25:
        return True
    return bool(PAY.search(stripped)) and words < 30


def vocabulary(text: str) -> set[str]:
    return {word for word in re.findall(r"[a-z]{4,}", text.lower())} - STOPWORDS


CLOSING_POINTER = re.compile(
    r"^(?:you can (?:read|find|view|see|download)|read the full|the full (?:\w+ )?report (?:is|can))\b", re.I
)

STOPWORDS = set(
    [
        "that",
        "this",
        "with",
        "from",
        "have",
        "will",
        "were",
        "been",
        "their",
        "which",
        "there",
        "would",
        "about",
        "into",
        "also",
        "more",
        "than",
        "what",
        "when",
        "they",
        "them",
        "said",
        "says",
        "over",
        "after",
        "before",
        "being",
        "other",
        "such",
        "some",
        "only",
        "very",
        "most",
        "much",
        "many",
        "could",
        "should",
        "these",
        "those",
        "while",
        "where",
        "under",
        "first",
        "last",
        "year",
        "years",
        "time",
        "made",
        "make",
        "just",
        "like",
        "well",
        "because",
        "does",
        "done",
    ]
)


def month_number(name: str) -> int:
    return MONTHS[name.lower().rstrip(".")[:3]]


def find_date(text: str) -> tuple[PartialDate | None, str]:
    """The first date a text states, at the precision it states it, and the words that state it."""
    stated_a_day = False
    for pattern, order in ((DAY_MONTH_YEAR, "dmy"), (MONTH_DAY_YEAR, "mdy")):
        for match in pattern.finditer(text):
            stated_a_day = True
            day, month, year = match.groups() if order == "dmy" else (match.group(2), match.group(1), match.group(3))
            try:
                return PartialDate(int(year), month_number(month), int(day)), match.group(0)
            except (KeyError, ValueError):
                continue
    for match in ISO_DATE.finditer(text):
        try:
            return PartialDate(int(match.group(1)), int(match.group(2)), int(match.group(3))), match.group(0)
        except ValueError:
            continue
    match = MONTH_YEAR.search(text)
    if match and not stated_a_day:  # "30 February 2020" is no date, not February 2020
        return PartialDate(int(match.group(2)), month_number(match.group(1))), match.group(0)
    return None, ""


# --- the article ----------------------------------------------------------------------------------------


def extract(text: str) -> ImportedArticle:
    blocks = blocks_of(text)
    repeated = Counter(block.lower() for block in blocks)
    prose = [is_prose(block) and not looks_like_furniture(block, repeated) for block in blocks]
    # The body: the longest run of prose. A single block that is not prose (a caption, an image credit)
    # may sit inside the run when the prose after it carries on the article's subject.
    runs, start, gap = [], None, None
    for index, flag in enumerate([*prose, False]):
        if flag:
            if start is None:
                start = index
            gap = None
            continue
        if start is None:
            continue
        if gap is None and index + 1 < len(prose) and prose[index + 1]:
            before = vocabulary(" ".join(blocks[start:index]))
            on_subject = len(vocabulary(blocks[index + 1]) & before) / max(1, len(vocabulary(blocks[index + 1])))
            # A teaser or sign-up box between paragraphs ("Read more: …") is skipped whatever follows it.
            if on_subject >= 0.15 or (INLINE_FURNITURE.match(blocks[index]) and word_count(blocks[index]) <= 20):
                gap = index
                continue
        runs.append((start, gap if gap is not None and gap == index - 1 else index))
        start, gap = None, None
    best = (0, 0, 0)
    for first_index, end_index in runs:
        length = sum(word_count(block) for block in blocks[first_index:end_index] if is_prose(block))
        if length > best[0]:
            best = (length, first_index, end_index)
    if best[0] < 40:
        raise ImportError_("no recognisable article: no run of sentences long enough to be one")
    _, first, last = best
    body = [block for index, block in enumerate(blocks[first:last], first) if prose[index]]
    # Press releases end by pointing to the report, often as a sentence that runs into its link text
    # ("You can read the full report on their website Report title - Ofsted"): part of the article.
    if last < len(blocks) and word_count(blocks[last]) >= 6 and CLOSING_POINTER.match(blocks[last]):
        body.append(blocks[last])
        last += 1
    kept = body
    article = ImportedArticle(paragraphs=kept, furniture=[b for b in blocks if b not in kept])
    # The header, read upwards from the body: bylines, datelines, picture credits and share or comment
    # counts are passed over; title-like blocks are the headline (the top one) and a standfirst (any
    # below it); navigation ends it.
    titles = []
    for block in reversed(blocks[:first]):
        if NAVIGATION.search(block) or repeated[block.lower()] > 1:
            break
        if is_header_aside(block):
            continue
        if not is_title_like(block):
            break
        titles.insert(0, block)
    if titles:
        article.headline = titles[0]
        article.standfirst = " ".join(titles[1:])
    # The date and byline: a dateline near the top.
    for block in blocks[: first + 1]:
        date, matched = find_date(block)
        if date and word_count(block) <= 14:
            article.published_on, article.date_stated = date, True
            name = block.replace(matched, "").strip(" ,|-–—")
            name = BY_PREFIX.sub("", name)
            name = re.sub(r"^(published|updated|last updated|posted|date|first published)\b\s*:?", "", name, flags=re.I)
            name = re.sub(r"\b\d{1,2}[:.]\d\d\s*(?:[ap]\.?m\.?|BST|GMT)?", "", name, flags=re.I).strip(" ,|-–—")
            if name and 1 <= word_count(name) <= 5 and name[0].isupper() and not find_date(name)[0]:
                article.byline = name
            break
    else:
        # A date the page labels as its own, after the article ("Published: 2 December 2025").
        for block in blocks[last:]:
            if re.match(r"^(published|posted|first published|date)\b", block, re.I) and word_count(block) <= 10:
                date, _ = find_date(block)
                if date:
                    article.published_on, article.date_stated = date, True
                    break
    if not article.byline:
        for block in blocks[:first]:
            if is_byline(block):
                article.byline = byline_name(block)
                break
    return article


def is_byline(block: str) -> bool:
    return bool(BYLINE.match(block.strip())) and word_count(block) <= 12


def byline_name(block: str) -> str:
    """The writer's name in "By A Name", "By A Name, Local Democracy Reporter", "By A Name Political Editor"."""
    text = BY_PREFIX.sub("", block.strip())
    name = text.split(",")[0].strip()
    words = name.split()
    return " ".join(words[:2]) if len(words) > 3 else name


def is_header_aside(block: str) -> bool:
    """What sits between a headline and its article: a byline, a dateline, a picture credit, "Share"."""
    words = word_count(block)
    date, _ = find_date(block)
    return (
        is_byline(block)
        or (date is not None and words <= 10)
        or bool(INLINE_FURNITURE.match(block))
        or (bool(FURNITURE_WORDS.search(block)) and words <= 12)
        or words <= 2
    )


# --- quotes and speakers ---------------------------------------------------------------------------------


def quoted_spans(paragraph: str) -> list[tuple[int, int, str]]:
    """(start, end, words) of each quotation in a paragraph, the marks excluded; a quotation left open runs on."""
    spans = []
    index = 0
    while index < len(paragraph):
        char = paragraph[index]
        # Straight single quotes serve as quotation marks in plain-text pages; an apostrophe is told
        # apart by the letter after it ("council's") or before it ("'tis" is rare enough to ignore).
        if char in "‘“\"'" and (index == 0 or not paragraph[index - 1].isalnum()):
            # Pages mix curly and straight marks ("rated ‘requires improvement to be good'"): a curly
            # opening mark may be closed by its straight twin.
            closers = {"‘": "’'", "“": '”"', '"': '"', "'": "'"}[char]
            end = index + 1
            while True:
                end = min(
                    (found for found in (paragraph.find(closer, end) for closer in closers) if found != -1), default=-1
                )
                if end == -1:
                    break
                following = paragraph[end + 1 : end + 2]
                if not following.isalnum():
                    break
                end += 1  # an apostrophe inside a word (it’s, children’s)
            if end == -1:
                spans.append((index + 1, len(paragraph), paragraph[index + 1 :].strip()))
                break
            words = paragraph[index + 1 : end].strip()
            spans.append((index + 1, end, words))
            index = end + 1
            continue
        index += 1
    return spans


@dataclass
class KnownPerson:
    slug: str
    name: str
    surname: str
    roles: list[str]
    kind: str
    # Where their roles were held ("Sandwell"): a role as printed ("the cabinet member for children's
    # services") names them only in an article about one of these places.
    places: tuple[str, ...] = ()


def attribution(paragraph: str, spans) -> str:
    """The text of the paragraph outside its quotations: where the speaker is named."""
    outside, position = [], 0
    for start, end, _ in spans:
        outside.append(paragraph[position : max(position, start - 1)])
        position = end + 1
    outside.append(paragraph[position:])
    return " ".join(outside)


def named_in(text: str, people: list[KnownPerson]) -> list[tuple]:
    """(start, end, person, as printed, how) for every person a text names, in text order."""
    lowered = text.lower()
    candidates = []
    for person in people:
        if person.name:
            for match in re.finditer(rf"\b{re.escape(person.name.lower())}\b", lowered):
                candidates.append((match.start(), match.end(), person, person.name, "name"))
        if person.kind == "individual" and person.surname:
            for match in re.finditer(rf"\b{HONORIFICS}\.?\s+{re.escape(person.surname)}\b", text):
                candidates.append((match.start(), match.end(), person, match.group(0), "surname"))
        for role in person.roles:
            if len(role) > 12:
                for match in re.finditer(re.escape(role.lower()), lowered):
                    candidates.append((match.start(), match.end(), person, role, "role"))
    # A longer name wins over one inside it ("Sandwell Children's Trust" over "Sandwell").
    candidates = [
        c
        for c in candidates
        if not any(o[0] <= c[0] and c[1] <= o[1] and (o[1] - o[0]) > (c[1] - c[0]) for o in candidates)
    ]
    return sorted(candidates, key=lambda candidate: candidate[0])


def find_speaker(text: str, people: list[KnownPerson]) -> tuple[KnownPerson | None, str, str]:
    """The person a text names as speaking: (person, name as printed, how).

    Every person named (by full name, by honorific and surname, or by a role they held) is a
    candidate; the one nearest a speech verb is the speaker ("Ofsted found …, the council said"
    gives the council for the words beside "said").
    """
    candidates = named_in(text, people)
    if not candidates:
        return None, "", ""
    verbs = [match.start() for match in re.finditer(rf"\b(?:{SPEECH_VERBS})\b", text, re.I)]
    if verbs:

        def distance(candidate):
            return min(min(abs(candidate[0] - verb), abs(candidate[1] - verb)) for verb in verbs)

        chosen = min(candidates, key=distance)
    else:
        chosen = min(candidates, key=lambda candidate: candidate[0])
    return chosen[2], chosen[3], chosen[4]


NAME = rf"(?:{HONORIFICS}\s+)?[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){{0,3}}"
NAMED_SPEAKER = re.compile(
    rf"(?:(?:{SPEECH_VERBS})\s+({NAME}))"
    rf"|(?:({NAME})(?:,\s*([^,]{{3,120}}),)?\s+(?:{SPEECH_VERBS})\b)"
)


# "The council's leader, Cllr A B, said": a role (in any case) set before the name by commas.
ROLE_NAME_SPEAKER = re.compile(
    rf"(?:^|(?<=[.;:]\s))([A-Za-z][^,.;:\"“”‘’]{{2,120}}?),\s*({NAME}),\s+(?:{SPEECH_VERBS})\b"
)
PROPER_NAME = re.compile(rf"^{NAME}$")
NOT_NAMES = PRONOUNS | {"the", "a", "an", "it", "this", "that", "there", "we", "i", "you"}


def named_speaker(text: str) -> tuple[str, str]:
    """(name, role as printed) of the speaker a sentence introduces: "said Cllr A B", "A B, role, said",
    "Role, A B, said:". Empty when it names nobody."""
    preset = ROLE_NAME_SPEAKER.search(text)
    if preset and is_full_name(preset.group(2)):
        return preset.group(2).strip(), preset.group(1).strip()
    match = NAMED_SPEAKER.search(text)
    if not match:
        return "", ""
    name, role = (match.group(1) or match.group(2) or "").strip(), (match.group(3) or "").strip()
    if role and PROPER_NAME.match(role) and len(role.split()) >= 2:
        # "Director of Children's Services, Mark Ellery, said": the name is the part by the verb.
        before = text[: match.start(3)].rstrip(" ,")
        name, role = role, before.split(". ")[-1].strip()
    if not name or name.split()[0].lower() in NOT_NAMES:
        return "", role
    bare = without_honorific(name)
    if len(bare.split()) < 2 and bare == name:
        return "", role  # one capitalised word ("Inspectors") is not a name
    return name, role


def without_honorific(name: str) -> str:
    return re.sub(rf"^{HONORIFICS}\s+", "", name.strip())


def is_full_name(name: str) -> bool:
    """ "Cllr Ruth Penhaligon" or "Jonah Mbeki", not "Inspectors" or "The Council"."""
    words = without_honorific(name).split()
    return len(words) >= 2 and words[0].lower() not in NOT_NAMES


def introduced_by_surname(surname: str, article: ImportedArticle) -> str | None:
    """The slug of the one new person this article introduced with this surname, if there is one."""
    introduced = [slug for slug, full in article.new_people.items() if full.split()[-1] == surname]
    return introduced[0] if len(introduced) == 1 else None


def speaker_of(text: str, people: list[KnownPerson], article: ImportedArticle) -> tuple[KnownPerson | None, str, str]:
    """The speaker a text introduces, known or new: (person, role as printed, how)."""
    person, printed, how = find_speaker(text, people)
    name, role = named_speaker(text)
    if name and (person is None or how == "role"):
        # A name printed by the verb outranks a role someone else in the archive once held.
        known = find_speaker(name, people)
        if known[0] is not None and known[2] != "role":
            return known[0], role, known[2]
        introduced, introduced_how = new_person(name, article)
        return introduced, role or (printed if how == "role" else ""), introduced_how
    return person, role, how


def new_person(name: str, article: ImportedArticle) -> tuple[KnownPerson, str]:
    """Someone the archive does not know, by the name printed: (person, how).

    "Ms Penhaligon added" is the person this article already introduced as Cllr Ruth Penhaligon;
    a full name not seen before becomes a proposed new person.
    """
    bare = without_honorific(name)
    slug = introduced_by_surname(bare, article) if len(bare.split()) == 1 else None
    if slug:
        return KnownPerson(slug, article.new_people[slug], bare, [], "individual"), "surname"
    slug = slugify(bare)
    article.new_people.setdefault(slug, bare)
    return KnownPerson(slug, article.new_people[slug], bare.split()[-1], [], "individual"), "new person"


# Collective names for the inspectorate: "inspectors found …" is Ofsted speaking, when Ofsted is known.
INSPECTORATE_WORDS = re.compile(r"\b(?:the\s+)?(?:inspectors|inspectorate|watchdog|regulator)\b", re.I)
INSPECTORATE_NAMES = {"ofsted"}


def attribute(article: ImportedArticle, people: list[KnownPerson]) -> None:
    """Give each quotation its speaker, carrying speakers over paragraphs as a reader does."""
    inspectorate = next((p for p in people if p.name.lower() in INSPECTORATE_NAMES), None)
    text = " ".join([article.headline, *article.paragraphs]).lower()
    people = [
        person
        if not person.places or any(place.lower() in text for place in person.places)
        else replace(person, roles=[])
        for person in people
    ]
    last = {"individual": None, "organisation": None}  # the most recent speaker or person named, by kind
    previous: KnownPerson | None = None  # who spoke the last quotation, or was just introduced
    pending_role = ""  # the role printed where a speaker was introduced, for their quotations
    carried_open = False

    def remember(person: KnownPerson | None):
        if person is not None:
            last["individual" if person.kind == "individual" else "organisation"] = person

    for number, paragraph in enumerate(article.paragraphs):
        spans = [span for span in quoted_spans(paragraph) if word_count(span[2]) >= 2]
        if not spans:
            carried_open = False
            # Everyone named is remembered (for "he said" later); whoever it names speaking ("Cllr Smith
            # said:") is who the next quotation is by.
            for candidate in named_in(paragraph, people):
                remember(candidate[2])
            if re.search(rf"\b(?:{SPEECH_VERBS})\b", paragraph, re.I):
                speaker, introduced_role, _ = speaker_of(paragraph, people, article)
                if speaker is not None:
                    previous, pending_role = speaker, introduced_role
                    remember(speaker)
            reported_remarks(article, number, paragraph, people, last, inspectorate)
            continue
        outside = attribution(paragraph, spans)
        has_verb = re.search(rf"\b(?:{SPEECH_VERBS})\b", outside, re.I)
        person, role, how = speaker_of(outside, people, article) if has_verb else (None, "", "")
        if person is None and inspectorate is not None and has_verb and INSPECTORATE_WORDS.search(outside):
            person, how = inspectorate, "inspectorate"
        if person is None:
            pronoun = re.search(
                rf"\b(he|she|they|it)\s+(?:{SPEECH_VERBS})\b|\b(?:{SPEECH_VERBS})\s+(he|she|they|it)\b", outside, re.I
            )
            if pronoun:
                word = (pronoun.group(1) or pronoun.group(2)).lower()
                person = last["individual"] if word in {"he", "she"} else last["organisation"] or last["individual"]
                how = "pronoun"
            elif carried_open or not has_verb:
                person = previous or last["individual"] or last["organisation"]
                role = role or (pending_role if person is previous else "")
                how = "carried over"
        if person is None and role:
            how = "role only"
        for _start, _end, words in spans:
            quote = Quote(words=words, paragraph=number, how=how, role_as_printed=role)
            if person is not None:
                quote.speaker_slug, quote.speaker_name = person.slug, person.name
            article.quotes.append(quote)
        if person is not None:
            previous = person
            remember(person)
        carried_open = spans[-1][1] == len(paragraph)
        # A short quotation inside a reported clause ("said it was “fully committed” to improving")
        # belongs to the reported remark, which gives it its context.
        before = len(article.quotes)
        reported_remarks(article, number, paragraph, people, last, inspectorate)
        clauses = [quote.words for quote in article.quotes[before:]]
        if clauses:
            article.quotes[:before] = [
                quote
                for quote in article.quotes[:before]
                if quote.paragraph != number or not any(quote.words in clause for clause in clauses)
            ]


# "services require improvement to be good" as well as "the council requires improvement".
GRADE_WORDS = re.compile(r"\b(requires? improvement(?: to be good)?|inadequate|outstanding|good)\b", re.I)
# A grade counts when a judging word comes shortly before it: "rated the services inadequate",
# "a judgement of 'good'", "concluded that services …", not "good practice" on its own.
JUDGING = re.compile(
    r"\b(rated|rating|judged|judgement|judgment|graded|grade|found to be|remains?|remained|conclude[ds]?)\b", re.I
)
GRADES = {
    "inadequate": "inadequate",
    "requires improvement": "requires-improvement-to-be-good",
    "good": "good",
    "outstanding": "outstanding",
}
# Without any grade, a report the article calls recent is one of the ungraded visits between
# inspections ("a recent Ofsted report found the council had made 'positive progress'").
RECENT_REPORT = re.compile(
    r"\b(?:recent|latest|new|newly published|today’s|today's)\s+(?:[\w’'-]+\s+){0,2}"
    r"(?:report|visit|monitoring visit|letter|findings)\b",
    re.I,
)


def grade_of(words: str) -> str:
    words = re.sub(r"^requires? improvement.*", "requires improvement", words.lower())
    return GRADES[words]


# Who reports a remark without quotation marks: a name, a pronoun, the inspectors, a body
# ("the council", "the Labour-run authority"), or a document speaking for its authors ("a recent
# Ofsted report", "a re-inspection of the council's services", "the report in 2013").
DOCUMENT = r"(?:report|inspection|re-inspection|reinspection|visit|letter)"
REPORTER = (
    rf"(?:{HONORIFICS}\s+)?[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){{0,3}}"
    r"|[Hh]e|[Ss]he|[Tt]hey|[Ii]t|(?:[Tt]he\s+)?[Ii]nspectors"
    r"|[Tt]he\s+(?:[\w’'-]+\s+)?(?:council|authority|trust|watchdog|regulator|government|[Gg]overnment|department)"
    rf"|(?:[Aa]n?|[Tt]he|[Ii]ts|[Tt]his|[Tt]hat)\s+(?:[\w’'-]+\s+){{0,3}}?{DOCUMENT}"
    r"(?:\s+(?:from|by|of|into)\s+(?:[\w’'-]+\s+){0,4}?[\w’'-]+?)?(?:\s+in\s+(?:19|20)\d\d)?"
)
# "has said", "had found": the auxiliary before a reporting verb.
AUXILIARY = r"(?:has\s+|have\s+|had\s+)?"
REPORTED = re.compile(
    rf"(?:^|(?<=[\s,;:]))(?P<who>{REPORTER})(?:,(?P<aside>[^,]{{3,120}}),|,)?\s+(?:also\s+)?{AUXILIARY}"
    rf"(?:{SPEECH_VERBS}|criticised|criticises"
    rf"|spoke|speaks|rated|rates)\b\s*(?:that\s+)?(?P<words>[^.!?]{{12,}})",
)
# The attribution after the remark, as news copy often puts it: "Attainment was lower than the
# national average, the report said."
REPORTED_AFTER = re.compile(
    rf"^(?P<words>[^.!?]{{12,}}?),\s+(?P<who>{REPORTER})\s+{AUXILIARY}(?:{SPEECH_VERBS})\.?$",
)
BODIES = re.compile(r"\b(council|authority|trust|government|department)\b", re.I)


def mostly_own_words(clause: str) -> bool:
    """A reported remark may quote a few words ("found they remain ‘inadequate’"), not be a quotation:
    not one that opens with a quotation mark or a colon ("said: “We are …"), nor one mostly quoted.
    A quotation left open (it closes in a later sentence) counts to the clause's end."""
    if clause.lstrip()[:1] in set(":‘“\"'"):
        return False
    # "described this as ‘demonstrable improvement’": the quoted words are what was said, and no more.
    if re.fullmatch(r"\s*(?:[\w’'-]+\s+){0,2}as\s+[‘“\"'][^‘“\"]*[’”\"']\s*", clause):
        return False
    # 'said there is "much work to do"': two words of its own frame the quoted ones.
    quoted = sum(word_count(words) for _, _, words in quoted_spans(clause))
    return word_count(clause) - quoted >= 2


def inside_quotation(position: int, spans) -> bool:
    return any(start <= position < end for start, end, _ in spans)


def author_named(who: str) -> str:
    """The part of a document's description that can name its author: "a recent Ofsted report",
    not the body it is about ("a re-inspection of Sandwell Council’s services")."""
    return re.split(r"\s+(?:of|into|on)\s+", who, maxsplit=1)[0]


def reporter(who: str, people, article, last, inspectorate) -> KnownPerson | None:
    """The person or body a reported remark's subject names, as a reader resolves it."""
    lowered = who.lower()
    if lowered in {"he", "she"}:
        return last["individual"]
    if lowered in {"they", "it"}:
        return last["organisation"] or last["individual"]
    if INSPECTORATE_WORDS.search(who) or re.search(rf"\b{DOCUMENT}\b", lowered):
        # A report or an inspection speaks for the inspectorate unless it names another author.
        named = find_speaker(author_named(who), people)[0]
        return named if named is not None and named is not inspectorate else inspectorate
    named = find_speaker(who, people)[0]
    if named is not None:
        return named
    if PROPER_NAME.match(who):
        bare = without_honorific(who)
        if is_full_name(who) or (bare != who and introduced_by_surname(bare, article)):
            # Someone the archive does not know: "Gareth Lloyd said", "Mr Grant said" (introduced above).
            return new_person(who, article)[0]
    body = BODIES.search(who)
    if body:
        # "the council", "the Labour-run authority": the body of that kind the article names.
        kind = body.group(1).lower()
        kind = "council" if kind == "authority" else kind
        for candidate in named_in(" ".join(article.paragraphs), people):
            person = candidate[2]
            if person.kind != "individual" and kind in person.name.lower():
                return person
    return None


def reported_remarks(article, number, paragraph, people, last, inspectorate) -> None:
    """Remarks reported without quotation marks: "She added that the council would keep investing."

    The words are the clause after the speech verb (as printed), which may quote a few words of
    its own; the speaker is resolved as for quotes, and a report or inspection speaks for the
    inspectorate. The subject as printed, when it is not a name or a pronoun, is the role printed.
    """
    spans = quoted_spans(paragraph)
    offset = 0
    for sentence in re.split(r"(?<=[.!?])\s+", paragraph):
        at = paragraph.find(sentence, offset)
        offset = at + len(sentence)
        match = REPORTED.search(sentence) or REPORTED_AFTER.match(sentence)
        if not match or not mostly_own_words(match.group("words")):
            continue
        if inside_quotation(at + match.start("who"), spans):
            # "‘… Ofsted also recognised the beginning of change,’ he said": words someone quoted.
            continue
        who = match.group("who")
        aside = (match.groupdict().get("aside") or "").strip()
        if aside and PROPER_NAME.match(aside) and is_full_name(aside):
            # "Conservative MP for Halesowen and Rowley Regis, James Morris, spoke": the name by the verb.
            who = aside
        elif match.re is REPORTED_AFTER and quoted_spans(match.group("words")):
            # '"Serious failings" at the council, an inspection has found': the quoted words are the
            # report's own, a direct quote, and the rest is the article's framing of them.
            continue
        person = reporter(who, people, article, last, inspectorate)
        if person is None:
            continue
        words = match.group("words").strip().rstrip(",;:")
        if word_count(words) < 4 or words not in paragraph:
            continue
        if any(quote.words == words for quote in article.quotes):
            continue
        if PROPER_NAME.match(who):
            # A name is not a role; the words set beside it may be ("Councillor Simon Hackett, cabinet
            # member for children's services, said").
            printed = aside if aside != who else ""
        elif who.lower() in PRONOUNS | {"it"} or who == person.name:
            printed = ""
        else:
            printed = who
        article.quotes.append(
            Quote(
                words=words,
                paragraph=number,
                kind="reported",
                speaker_slug=person.slug,
                speaker_name=person.name,
                role_as_printed=printed,
                how="reported speech",
            )
        )


def propose_inspections(article: ImportedArticle, inspections, *, url: str = "") -> list[str]:
    """The inspection an article reports: of an authority it names, graded as it says ("rated good"), and
    the latest such one published up to three months before the article (or in the year its address names)."""
    text = article.body
    said = {
        grade_of(match.group(1))
        for match in GRADE_WORDS.finditer(text)
        if JUDGING.search(text[max(0, match.start() - 60) : match.start()])
    }
    if re.search(r"\bmonitoring visit", text, re.I) or (not said and RECENT_REPORT.search(text)):
        said.add("")  # visits are not graded
    if not said:
        return []
    year_hint = re.search(r"/((?:19|20)\d\d)/", url or "")
    candidates = []
    for inspection in inspections:
        if inspection.authority.name.lower() not in text.lower() or inspection.overall_judgement not in said:
            continue
        reported = inspection.published_on or inspection.started_on
        if reported is None:
            continue
        if article.published_on:
            now = article.published_on
            gap = (now.year - reported.year) * 12 + ((now.month or 12) - (reported.month or 1))
            if not 0 <= gap <= 3:
                continue
        elif year_hint and reported.year not in (int(year_hint.group(1)), int(year_hint.group(1)) - 1):
            continue
        candidates.append((reported.isoformat(), inspection.slug))
    return [max(candidates)[1]] if candidates else []
