import pytest
from django.core.exceptions import ValidationError

from pilotage.rooms.models import validate_zones


@pytest.mark.parametrize(
    "zones",
    [
        [],
        [{"zone": "nope", "limit": 1}],
        [{"zone": "problems", "limit": -1}],
        [{"zone": "problems"}, {"zone": "problems"}],
        "problems",
    ],
)
def test_bad_zone_lists_are_refused(zones):
    with pytest.raises(ValidationError):
        validate_zones(zones)


def test_a_good_zone_list_passes():
    validate_zones([{"zone": "indicators", "limit": 6}, {"zone": "problems", "limit": 0}])


@pytest.mark.parametrize(
    "url",
    [
        "/admin/rooms/roomtemplate/",
        "/admin/rooms/room/",
        "/admin/rooms/escalation/",
        "/admin/trajectories/trajectory/",
        "/admin/trajectories/eventimport/",
        "/admin/organisation/auditentry/",
    ],
)
def test_templates_and_definitions_are_editable_by_administrators(
    client, rooms, url, django_user_model
):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.org", "pw"))
    assert client.get(url).status_code == 200


def test_a_room_template_is_editable_in_the_admin(client, template, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.org", "pw"))
    response = client.get(f"/admin/rooms/roomtemplate/{template.pk}/change/")
    assert response.status_code == 200 and "zones" in response.text
