"""Who sees which room, who is a member, who leads: permissions follow the unit tree; a
trajectory room is seen by the members of all its teams; a person outside a room cannot see
its problems."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from pilotage.organisation.models import Level, Membership, Person, Role, Unit
from pilotage.rooms.access import can_contribute, can_lead_room, is_member, room_members
from pilotage.rooms.models import Problem


def english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def person(django_user_model, org, username, unit, role, end=None):
    user = django_user_model.objects.create_user(username, first_name=username.title())
    someone = Person.objects.create(
        user=user, given_name=username.title(), family_name="Test", employer=org["health"]
    )
    Membership.objects.create(
        person=someone, unit=unit, role=role, start=datetime.date(2020, 1, 1), end=end
    )
    return user


@pytest.fixture
def erin(django_user_model, org):
    """Staff of the youth direction itself: sees the teams below, is a member of none."""
    return person(django_user_model, org, "erin", org["youth"], Role.STAFF)


@pytest.fixture
def frank(django_user_model, org):
    """Staff of a day-care team under youth and family: outside the trajectory."""
    daycare = Unit.objects.create(
        code="daycare", parent=org["family"], level=Level.OPERATIONAL,
        name_en="Day care", name_fr="Garderie", employer=org["health"],
    )  # fmt: skip
    return person(django_user_model, org, "frank", daycare, Role.STAFF)


def board_status(client, room):
    return client.get(reverse("room_board", args=[room.code])).status_code


def test_members_of_a_unit_room_are_its_team_and_the_teams_below(rooms, alice, bob, diana, charlie):
    screening, youth = rooms["screening"], rooms["youth"]
    assert is_member(alice, screening) and is_member(bob, screening)
    assert not is_member(diana, screening)  # she leads it from above
    assert not is_member(charlie, screening) and not is_member(charlie, youth)


def test_a_tactical_room_is_the_director_with_the_middle_managers(rooms, alice, bob, diana):
    youth = rooms["youth"]
    assert is_member(diana, youth) and is_member(alice, youth)  # alice manages screening
    assert not is_member(bob, youth)  # staff of a team meet in their own room


def test_members_of_a_trajectory_room_are_those_of_its_teams(rooms, bob, charlie, diana, erin):
    trajectory = rooms["trajectory"]
    assert is_member(bob, trajectory) and is_member(charlie, trajectory)
    assert not is_member(erin, trajectory)  # youth is the anchor, not one of the teams
    assert can_lead_room(diana, trajectory) and not can_lead_room(charlie, trajectory)


def test_a_past_membership_does_not_count(django_user_model, org, rooms):
    gone = person(
        django_user_model, org, "gone", org["screening"], Role.STAFF,
        end=datetime.date(2021, 1, 1),
    )  # fmt: skip
    assert not is_member(gone, rooms["screening"])
    assert gone.person not in room_members(rooms["screening"])


def test_leaders_follow_the_unit_tree(rooms, alice, bob, diana):
    assert can_lead_room(alice, rooms["screening"]) and not can_lead_room(alice, rooms["youth"])
    assert can_lead_room(diana, rooms["screening"]) and can_lead_room(diana, rooms["youth"])
    assert not can_lead_room(bob, rooms["screening"])
    assert can_contribute(diana, rooms["screening"]) and can_contribute(bob, rooms["screening"])


def test_the_board_is_seen_by_members_and_directors_above(client_for, rooms, alice, bob, diana):
    for user in (alice, bob, diana):
        assert board_status(client_for(user), rooms["screening"]) == 200


def test_a_person_outside_a_room_gets_a_404(client_for, rooms, charlie):
    client = client_for(charlie)
    assert board_status(client, rooms["screening"]) == 404
    assert board_status(client, rooms["youth"]) == 404
    assert client.get(reverse("zone_full", args=["screening-room", "problems"])).status_code == 404


def test_the_trajectory_room_is_seen_by_the_members_of_each_team(
    client_for, rooms, bob, charlie, diana, frank
):
    for user in (bob, charlie, diana):
        assert board_status(client_for(user), rooms["trajectory"]) == 200
    assert board_status(client_for(frank), rooms["trajectory"]) == 404


def test_charlie_cannot_post_to_screenings_room(client_for, rooms, charlie, bob):
    problem = Problem.objects.create(room=rooms["screening"], title="Hidden", created_by=bob)
    client = client_for(charlie)
    urls = [
        reverse("problem_create", args=["screening-room"]),
        reverse("problem_edit", args=["screening-room", problem.pk]),
        reverse("problem_move", args=["screening-room", problem.pk]),
        reverse("action_create", args=["screening-room"]),
        reverse("recognition_create", args=["screening-room"]),
    ]
    for url in urls:
        assert client.post(url, {"title": "Mine", "status": "solved"}).status_code == 404
    assert Problem.objects.get().title == "Hidden"
    assert Problem.objects.count() == 1


def test_a_problem_of_another_room_is_a_404_even_for_a_member(client_for, rooms, bob, charlie):
    theirs = Problem.objects.create(room=rooms["school"], title="Theirs", created_by=charlie)
    url = reverse("problem_edit", args=["screening-room", theirs.pk])
    assert client_for(bob).get(url).status_code == 404


def test_someone_who_may_read_but_is_not_a_member_gets_a_403_and_a_read_only_board(
    client_for, rooms, erin
):
    client = client_for(english(erin))
    with translation.override("en"):
        response = client.get(reverse("room_board", args=["screening-room"]))
    assert response.status_code == 200
    assert "only the members of the room and its leaders can change it" in response.text
    assert reverse("problem_create", args=["screening-room"]) not in response.text
    assert '<form method="post" action="/rooms/' not in response.text
    url = reverse("problem_create", args=["screening-room"])
    assert client.post(url, {"title": "Mine", "status": "new"}).status_code == 403
    assert not Problem.objects.exists()


def room_list(client, user):
    with translation.override("en"):
        return client(english(user)).get(reverse("room_list")).text


def test_the_room_list_shows_what_the_user_may_see(client_for, rooms, bob, charlie, diana):
    text = room_list(client_for, charlie)
    assert "School-Room" in text and "Trajectory-Room" in text
    assert "Screening-Room" not in text and "Youth-Room" not in text
    text = room_list(client_for, bob)
    assert "Screening-Room" in text and "Trajectory-Room" in text
    assert "Youth-Room" not in text and "Exec-Room" not in text
    # A director sits in the room above her own (middle managers meet in their director's).
    text = room_list(client_for, diana)
    assert "Screening-Room" in text and "Youth-Room" in text and "Exec-Room" in text
    assert "Trajectory rooms" in text and "School-Room" not in text


def test_a_unit_page_leads_to_its_room(client_for, rooms, org, alice, diana):
    client = client_for(alice)
    page = client.get(reverse("unit_detail", args=["screening"])).text
    link = f"{reverse('room_list')}?unit=screening"
    assert link in page
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == reverse("room_board", args=["screening-room"])
    rooms["evaluation"].delete()
    response = client_for(english(diana)).get(f"{reverse('room_list')}?unit=evaluation")
    assert response.status_code == 200
    assert "Evaluation has no control room yet." in response.text
    assert client.get(f"{reverse('room_list')}?unit=school").status_code == 404


def test_the_main_navigation_leads_to_the_rooms(client_for, alice):
    text = client_for(alice).get(reverse("home")).text
    assert f'href="{reverse("room_list")}"' in text
