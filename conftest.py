"""Shared fixtures: a small organisation with named people.

    exec (strategic)
    ├── youth (tactical)            diana: director
    │   ├── screening (operational) alice: manager · bob: staff (her colleague)
    │   └── evaluation (operational)
    └── family (tactical)
        └── school (operational)    charlie: staff (an outsider to youth)

Pure-engine tests (spc, analytics) never touch these, so they run without Django too.
"""

import datetime

import pytest


@pytest.fixture
def org(db):
    from pilotage.organisation.models import Employer, Level, Unit

    health = Employer.objects.create(
        code="health",
        name_fr="CISSS du Test",
        name_en="Test Health Centre",
        kind=Employer.Kind.HEALTH_AND_SOCIAL_SERVICES,
    )
    school = Employer.objects.create(
        code="school",
        name_fr="Centre scolaire du Test",
        name_en="Test School Centre",
        kind=Employer.Kind.SCHOOL,
    )

    def unit(code, parent, level, en, fr):
        return Unit.objects.create(
            code=code, parent=parent, level=level, name_en=en, name_fr=fr, employer=health
        )

    root = unit("exec", None, Level.STRATEGIC, "Executive committee", "Comité de direction")
    youth = unit("youth", root, Level.TACTICAL, "Youth protection", "Protection de la jeunesse")
    screening = unit("screening", youth, Level.OPERATIONAL, "Screening", "Réception")
    evaluation = unit("evaluation", youth, Level.OPERATIONAL, "Evaluation", "Évaluation")
    family = unit("family", root, Level.TACTICAL, "Youth and family", "Jeunesse-famille")
    school_unit = unit("school", family, Level.OPERATIONAL, "School liaison", "Liaison scolaire")
    return {
        "health": health,
        "school_employer": school,
        "exec": root,
        "youth": youth,
        "screening": screening,
        "evaluation": evaluation,
        "family": family,
        "school": school_unit,
    }


def _person(username, unit, role, employer, start=datetime.date(2020, 1, 1), end=None):
    from django.contrib.auth import get_user_model

    from pilotage.organisation.models import Membership, Person

    user = get_user_model().objects.create_user(
        username, f"{username}@example.org", "correct horse battery", first_name=username.title()
    )
    person = Person.objects.create(
        user=user,
        given_name=username.title(),
        family_name="Test",
        employer=employer,
        job_title_en="Worker",
        job_title_fr="Intervenante",
    )
    Membership.objects.create(person=person, unit=unit, role=role, start=start, end=end)
    return user


@pytest.fixture
def alice(org):
    """Manager of the screening team."""
    from pilotage.organisation.models import Role

    return _person("alice", org["screening"], Role.MANAGER, org["health"])


@pytest.fixture
def bob(org):
    """Staff in the screening team: alice's colleague."""
    from pilotage.organisation.models import Role

    return _person("bob", org["screening"], Role.STAFF, org["health"])


@pytest.fixture
def charlie(org):
    """Staff in the school liaison team, employed by the school centre: an outsider to youth."""
    from pilotage.organisation.models import Role

    return _person("charlie", org["school"], Role.STAFF, org["school_employer"])


@pytest.fixture
def diana(org):
    """Director of youth protection."""
    from pilotage.organisation.models import Role

    return _person("diana", org["youth"], Role.DIRECTOR, org["health"])


@pytest.fixture
def client_for(client):
    """Log a named person in: `client_for(alice)` returns the test client, signed in."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def _test_settings(request):
    """Pages rendered in tests need no `collectstatic` (static names served unhashed), and
    passwords are hashed fast: the suite creates many accounts."""
    if not request.config.pluginmanager.hasplugin("django"):
        yield  # pure-engine tests run without Django
        return
    settings = request.getfixturevalue("settings")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL, end the sessions other threads left open (the browser tests' live
    server keeps persistent connections) so that the test database can be dropped."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
