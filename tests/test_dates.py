import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction

from archive.dates import PartialDate, PartialDateFormField, Precision
from tests.factories import ArticleFactory


@pytest.mark.parametrize(
    ("text", "shown", "precision"),
    [
        ("2022", "2022", Precision.YEAR),
        ("2022-07", "July 2022", Precision.MONTH),
        ("2022-07-05", "5 July 2022", Precision.DAY),
    ],
)
def test_partial_dates_show_only_the_precision_they_have(text, shown, precision):
    date = PartialDate.parse(text)
    assert str(date) == shown
    assert date.precision == precision
    assert date.isoformat() == text


def test_every_month_is_named_in_english():
    names = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
    assert [str(PartialDate(2022, month)) for month in range(1, 13)] == [f"{name} 2022" for name in names]
    assert [str(PartialDate(2022, month, 1)) for month in range(1, 13)] == [f"1 {name} 2022" for name in names]


@pytest.mark.parametrize(
    "text", ["", "22", "2022-13", "2022-02-30", "2022/07/05", "July 2022", "2022-7", "0999", "２０２２"]
)
def test_malformed_partial_dates_are_refused(text):
    with pytest.raises(ValueError):
        PartialDate.parse(text)


def test_partial_date_bounds_and_order():
    month = PartialDate.parse("2024-02")
    assert month.first_day == datetime.date(2024, 2, 1)
    assert month.last_day == datetime.date(2024, 2, 29)
    assert PartialDate.parse("2013") < PartialDate.parse("2013-04") < PartialDate.parse("2013-04-05")


def test_form_field_reads_partial_dates_and_explains_errors():
    field = PartialDateFormField(required=False)
    assert field.clean("2013-04") == PartialDate(2013, 4)
    assert field.clean("") is None
    with pytest.raises(ValidationError, match="YYYY, YYYY-MM or YYYY-MM-DD"):
        field.clean("April 2013")


@pytest.mark.django_db
def test_partial_date_round_trips_through_the_database_with_its_year():
    article = ArticleFactory(published_on="2013-04")
    article.refresh_from_db()
    assert article.published_on == PartialDate(2013, 4)
    assert article.year == 2013
    undated = ArticleFactory(published_on=None)
    undated.refresh_from_db()
    assert undated.published_on is None
    assert undated.year is None


@pytest.mark.django_db
def test_model_validation_refuses_an_impossible_date():
    article = ArticleFactory.build(published_on="2022-02-30")
    with pytest.raises(ValidationError) as error:
        article.full_clean(exclude=["publisher"])
    assert "published_on" in error.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("stored", ["2022-7", "abcd", "July 2022", "20222"])
def test_database_refuses_text_that_is_not_shaped_like_a_partial_date(stored):
    article = ArticleFactory()
    # Raw SQL, as another tool would write, bypassing the field's own validation. PostgreSQL may
    # refuse it already when computing the generated year column (DataError), SQLite at the check.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE articles_article SET published_on = %s WHERE id = %s", [stored, article.pk])


@pytest.mark.django_db
@pytest.mark.parametrize("stored", ["2018-13", "2018/01", "2018-00", "2018-01-32", "2018-1-01", "20181"])
def test_database_refuses_impossible_months_days_and_separators(stored):
    article = ArticleFactory()
    with pytest.raises((IntegrityError, DataError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE articles_article SET published_on = %s WHERE id = %s", [stored, article.pk])


@pytest.mark.django_db
def test_a_day_that_does_not_exist_reads_as_unknown_instead_of_breaking_pages(client, caplog):
    # 31 February passes the database's shape check; only the model's validation knows better.
    article = ArticleFactory()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE articles_article SET published_on = %s WHERE id = %s", ["2018-02-31", article.pk])
    article.refresh_from_db()
    assert article.published_on is None
    article.refresh_from_db()  # stored dates are read once per process; an unreadable one is not kept
    assert caplog.text.count("Unreadable partial date '2018-02-31'") == 2
    assert client.get(article.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_ranges_compare_at_the_coarser_precision():
    from tests.factories import RoleFactory

    RoleFactory(started_on="2018-05", ended_on="2018")  # ended some time in 2018: fine
    RoleFactory(started_on="2018", ended_on="2018-03")
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleFactory(started_on="2018-05", ended_on="2017")
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleFactory(started_on="2018-05-10", ended_on="2018-04")
