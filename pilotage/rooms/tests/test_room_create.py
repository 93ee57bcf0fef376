from django.urls import reverse

from pilotage.rooms.models import Room


def test_a_leader_opens_the_units_room_from_a_template(client_for, org, alice, template):
    client = client_for(alice)
    page = client.get(reverse("room_list"), {"unit": "screening"})
    assert "Open the room" in page.text or "Ouvrir la salle" in page.text
    response = client.post(reverse("room_create"), {"unit": "screening", "template": template.pk})
    room = Room.objects.get(unit=org["screening"])
    assert response.status_code == 302 and response["Location"] == reverse(
        "room_board", args=[room.code]
    )
    assert (room.zones, room.cadence, room.time_box_minutes) == (
        template.zones,
        template.cadence,
        template.time_box_minutes,
    )
    # One room per unit: a second attempt is refused with a message, nothing created.
    client.post(reverse("room_create"), {"unit": "screening", "template": template.pk})
    assert Room.objects.filter(unit=org["screening"]).count() == 1


def test_staff_cannot_open_a_room_and_outsiders_do_not_see_the_unit(
    client_for, org, bob, charlie, template
):
    data = {"unit": "screening", "template": template.pk}
    assert client_for(bob).post(reverse("room_create"), data).status_code == 403
    assert client_for(charlie).post(reverse("room_create"), data).status_code == 404
    assert not Room.objects.exists()
