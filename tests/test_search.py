"""Full-text search: one QuerySet verb over SQLite FTS5 or PostgreSQL tsvector."""

import re

import pytest
from django.test import Client, TestCase

from archive.search import MARK_END, MARK_START, MAX_TERMS, TooManyTerms, parse, prefix_completions
from articles.models import Article
from people.models import Statement
from tests.factories import ArticleFactory, PersonFactory, StatementFactory


def slugs(queryset):
    return set(queryset.values_list("slug", flat=True))


@pytest.mark.parametrize(
    "hostile",
    ['a" OR "b', "NEAR(a b)", "col:umn", "^start", "a AND", "((", '"""', "x*y*z", "-", "--x", "\x1a", "'; DROP TABLE"],
)
def test_input_never_becomes_query_syntax(hostile):
    parsed = parse(hostile)
    for term in parsed.include + parsed.exclude:
        assert all(word.isalnum() for word in term.words)
    # Each term is a quoted FTS5 string, joined only by the operators the parser chose.
    assert parsed.fts5().replace('"', "").replace(" AND ", " ").replace(" *", "").replace(" ", "").isalnum() or (
        not parsed.include
    )


def test_parser_reads_phrases_prefixes_and_exclusions():
    parsed = parse('"serious failings" inspect* -trust -"new chief"')
    assert [t.words for t in parsed.include] == [("serious", "failings"), ("inspect",)]
    assert parsed.include[1].prefix
    assert [t.words for t in parsed.exclude] == [("trust",), ("new", "chief")]
    assert parse('"unbalanced quote').include[0].words == ("unbalanced", "quote")


@pytest.mark.django_db
class TestArticleSearch:
    def test_stemming_finds_other_forms(self):
        # No seed body has the word "inspect"; several have "inspection(s)".
        assert not Article.objects.filter(body__icontains=" inspect ").exists()
        assert "ofsted-rating-welcomed-as-clear-sign-of-significant-progress" in slugs(
            Article.objects.published().search("inspect")
        )

    def test_phrases_prefixes_and_exclusions(self):
        published = Article.objects.published()
        assert slugs(published.search('"serious and widespread failings"')) == {
            "sandwell-childrens-services-remain-inadequate"
        }
        assert "sandwell-childrens-services-remain-inadequate" in slugs(published.search("Halesow*"))
        assert "sandwell-childrens-services-remain-inadequate" not in slugs(published.search("Sandwell -Halesowen"))
        assert slugs(published.search("-Halesowen")) == slugs(published) - {
            "sandwell-childrens-services-remain-inadequate"
        }

    def test_headline_matches_rank_above_body_matches(self):
        body_only = ArticleFactory(headline="Council news", body="The word zyxquux appears here.")
        in_headline = ArticleFactory(headline="Zyxquux report published", body="Nothing more.")
        ranked = list(Article.objects.search("zyxquux").by_relevance())
        assert ranked == [in_headline, body_only]

    def test_index_follows_inserts_updates_and_deletes(self):
        article = ArticleFactory(body="Plain text about fostering.")
        assert article in Article.objects.search("fostering")
        article.body = "Now about adoption instead."
        article.save()
        assert article not in Article.objects.search("fostering")
        assert article in Article.objects.search("adoption")
        article_pk = article.pk
        article.delete()
        assert not Article.objects.search("adoption").filter(pk=article_pk).exists()

    def test_snippets_highlight_matches_and_escape_the_text(self):
        ArticleFactory(slug="escaped", body="A <script>alert(1)</script> sentence about kinship care.")
        response = Client().get("/articles/", {"q": "kinship"})
        html = response.content.decode()
        assert "<mark>kinship</mark>" in html
        # Both engines' snippets keep the tag as text, escaped here.
        assert "<script>alert(1)" not in html
        data = Client().get("/articles/", {"q": "kinship", "format": "json"}).json()
        assert "<mark>kinship</mark>" in data["results"][0]["snippet"]

    def test_marker_characters_in_stored_text_cannot_forge_marks(self):
        forged = f"Text {MARK_END} before <i>kinship</i> & {MARK_START}after{MARK_END} and {MARK_START} more."
        article = ArticleFactory(body=forged)
        StatementFactory(article=article, words=forged)
        for url in ["/articles/", "/statements/"]:
            data = Client().get(url, {"q": "kinship", "format": "json"}).json()
            assert data["count"] == 1, url
            snippet = data["results"][0]["snippet"]
            assert "<mark>kinship</mark>" in snippet, url
            assert snippet.count("<mark>") == snippet.count("</mark>") == 1, snippet
            assert MARK_START not in snippet and MARK_END not in snippet
            assert "<i>" not in snippet and "&lt;i&gt;<mark>kinship</mark>&lt;/i&gt;" in snippet  # escaped
            html = Client().get(url, {"q": "kinship"}).content.decode()
            assert html.count("<mark>") == html.count("</mark>") == 1, url

    def test_relevance_by_default_and_date_on_request(self):
        ArticleFactory(headline="Zyxquux", body="zyxquux zyxquux", published_on="2001-01-01", slug="old-strong")
        ArticleFactory(headline="Other", body="one zyxquux", published_on="2024-01-01", slug="new-weak")
        client = Client()
        by_relevance = client.get("/articles/", {"q": "zyxquux", "format": "json"}).json()["results"]
        assert by_relevance[0]["url"].endswith("/old-strong/")
        by_date = client.get("/articles/", {"q": "zyxquux", "sort": "-date", "format": "json"}).json()["results"]
        assert by_date[0]["url"].endswith("/new-weak/")
        explicit = client.get("/articles/", {"q": "zyxquux", "sort": "relevance", "format": "json"}).json()["results"]
        assert explicit == by_relevance

    def test_search_combines_with_facets(self):
        data = Client().get("/articles/", {"q": "inadequate", "publisher": "localgov", "format": "json"}).json()
        expected = Article.objects.published().search("inadequate").filter(publisher__slug="localgov")
        assert data["count"] == expected.count() > 0
        publisher_counts = {o["value"]: o["count"] for o in data["facets"]["publisher"]}
        assert (
            publisher_counts["bbc-news"]
            == Article.objects.published().search("inadequate").filter(publisher__slug="bbc-news").count()
        )


@pytest.mark.django_db
class TestStatementSearch:
    def test_words_and_speaker_names_are_searched(self):
        assert Statement.objects.published().search('"broken system"').count() == 1
        by_name = Statement.objects.published().search("Hackett")
        assert set(by_name.values_list("speaker__slug", flat=True)) == {"simon-hackett"}

    def test_a_renamed_speaker_is_found_by_the_new_name(self):
        person = PersonFactory(name="Original Name")
        statement = StatementFactory(speaker=person)
        assert statement in Statement.objects.search("Original")
        person.name = "Renamed Person"
        person.save()
        assert statement in Statement.objects.search("Renamed")
        assert statement not in Statement.objects.search("Original")

    def test_statement_list_highlights(self):
        html = Client().get("/statements/", {"q": "broken"}).content.decode()
        assert "<mark>broken</mark>" in html


class TestStatementTermsMatchWordsOrSpeaker(TestCase):
    """Each term may be found in a statement's words or in its speaker's name; an excluded term in neither."""

    @classmethod
    def setUpTestData(cls):
        cls.trust = StatementFactory(speaker=PersonFactory(name="Zoë Brontë"), words="the trust failed")
        cls.fostering = StatementFactory(
            speaker=PersonFactory(name="Children's Commissioners Office"), words="Plain words about fostering"
        )
        cls.other = StatementFactory(speaker=PersonFactory(name="Sam Lowe"), words="Councillors met in private")

    def found(self, q):
        made = [self.trust, self.fostering, self.other]
        return set(Statement.objects.search(q).filter(pk__in=[s.pk for s in made]))

    def test_included_terms_may_be_found_on_different_sides(self):
        assert self.found("office fostering") == {self.fostering}
        assert self.found("zoë failed") == {self.trust}
        assert self.found("office failed") == set()

    def test_speaker_names_fold_accents_and_stem_as_the_words_do(self):
        assert self.found("zoe") == {self.trust}
        assert self.found("Bronte failed") == {self.trust}
        assert self.found("-bronte") == {self.fostering, self.other}
        assert self.found("commissioner") == {self.fostering}  # "Commissioners" in the name

    def test_an_excluded_term_is_excluded_from_words_and_names_alike(self):
        assert self.found("-fostering") == {self.trust, self.other}
        assert self.found("-office") == {self.trust, self.other}
        assert self.found("trust -brontë") == set()
        assert self.found("-fostering -brontë") == {self.other}


@pytest.mark.django_db
def test_snippets_do_not_highlight_words_that_only_an_exclusion_names():
    ArticleFactory(body="A new report names a chief officer in kinship care.")
    data = Client().get("/articles/", {"q": 'kinship -"new chief"', "format": "json"}).json()
    assert data["count"] == 1  # "new" and "chief" are not one phrase here, so the article is found
    snippet = data["results"][0]["snippet"]
    assert "<mark>kinship</mark>" in snippet
    assert "<mark>new</mark>" not in snippet
    assert "<mark>chief</mark>" not in snippet


def words_of(text):
    """A text's words as both engines index them: runs of letters and digits, lower-cased."""
    return re.findall(r"[^\W_]+", text.lower())


def says(text, *forms):
    """Whether the text has consecutive words, each one of the forms given for its place."""
    words = words_of(text)
    return any(
        all(words[start + n] in options for n, options in enumerate(forms))
        for start in range(len(words) - len(forms) + 1)
    )


@pytest.mark.django_db
class TestStopWordsInTheSeedStatements:
    """Stop words are words like any other on both engines: a search finds exactly the statements
    whose words (or speaker's name) say them, counted here from the seed statements' own text."""

    def saying(self, *forms):
        return {
            statement.pk
            for statement in Statement.objects.select_related("speaker")
            if says(statement.words, *forms) or says(statement.speaker.name, *forms)
        }

    def found(self, q):
        return set(Statement.objects.search(q).values_list("pk", flat=True))

    def test_a_stop_word_finds_the_statements_that_say_it(self):
        every = set(Statement.objects.values_list("pk", flat=True))
        with_the = self.saying({"the"})
        assert set() < with_the < every  # some do, some don't: the search has something to tell apart
        assert self.found("the") == with_the
        assert self.found("-the") == every - with_the

    def test_a_phrase_keeps_its_stop_words(self):
        the_council = self.saying({"the"}, {"council", "councils"})
        assert the_council
        assert the_council < self.saying({"council", "councils"})  # not every "council" follows "the"
        assert self.found('"the council"') == the_council


class TestStopWords(TestCase):
    """Stop words are indexed on both engines, and a prefix that is one finds the longer words."""

    @classmethod
    def setUpTestData(cls):
        cls.prefixed = ArticleFactory(body="The overall picture: officers understand the allegations.")
        cls.with_other = ArticleFactory(body="Zyxquux and the other councils.")
        cls.without_other = ArticleFactory(body="Zyxquux alone.", headline="Zyxquux")
        cls.head_of_service = ArticleFactory(body="Zyxquux, said the head of service.")
        cls.head_teacher = ArticleFactory(body="Zyxquux: a head teacher service.")

    def found(self, q):
        made = [self.prefixed, self.with_other, self.without_other, self.head_of_service, self.head_teacher]
        return set(Article.objects.search(q).filter(pk__in=[a.pk for a in made]))

    def test_a_prefix_that_is_a_stop_word_finds_the_longer_words(self):
        for q in ["over*", "under*", "all*", "off*"]:
            assert self.found(q) == {self.prefixed}, q

    def test_an_excluded_stop_word_acts_alike_alone_and_beside_other_terms(self):
        alone, beside = self.found("-other"), self.found("zyxquux -other")
        assert alone == {self.prefixed, self.without_other, self.head_of_service, self.head_teacher}
        assert beside == alone - {self.prefixed}

    def test_the_articles_a_stop_word_finds_are_those_that_say_it(self):
        found = set(Article.objects.search("the"))
        assert found == {
            article
            for article in Article.objects.all()
            if says(f"{article.headline} {article.standfirst}", {"the"}) or says(article.body, {"the"})
        }
        assert self.without_other not in found and self.with_other in found

    def test_a_phrase_keeps_its_stop_words(self):
        # "head teacher service" has "head" and "service" two words apart, as "head of service"
        # would have with its stop word left out.
        assert self.found('"head of service"') == {self.head_of_service}
        assert self.found('zyxquux -"head of service"') == {self.with_other, self.without_other, self.head_teacher}


def test_a_prefix_past_a_words_stem_is_also_searched_as_the_word_it_begins():
    assert parse("safeguardi*").include[0].completions == ("safeguarding",)
    assert prefix_completions("inspecti") == ("inspecting",)  # one word a stem: inspecting, inspection…
    assert prefix_completions("improvem") == ("improvement",)
    # Not a word whose stem differs from how the words the prefix begins are indexed ("faming": "fame").
    assert prefix_completions("fami") == ()
    # A prefix that is a stem or shorter finds its words as it is; a short one is not completed.
    assert prefix_completions("inspect") == prefix_completions("ca") == ()
    # Only prefixes are completed, and the completions are quoted strings like every word.
    assert parse("safeguardi").include[0].completions == ()
    assert parse("safeguardi* -inspecti*").fts5() == '("safeguardi" * OR "safeguarding")'
    assert parse("safeguardi* -inspecti*").fts5_excluded() == '("inspecti" * OR "inspecting")'


class TestPrefixesPastTheStem(TestCase):
    """A prefix finds the words it begins even when it runs past their stem, on both engines."""

    @classmethod
    def setUpTestData(cls):
        cls.safeguarding = ArticleFactory(headline="One", body="Its safeguarding work was reviewed.")
        cls.improvement = ArticleFactory(headline="Two", body="Signs of improvement were seen.")
        cls.families = ArticleFactory(headline="Three", body="Families were supported.")
        cls.fame = ArticleFactory(headline="Four", body="A moment of fame.")
        cls.made = [cls.safeguarding, cls.improvement, cls.families, cls.fame]
        cls.statement = StatementFactory(words="Safeguarding comes first.")

    def found(self, q):
        return set(Article.objects.search(q).filter(pk__in=[a.pk for a in self.made]))

    def test_every_start_of_a_word_finds_it(self):
        for q in ["safeguard*", "safeguardi*", "safeguardin*", "safeguarding*"]:
            assert self.found(q) == {self.safeguarding}, q
        for q in ["improv*", "improve*", "improvem*", "improveme*", "improvemen*"]:
            assert self.found(q) == {self.improvement}, q
        assert set(Statement.objects.search("safeguardi*")) == {self.statement}

    def test_a_completion_is_never_a_word_the_prefix_does_not_begin(self):
        assert self.found("fami*") == {self.families}
        assert self.found("fame*") == {self.fame}

    def test_an_excluded_prefix_excludes_the_words_it_begins(self):
        assert self.found("-safeguardi*") == {self.improvement, self.families, self.fame}
        assert self.found("-improvem* -fami*") == {self.safeguarding, self.fame}

    def test_the_word_a_prefix_begins_is_highlighted(self):
        data = Client().get("/articles/", {"q": "safeguardi*", "format": "json"}).json()
        [snippet] = [r["snippet"] for r in data["results"] if r["url"].endswith(f"/{self.safeguarding.slug}/")]
        assert "<mark>safeguarding</mark> work" in snippet


class TestAccentsAndPunctuation(TestCase):
    """Accents are folded both ways, and words are split at any punctuation, as FTS5's unicode61 does."""

    @classmethod
    def setUpTestData(cls):
        # Headlines of their own: the factory's are numbered.
        cls.accented = ArticleFactory(headline="Accented", body="A visit to Brontë House.")
        cls.plain = ArticleFactory(headline="Plain", body="The Bronte Road children's home.")
        cls.year_range = ArticleFactory(headline="Range", body="Figures for 2016-17 were published.")
        cls.year_apart = ArticleFactory(headline="Apart", body="In 2016 there were 17 visits.")
        cls.host = ArticleFactory(headline="Host", body="The reports are on ofsted.gov.uk for anyone to read.")
        cls.made = [cls.accented, cls.plain, cls.year_range, cls.year_apart, cls.host]

    def found(self, q):
        return set(Article.objects.search(q).filter(pk__in=[a.pk for a in self.made]))

    def test_accents_are_folded_in_the_text_and_in_the_search(self):
        assert self.found("bronte") == {self.accented, self.plain}
        assert self.found("Brontë") == {self.accented, self.plain}
        assert self.found("brontë*") == {self.accented, self.plain}
        assert self.found("-bronte") == {self.year_range, self.year_apart, self.host}

    def test_an_accented_match_is_highlighted(self):
        data = Client().get("/articles/", {"q": "bronte house", "format": "json"}).json()
        assert data["count"] == 1
        assert "visit to <mark>Brontë</mark> <mark>House</mark>" in data["results"][0]["snippet"]

    def test_a_match_inside_punctuation_is_highlighted_where_it_is(self):
        filler = " ".join(["Nothing to find here."] * 30)
        body = f"{filler} Figures for 2016-17 are on ofsted.gov.uk today. {filler}"
        ArticleFactory(headline="Long", slug="long-punctuated", body=body)
        for q in ["2016-17", "ofsted.gov.uk", "17"]:
            data = Client().get("/articles/", {"q": f"{q} today", "format": "json"}).json()
            [snippet] = [r["snippet"] for r in data["results"] if r["url"].endswith("/long-punctuated/")]
            assert "<mark>today</mark>" in snippet, (q, snippet)
            # FTS5 marks "2016-17" whole, PostgreSQL each of its words.
            assert {"2016-17": "<mark>2016", "ofsted.gov.uk": "<mark>ofsted", "17": "17</mark>"}[q] in snippet, snippet

    def test_numbers_joined_by_punctuation_are_words(self):
        assert self.found("2016-17") == {self.year_range}
        assert self.found('"2016 17"') == {self.year_range}
        assert self.found("17") == {self.year_range, self.year_apart}
        assert self.found("2016") == {self.year_range, self.year_apart}

    def test_a_host_name_is_its_words(self):
        assert self.found("ofsted.gov.uk") == {self.host}
        assert self.found("gov") == {self.host}
        assert self.found('"ofsted gov"') == {self.host}
        assert self.found("-ofsted.gov.uk") == {self.accented, self.plain, self.year_range, self.year_apart}


@pytest.mark.django_db
def test_a_word_postgresql_reads_as_no_word_finds_nothing_as_on_sqlite():
    # FTS5 indexes "²" (a digit to Unicode); PostgreSQL's parser reads it as a space, so its tsquery
    # is empty. No seed text has it: on either engine it finds nothing and excludes nothing.
    assert not any("²" in f"{a.headline} {a.standfirst} {a.body}" for a in Article.objects.all())
    assert not Article.objects.search("²").exists()
    assert Article.objects.search("-²").count() == Article.objects.count()
    assert not Article.objects.search("inadequate ²").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/articles/", "/statements/"])
@pytest.mark.parametrize(
    "q",
    ['"unbalanced', 'a" OR "b', "NEAR(x y)", "x:y", "-", "*", "a AND OR NOT", "é" * 400, "the", "-the -a", "x" * 499],
)
def test_hostile_searches_answer_normally(url, q):
    response = Client().get(url, {"q": q})
    assert response.status_code == 200, q


def test_the_parser_refuses_more_terms_than_it_searches_rather_than_dropping_some():
    most = "".join(f'"word{n}"' for n in range(MAX_TERMS))
    parsed = parse(most)
    assert len(parsed.include) == MAX_TERMS
    with pytest.raises(TooManyTerms):
        parse(most + '-"word"')


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/articles/", "/statements/"])
@pytest.mark.parametrize(
    "q",
    [
        # Terms run together without spaces, which a count of the spaced words does not see.
        '"sandwell""council""children""services""ofsted""inadequate""said""report""improvement""social""zzzqqqxx"',
        'sandwell -"a1"-"a2"-"a3"-"a4"-"a5"-"a6"-"a7"-"a8"-"a9"-"a10"-"trust"',
        "-" + "-".join(f'"w{n}"' for n in range(MAX_TERMS + 1)),
    ],
)
def test_more_terms_than_are_searched_is_a_clear_400_however_written(url, q):
    response = Client().get(url, {"q": q})
    assert response.status_code == 400
    assert b"at most 10 different words or phrases" in response.content
    data = Client().get(url, {"q": q, "format": "json"})
    assert data.status_code == 400
    assert "at most 10 different words or phrases" in data.json()["errors"]["q"][0]


@pytest.mark.django_db
def test_as_many_terms_as_are_searched_answer_and_repeats_count_once():
    client = Client()
    assert client.get("/articles/", {"q": "".join(f'"word{n}"' for n in range(MAX_TERMS))}).status_code == 200
    assert client.get("/articles/", {"q": '"trust"-"ofsted"' * 30}).status_code == 200


@pytest.mark.django_db
def test_a_10k_character_search_is_a_clear_400():
    response = Client().get("/articles/", {"q": "x" * 10_000})
    assert response.status_code == 400


def test_highlight_escapes_everything_but_its_own_marks():
    from archive.templatetags.archive_tags import highlight

    html = highlight(f'<img src=x onerror="a()"> and {MARK_START}kinship{MARK_END} & more')
    assert html == "&lt;img src=x onerror=&quot;a()&quot;&gt; and <mark>kinship</mark> &amp; more"


def test_markers_are_private_use_characters():
    import unicodedata

    assert unicodedata.category(MARK_START) == unicodedata.category(MARK_END) == "Co"


def test_each_joining_character_has_a_control_character_to_stand_in_for_it():
    import unicodedata

    from archive.search import PG_JOINER_STAND_INS, PG_JOINERS

    assert len(set(PG_JOINERS)) == len(set(PG_JOINER_STAND_INS)) == len(PG_JOINER_STAND_INS)
    assert all(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in PG_JOINER_STAND_INS)
