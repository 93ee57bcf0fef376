import datetime

from pilotage.organisation.models import AccessGrant, Membership, Unit
from pilotage.organisation.scope import can_lead, scope_paths


def codes(user):
    return set(Unit.objects.visible_to(user).values_list("code", flat=True))


def test_a_team_member_sees_the_team_subtree_only(alice, bob):
    assert codes(alice) == {"screening"}
    assert codes(bob) == {"screening"}


def test_a_director_sees_the_direction_subtree(diana):
    assert codes(diana) == {"youth", "screening", "evaluation"}


def test_the_outsider_sees_only_their_own_unit(charlie):
    assert codes(charlie) == {"school"}


def test_superusers_see_everything(org, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    assert codes(admin) == set(Unit.objects.values_list("code", flat=True))


def test_anonymous_users_see_nothing(org):
    from django.contrib.auth.models import AnonymousUser

    assert codes(AnonymousUser()) == set()


def test_a_grant_adds_a_subtree(charlie, org, diana):
    AccessGrant.objects.create(user=charlie, unit=org["youth"], reason="Research", granted_by=diana)
    assert codes(charlie) == {"school", "youth", "screening", "evaluation"}


def test_an_expired_grant_adds_nothing(charlie, org):
    AccessGrant.objects.create(
        user=charlie,
        unit=org["youth"],
        reason="Old",
        start=datetime.date(2020, 1, 1),
        end=datetime.date(2020, 12, 31),
    )
    assert codes(charlie) == {"school"}


def test_an_ended_membership_no_longer_gives_access(bob):
    Membership.objects.filter(person__user=bob).update(end=datetime.date(2021, 1, 1))
    assert codes(bob) == set()


def test_nested_roots_are_reduced(diana, org):
    Membership.objects.create(
        person=diana.person, unit=org["screening"], role="staff", start=datetime.date(2020, 1, 1)
    )
    assert scope_paths(diana) == [org["youth"].path]


def test_leading_follows_the_tree(alice, bob, diana, org):
    assert can_lead(alice, org["screening"])
    assert not can_lead(bob, org["screening"])
    assert can_lead(diana, org["screening"])
    assert not can_lead(diana, org["school"])
