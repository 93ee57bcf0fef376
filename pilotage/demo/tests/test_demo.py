from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from pilotage.demo.organisation import (
    DEMO_PASSWORD,
    build_organisation,
    demo_people,
    showcase_usernames,
)
from pilotage.organisation.models import Employer, Level, Membership, Person, Role, Unit


def test_loading_twice_leaves_one_copy(db):
    first = build_organisation()
    second = build_organisation()
    assert first == second
    assert get_user_model().objects.count() == len(demo_people()) + 1  # + admin


def test_the_partnership_has_two_employers_every_level_and_about_80_people(db):
    counts = build_organisation()
    assert counts["employers"] == 2
    assert set(Unit.objects.values_list("level", flat=True)) == set(Level.values)
    assert 75 <= Person.objects.count() <= 90
    assert Person.objects.filter(employer__code="css").count() >= 5
    assert set(Employer.objects.values_list("code", flat=True)) == {"cisss", "css"}


def test_every_unit_is_named_in_both_languages_and_has_a_leader(db):
    build_organisation()
    for unit in Unit.objects.all():
        assert unit.name_fr and unit.name_en and unit.name_fr != unit.name_en
        leaders = Membership.objects.filter(
            unit__in=[*unit.ancestor_ids(), unit.pk],
            role__in=[Role.EXECUTIVE, Role.DIRECTOR, Role.MANAGER],
        )
        assert leaders.exists(), unit.code


def test_user_names_are_unique_and_the_showcase_logins_work(client, db):
    people = demo_people()
    assert len({p.username for p in people}) == len(people)
    build_organisation()
    for username in [*showcase_usernames().values(), "admin"]:
        response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        client.post(reverse("logout"))


def test_the_load_demo_command(db, capsys):
    call_command("load_demo")
    assert "units: 13" in capsys.readouterr().out
