import datetime

from django.urls import reverse

from pilotage.organisation.models import Membership, Person, Role


def add_people(unit, n):
    for i in range(n):
        person = Person.objects.create(
            given_name=f"Extra{i}", family_name="Person", employer=unit.employer
        )
        Membership.objects.create(
            person=person, unit=unit, role=Role.STAFF, start=datetime.date(2020, 1, 1)
        )


def test_home_lists_my_units_and_roles(client_for, alice):
    response = client_for(alice).get(reverse("home"))
    assert response.status_code == 200
    assert "Réception" in response.text  # French by default
    assert "Gestionnaire" in response.text or "Manager" in response.text


def test_home_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_unit_page_lists_sub_units_people_and_roles(client_for, diana, alice, bob):
    response = client_for(diana).get(reverse("unit_detail", args=["youth"]))
    assert response.status_code == 200
    assert "Réception" in response.text and "Évaluation" in response.text
    assert "Diana Test" in response.text


def test_unit_page_shows_people_of_the_unit(client_for, alice, bob):
    response = client_for(bob).get(reverse("unit_detail", args=["screening"]))
    assert response.status_code == 200
    assert "Alice Test" in response.text and "Bob Test" in response.text


def test_the_outsider_gets_404_on_another_units_page(client_for, charlie, alice):
    response = client_for(charlie).get(reverse("unit_detail", args=["screening"]))
    assert response.status_code == 404


def test_a_team_member_gets_404_on_the_parent_direction(client_for, bob):
    assert client_for(bob).get(reverse("unit_detail", args=["youth"])).status_code == 404


def test_an_unknown_unit_is_404_too(client_for, bob):
    assert client_for(bob).get(reverse("unit_detail", args=["nope"])).status_code == 404


def test_unit_list_is_scoped_and_filters_by_level(client_for, diana, charlie):
    text = client_for(diana).get(reverse("unit_list")).text
    assert "Réception" in text and "Liaison scolaire" not in text
    text = client_for(diana).get(reverse("unit_list"), {"level": "tactical"}).text
    assert "Protection de la jeunesse" in text and "Réception" not in text


def test_unit_page_query_count_does_not_grow_with_people(
    client_for, diana, alice, bob, org, django_assert_max_num_queries
):
    client = client_for(diana)
    with django_assert_max_num_queries(12) as before:
        client.get(reverse("unit_detail", args=["screening"]))
    add_people(org["screening"], 20)
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(reverse("unit_detail", args=["screening"]))
