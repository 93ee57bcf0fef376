import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from pilotage.indicators.models import Indicator, Rebase, Target, Value, ValueChange
from pilotage.organisation.models import Membership, Person, Role

MONDAY = datetime.date(2024, 1, 1)
DELAYS = [16, 17, 15, 16, 18, 16, 15, 17, 16, 17, 15, 16, 17, 18, 16, 15, 16, 17, 16, 15]


@pytest.fixture(autouse=True)
def chart_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def add_values(indicator, unit, values, start=MONDAY, **extra):
    Value.objects.bulk_create(
        Value(
            indicator=indicator,
            unit=unit,
            period=start + datetime.timedelta(weeks=i),
            value=v,
            source="entered",
            **extra,
        )
        for i, v in enumerate(values)
    )


def english(user):
    """The person chose English (the interface is in French by default)."""
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def page(indicator, unit="screening"):
    return reverse("indicator_detail", args=[indicator.code, unit])


# --- The list of a unit's indicators -------------------------------------------------------


def test_the_list_shows_values_targets_icons_and_priorities(
    client_for, alice, org, delay, waiting, median_delay
):
    add_values(delay, org["screening"], DELAYS)
    with translation.override("en"):
        response = client_for(english(alice)).get(reverse("unit_indicators", args=["screening"]))
        assert response.status_code == 200
        text = response.text
    assert "Délai avant l’évaluation" not in text and "Delay to evaluation" in text
    assert "15.0\N{NO-BREAK SPACE}days" in text  # the last value, with its unit
    assert "at most 12.0\N{NO-BREAK SPACE}days" in text
    # Both icons in words, beside their small icon (never colour alone).
    assert "Common cause variation" in text and "Target consistently missed" in text
    assert 'class="spc-icon spc-icon--concern" aria-hidden="true">F<' in text
    assert text.count("No priority") == 2  # waiting and median_delay serve none
    assert "Timely access" in text
    # Outcome indicators first.
    assert text.index("Delay to evaluation") < text.index("Waiting list")


def test_the_list_marks_roll_ups_and_what_cannot_roll_up(
    client_for, diana, org, waiting, median_delay
):
    add_values(waiting, org["screening"], [5, 6])
    add_values(waiting, org["evaluation"], [3, 4])
    add_values(median_delay, org["screening"], [9, 10])
    with translation.override("en"):
        text = client_for(english(diana)).get(reverse("unit_indicators", args=["youth"])).text
    assert "Rolled up from sub-units" in text
    assert "10.0" in text  # 6 + 4 waiting in the last week
    assert "Not rolled up (median)" in text


def test_the_list_is_in_french_by_default_with_a_decimal_comma(client_for, alice, org, delay):
    add_values(delay, org["screening"], [12.5])
    text = client_for(alice).get(reverse("unit_indicators", args=["screening"])).text
    assert "12,5\N{NO-BREAK SPACE}jours" in text


def test_the_list_query_count_does_not_grow_with_indicators(
    client_for, alice, org, delay, waiting, django_assert_max_num_queries
):
    add_values(delay, org["screening"], DELAYS)  # the unit's own values; none for waiting
    client = client_for(alice)
    url = reverse("unit_indicators", args=["screening"])
    with django_assert_max_num_queries(20) as before:
        assert client.get(url).status_code == 200
    for i in range(8):
        indicator = Indicator.objects.create(
            code=f"extra-{i}",
            name_en=f"Extra {i}",
            name_fr=f"Extra {i}",
            dimension="quality",
            kind="count",
            direction="increase",
            frequency="weekly",
            owner_unit=org["youth"],
            source="entered",
        )
        Target.objects.create(indicator=indicator, value=3, effective_from=MONDAY)
        add_values(indicator, org["screening"] if i % 2 else org["evaluation"], [1, 2, 3])
    with django_assert_max_num_queries(len(before.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_list_is_404_outside_the_scope(client_for, charlie, bob, org):
    assert client_for(charlie).get(reverse("unit_indicators", args=["youth"])).status_code == 404
    assert client_for(bob).get(reverse("unit_indicators", args=["youth"])).status_code == 404


def test_the_list_needs_a_login(client):
    response = client.get(reverse("unit_indicators", args=["youth"]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_unit_page_links_to_its_indicators_and_back(client_for, alice):
    client = client_for(alice)
    list_url = reverse("unit_indicators", args=["screening"])
    assert list_url in client.get(reverse("unit_detail", args=["screening"])).text
    assert reverse("unit_detail", args=["screening"]) in client.get(list_url).text


# --- One indicator for one unit ---------------------------------------------------------


def test_the_indicator_page_shows_the_reading_chart_and_table(client_for, alice, org, delay):
    add_values(delay, org["screening"], DELAYS)
    with translation.override("en"):
        text = client_for(english(alice)).get(page(delay)).text
    assert reverse("indicator_chart", args=[delay.code, "screening"]) + "?v=" in text
    assert 'alt="Control chart of Delay to evaluation for Screening: 20 values' in text
    assert "Target consistently missed" in text and "will miss the target" in text
    assert text.count('<tr class="') + text.count("<tr>") >= 20  # the accessible table
    assert "Common cause</td>" in text or "Common cause" in text
    assert "Timely access" in text and "Youth protection" in text  # priority, owner
    assert "All units (default)" in text  # the target's scope
    assert reverse("indicator_csv", args=[delay.code, "screening"]) in text


def test_a_short_series_says_its_limits_are_trial_limits(client_for, alice, org, delay):
    add_values(delay, org["screening"], DELAYS[:8])
    with translation.override("en"):
        text = client_for(english(alice)).get(page(delay)).text
    assert "Trial limits:" in text and "(trial limits)" in text


def test_targets_are_shown_as_own_or_inherited(client_for, alice, org, delay):
    Target.objects.create(indicator=delay, unit=org["youth"], value=10, effective_from=MONDAY)
    Target.objects.create(indicator=delay, unit=org["screening"], value=9, effective_from=MONDAY)
    with translation.override("en"):
        text = client_for(english(alice)).get(page(delay)).text
    assert "This unit" in text and "Inherited from Youth protection" in text
    assert "at most 9.0" in text


def test_the_indicator_page_is_404_outside_the_scope(client_for, charlie, bob, org, delay):
    assert client_for(charlie).get(page(delay)).status_code == 404
    assert client_for(bob).get(page(delay, "youth")).status_code == 404
    assert (
        client_for(bob).get(reverse("indicator_detail", args=["nope", "screening"])).status_code
        == 404
    )


def test_an_indicator_of_another_branch_is_404(client_for, charlie, org):
    school = Indicator.objects.create(
        code="school-visits",
        name_en="Visits",
        name_fr="Visites",
        dimension="continuity",
        kind="count",
        direction="increase",
        frequency="monthly",
        owner_unit=org["school"],
        source="entered",
    )
    assert client_for(charlie).get(page(school, "school")).status_code == 200
    # The indicator is owned below `family`: it is not measured for the family direction.
    assert client_for(charlie).get(page(school, "family")).status_code == 404


def test_an_empty_series_still_shows_the_page(client_for, alice, delay):
    with translation.override("en"):
        response = client_for(english(alice)).get(page(delay))
    assert response.status_code == 200
    assert "No value yet" in response.text and "chart.svg" not in response.text


# --- Entering a value by hand ----------------------------------------------------------------


def enter(client, indicator, **data):
    return client.post(reverse("enter_value", args=[indicator.code, "screening"]), data)


def test_staff_enter_a_value_with_its_history(client_for, bob, org, delay):
    client = client_for(bob)
    response = enter(client, delay, period="2024-01-08", value="14,5")  # French: decimal comma
    assert response.status_code == 302 and response["Location"] == page(delay) + "#main"
    stored = Value.objects.get()
    assert (stored.unit, stored.period, stored.value) == (
        org["screening"],
        MONDAY.replace(day=8),
        14.5,
    )
    change = ValueChange.objects.get()
    assert (change.changed_by, change.old_value, change.new_value) == (bob, None, 14.5)
    enter(client, delay, period="2024-01-08", value="13")
    text = client.get(page(delay)).text
    assert "Bob Test" in text and "14,5 → 13,0" in text


def test_a_rate_is_entered_as_numerator_and_denominator(client_for, alice, served_rate):
    response = enter(
        client_for(alice), served_rate, period="2024-01-01", numerator="8", denominator="10"
    )
    assert response.status_code == 302
    assert Value.objects.values_list("value", "numerator", "denominator").get() == (80, 8, 10)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"period": "2024-01-02", "value": "5"}, "period", "does not start a weekly period"),
        ({"period": "2024-01-01", "value": "abc"}, "value", "Enter a number."),
        ({"period": "2099-01-05", "value": "5"}, "period", "has not started yet"),
        ({"period": "2024-01-01"}, "value", "A value is required."),
        ({"period": "2024-01-01", "numerator": "3"}, "denominator", "Give both the numerator"),
        (
            {"period": "2024-01-01", "numerator": "3", "denominator": "0"},
            "denominator",
            "greater than zero",
        ),
    ],
)
def test_an_invalid_value_shows_the_error_and_stores_nothing(
    client_for, bob, delay, data, field, message
):
    with translation.override("en"):
        response = enter(client_for(english(bob)), delay, **data)
    assert response.status_code == 400
    assert Value.objects.count() == 0 and ValueChange.objects.count() == 0
    assert list(response.context["value_form"].errors) == [field]
    assert message in response.text
    assert f'id="id_{field}_error"' in response.text and 'aria-invalid="true"' in response.text


def test_the_error_comes_in_the_users_language(client_for, bob, delay):
    response = enter(client_for(bob), delay, period="2024-01-01", numerator="3", denominator="0")
    assert response.status_code == 400
    with translation.override("fr"):
        expected = translation.gettext("The denominator must be greater than zero.")
    assert expected in response.text


def test_a_rate_without_its_ratio_is_refused_on_the_numerator(client_for, bob, served_rate):
    with translation.override("en"):
        response = enter(client_for(english(bob)), served_rate, period="2024-01-01", value="80")
    assert list(response.context["value_form"].errors) == ["numerator"]
    assert "A rate needs its numerator" in response.text
    assert Value.objects.count() == 0


def test_outsiders_cannot_enter_values(client_for, charlie, diana, org, delay):
    assert enter(client_for(charlie), delay, period="2024-01-01", value="3").status_code == 404
    assert Value.objects.count() == 0


def test_a_leader_above_the_unit_may_enter_values(client_for, diana, delay):
    assert enter(client_for(diana), delay, period="2024-01-01", value="3").status_code == 302


def test_a_researcher_sees_but_may_not_enter(client_for, org, delay):
    rita = get_user_model().objects.create_user("rita", "rita@example.org", "x")
    person = Person.objects.create(
        user=rita, given_name="Rita", family_name="Test", employer=org["health"]
    )
    Membership.objects.create(
        person=person, unit=org["screening"], role=Role.RESEARCHER, start=MONDAY
    )
    client = client_for(rita)
    assert "id_period" not in client.get(page(delay)).text
    assert enter(client, delay, period="2024-01-01", value="3").status_code == 403


def test_the_entry_form_is_shown_to_staff_only(client_for, bob, delay):
    assert 'name="value"' in client_for(bob).get(page(delay)).text


# --- Rebases --------------------------------------------------------------------------------


def rebase(client, indicator, **data):
    return client.post(reverse("rebase", args=[indicator.code, "screening"]), data)


def test_a_leader_records_a_rebase_that_splits_the_limits(client_for, alice, org, delay):
    add_values(delay, org["screening"], DELAYS)
    client = client_for(alice)
    response = rebase(client, delay, from_period="2024-03-04", reason="New intake process")
    assert response.status_code == 302
    stored = Rebase.objects.get()
    assert (stored.decided_by, stored.from_period) == (alice, datetime.date(2024, 3, 4))
    text = client.get(page(delay)).text
    assert "New intake process" in text and "Alice Test" in text
    assert text.count('class="rebase-start"') == 1


def test_staff_may_not_rebase(client_for, bob, delay):
    """Bob sees the page, so the refusal is a 403, not a 404; he is not shown the form."""
    client = client_for(bob)
    assert 'name="reason"' not in client.get(page(delay)).text
    assert rebase(client, delay, from_period="2024-03-04", reason="x").status_code == 403
    assert not Rebase.objects.exists()


def test_outsiders_get_404_on_a_rebase(client_for, charlie, delay):
    assert (
        rebase(client_for(charlie), delay, from_period="2024-03-04", reason="x").status_code == 404
    )


def test_a_rebase_must_start_a_period_and_give_a_reason(client_for, alice, delay):
    with translation.override("en"):
        response = rebase(client_for(english(alice)), delay, from_period="2024-03-05", reason="")
    assert response.status_code == 400
    assert set(response.context["rebase_form"].errors) == {"from_period", "reason"}
    assert "does not start a period" in response.text
    assert not Rebase.objects.exists()


def test_pages_refuse_the_wrong_method(client_for, alice, delay):
    client = client_for(alice)
    assert client.post(page(delay)).status_code == 405
    assert client.get(reverse("rebase", args=[delay.code, "screening"])).status_code == 405
