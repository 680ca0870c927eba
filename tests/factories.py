"""Factories for generated archive data (the seed fixtures are real data and stay as they are)."""

import factory
from factory.django import DjangoModelFactory

from articles.models import (
    Article,
    ArticleKind,
    ArticleStatus,
    Inspection,
    InspectionJudgement,
    InspectionKind,
    Judgement,
    JudgementArea,
    LocalAuthority,
    Publisher,
    PublisherKind,
)
from people.models import Person, PersonKind, Role, Statement, StatementKind


class PublisherFactory(DjangoModelFactory):
    class Meta:
        model = Publisher

    name = factory.Sequence(lambda n: f"Publisher {n}")
    slug = factory.Sequence(lambda n: f"publisher-{n}")
    kind = PublisherKind.NEWS


class LocalAuthorityFactory(DjangoModelFactory):
    class Meta:
        model = LocalAuthority

    name = factory.Sequence(lambda n: f"Borough {n}")
    slug = factory.Sequence(lambda n: f"borough-{n}")
    ons_code = factory.Sequence(lambda n: f"X99{n:06d}")  # no real ONS code starts X
    region = "London"


class InspectionFactory(DjangoModelFactory):
    class Meta:
        model = Inspection

    authority = factory.SubFactory(LocalAuthorityFactory)
    slug = factory.Sequence(lambda n: f"generated-inspection-{n}")
    kind = InspectionKind.ILACS_STANDARD
    started_on = "2020-03-02"
    ended_on = "2020-03-13"
    published_on = "2020-04"
    overall_judgement = Judgement.GOOD


class InspectionJudgementFactory(DjangoModelFactory):
    class Meta:
        model = InspectionJudgement

    inspection = factory.SubFactory(InspectionFactory)
    area = JudgementArea.HELP_AND_PROTECTION
    judgement = Judgement.GOOD


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Speaker {n}")
    slug = factory.Sequence(lambda n: f"speaker-{n}")
    kind = PersonKind.INDIVIDUAL


class RoleFactory(DjangoModelFactory):
    class Meta:
        model = Role

    person = factory.SubFactory(PersonFactory)
    title = factory.Sequence(lambda n: f"Role {n}")
    organisation = factory.SubFactory(PersonFactory, kind=PersonKind.ORGANISATION)


class ArticleFactory(DjangoModelFactory):
    class Meta:
        model = Article

    headline = factory.Sequence(lambda n: f"Generated headline {n}")
    slug = factory.Sequence(lambda n: f"generated-article-{n}")
    publisher = factory.SubFactory(PublisherFactory)
    published_on = "2020-05-06"
    kind = ArticleKind.NEWS_REPORT
    status = ArticleStatus.PUBLISHED
    body = factory.Sequence(lambda n: f"First paragraph of article {n}.\n\nSecond paragraph, where someone speaks.")


class StatementFactory(DjangoModelFactory):
    class Meta:
        model = Statement

    article = factory.SubFactory(ArticleFactory)
    position = factory.Sequence(lambda n: n + 1)
    speaker = factory.SubFactory(PersonFactory)
    kind = StatementKind.DIRECT
    words = "someone speaks"
