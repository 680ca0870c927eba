"""Full-text search queries, built from what people type and never passed through raw.

Supported: words (stemmed: "inspect" finds "inspections"), "quoted phrases",
prefix* searches and -exclusions (of words or phrases). Anything else in the
input (FTS operators, brackets, colons, carets, unbalanced quotes) is reduced
to plain words, so no input can change the query's structure.

The same parsed query is rendered for SQLite FTS5 (a MATCH expression of
quoted strings) and for PostgreSQL (tsquery functions with bound parameters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer

MAX_TERMS = 10
# A prefix that runs past the stem of the words it begins finds none of them, since both engines
# index stems: "safeguarding" is indexed as "safeguard", which "safeguardi*" does not begin. A prefix
# that ends partway into one of these endings is also searched as the word it ends, when that word's
# stem is shorter than the prefix and begins it (``prefix_completions``).
ENDINGS = (
    "able", "al", "ally", "ance", "ances", "ation", "ations", "ed", "ence", "ences", "er", "ers", "es",
    "ful", "ing", "ings", "ion", "ions", "ise", "ised", "ism", "ist", "ists", "ity", "ities", "ive",
    "ively", "ize", "ized", "ly", "ment", "ments", "ness", "ous",
)  # fmt: skip
# The shortest stem a prefix is completed to: "ca*" is not read as a start of "caring".
SHORTEST_COMPLETED_STEM = 3
# Snowball's Porter stemmer: the one PostgreSQL's configuration uses, and the algorithm FTS5's porter
# tokenizer implements.
_STEMMER = snowballstemmer.stemmer("porter")
# Highlight markers in snippets: private-use characters. Stored text may hold them too, so snippets
# are made without them before these are put in (SearchableQuerySet.with_snippets).
MARK_START, MARK_END = "\ue000", "\ue001"
# PostgreSQL's text search configuration for every vector, query, rank and headline, made by
# archive/migrations/0004_search_configuration to index as SQLite's FTS5 does: every word kept
# (no stop words), accents folded, Porter's stemmer.
PG_CONFIG = "archive_search"
# What a text is split on before PostgreSQL parses it, as FTS5's unicode61 tokenizer splits: any
# run of punctuation, spaces or control characters (the parser alone reads "2016-17" as 2016 and
# -17, and "ofsted.gov.uk" as one word). The migrations that index with it write it out again.
PG_SEPARATORS = "[[:punct:][:space:][:cntrl:]]+"
# The punctuation the parser builds longer tokens with (hyphenated words, signed and decimal numbers,
# host names, paths, e-mail and web addresses, tags, entities), and control characters, which it
# splits at, to stand in for them where a passage is highlighted (SearchableQuerySet.with_snippets).
PG_JOINERS = "-+./~<;"
PG_JOINER_STAND_INS = "\x01\x02\x03\x04\x05\x06\x07"
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)


def pg_document(text_sql: str) -> str:
    """SQL for the tsvector of a text expression, made as the search indexes make theirs.

    An expression index is used only for this expression exactly (people_person_name_search).
    """
    return f"to_tsvector('{PG_CONFIG}'::regconfig, regexp_replace({text_sql}, '{PG_SEPARATORS}', ' ', 'g'))"


class TooManyTerms(ValueError):
    """More different terms than MAX_TERMS: refused, since searching for only some would answer another question."""


@lru_cache(maxsize=1024)
def prefix_completions(prefix: str) -> tuple[str, ...]:
    """Words that ``prefix`` begins, searched beside it because their stems are shorter than it.

    "safeguardi" is the start of "safeguarding", stemmed "safeguard"; "inspecti" of "inspection". A
    completion counts only if its stem begins the prefix: "fami" could end "faming", but that is
    stemmed "fame", which is not how any word beginning "fami" is indexed. One word a stem.
    """
    completions = {}
    for ending in ENDINGS:
        for typed in range(1, len(ending)):
            if not prefix.endswith(ending[:typed]) or len(prefix) - typed < SHORTEST_COMPLETED_STEM:
                continue
            word = prefix + ending[typed:]
            stem = _STEMMER.stemWord(word)
            if len(stem) < len(prefix) and prefix.startswith(stem):
                completions.setdefault(stem, word)
    return tuple(completions[stem] for stem in sorted(completions))


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]
    prefix: bool = False  # the last word is a prefix ("inspect*")

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1

    @property
    def completions(self) -> tuple[str, ...]:
        """Whole words searched as well as a prefix (``prefix_completions``): none for other terms."""
        return prefix_completions(self.words[0]) if self.prefix else ()


@dataclass
class SearchQuery:
    include: list[Term] = field(default_factory=list)
    exclude: list[Term] = field(default_factory=list)

    def __bool__(self):
        return bool(self.include or self.exclude)

    @property
    def highlight_words(self) -> list[str]:
        return [word for term in self.include for word in term.words]

    # ----- SQLite FTS5
    @staticmethod
    def _fts5(term: Term) -> str:
        # Each word is an FTS5 string literal: double quotes, with any quote inside doubled
        # (none survive the \w filter, but the rule keeps this safe on its own).
        quoted = '"' + " ".join(term.words).replace('"', '""') + '"'
        if not term.prefix:
            return quoted
        if not term.completions:
            return f"{quoted} *"
        completions = " OR ".join(f'"{word}"' for word in term.completions)  # \w only: nothing to escape
        return f"({quoted} * OR {completions})"

    def fts5(self, terms: list[Term] | None = None) -> str:
        """MATCH expression for the included terms (all must match)."""
        return " AND ".join(self._fts5(term) for term in (self.include if terms is None else terms))

    def fts5_excluded(self) -> str:
        """MATCH expression matching any excluded term."""
        return " OR ".join(self._fts5(term) for term in self.exclude)

    # ----- PostgreSQL
    @staticmethod
    def pg_tsquery(term: Term) -> tuple[str, list]:
        """SQL (with parameters) for one term's tsquery, under the archive's configuration."""
        if term.prefix:
            # Words are \w only, so safe to quote as lexemes; the last one is a prefix (:*). The
            # configuration stems them as FTS5 stems a prefix ("inspections*" finds 'inspect'), and
            # a prefix matches by the lexemes' text, so "over*" finds 'overal' (overall).
            lexemes = " <-> ".join([f"'{word}'" for word in term.words[:-1]] + [f"'{term.words[-1]}':*"])
            sql, params = "to_tsquery(%s::regconfig, %s)", [PG_CONFIG, lexemes]
            for word in term.completions:
                sql += " || plainto_tsquery(%s::regconfig, %s)"
                params += [PG_CONFIG, word]
            return f"({sql})", params
        if term.is_phrase:
            return "phraseto_tsquery(%s::regconfig, %s)", [PG_CONFIG, " ".join(term.words)]
        return "plainto_tsquery(%s::regconfig, %s)", [PG_CONFIG, term.words[0]]

    def included_tsquery(self) -> tuple[str, list]:
        """SQL (with parameters) for a tsquery of every included term, to rank and highlight by.

        Never the excluded ones: ts_headline would highlight a word that only an exclusion names.
        The rows themselves are chosen term by term (SearchableQuerySet._pg_condition).
        """
        parts, params = [], []
        for term in self.include:
            sql, term_params = self.pg_tsquery(term)
            parts.append(sql)
            params += term_params
        return "(" + " && ".join(parts) + ")", params


def parse(text: str) -> SearchQuery:
    query = SearchQuery()
    for match in _TOKEN.finditer(text or ""):
        if match.group(2) is not None:  # a "phrase" (an unbalanced quote runs to the end)
            negative, raw, prefix = match.group(1), match.group(2), False
        else:
            negative, raw = match.group(3), match.group(4)
            prefix = raw.endswith("*")
        words = tuple(word.lower() for word in _WORD.findall(raw.replace("_", " ")))
        if not words:
            continue
        if len(words) > 1 and match.group(2) is None:
            # "don't", "sub-judgement", "a:b": one token of several words is kept as a phrase.
            prefix = False
        term = Term(words=words, prefix=prefix and len(words) == 1)
        target = query.exclude if negative else query.include
        if term not in target:
            target.append(term)
    if len(query.include) + len(query.exclude) > MAX_TERMS:
        raise TooManyTerms(f"Search with at most {MAX_TERMS} different words or phrases.")
    return query
