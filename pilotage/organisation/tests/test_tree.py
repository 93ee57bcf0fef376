import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from pilotage.organisation.models import Level, Unit


def test_paths_follow_the_tree(org):
    assert org["exec"].path == f"/{org['exec'].pk}/"
    assert org["screening"].path == f"/{org['exec'].pk}/{org['youth'].pk}/{org['screening'].pk}/"
    assert org["screening"].depth == 2
    assert org["screening"].ancestor_ids() == [org["exec"].pk, org["youth"].pk]
    assert [u.code for u in org["screening"].ancestors()] == ["exec", "youth"]


def test_subtree_holds_the_unit_and_everything_below(org):
    codes = set(Unit.objects.subtree(org["youth"]).values_list("code", flat=True))
    assert codes == {"youth", "screening", "evaluation"}


def test_subtree_does_not_match_a_sibling_sharing_a_prefix_of_digits(org):
    # Ids 1 and 10..19 share a first digit: the path separator keeps them apart.
    extra = [
        Unit.objects.create(
            code=f"u{i}", parent=org["exec"], level=Level.TACTICAL, name_en=f"U{i}", name_fr=f"U{i}"
        )
        for i in range(12)
    ]
    for unit in extra:
        assert set(Unit.objects.subtree(unit).values_list("pk", flat=True)) == {unit.pk}


def test_moving_a_unit_moves_its_subtree(org):
    youth = org["youth"]
    youth.parent = org["family"]
    youth.save()
    screening = Unit.objects.get(code="screening")
    assert screening.path == f"{org['family'].path}{youth.pk}/{screening.pk}/"
    assert screening.depth == 3
    assert set(Unit.objects.subtree(org["family"]).values_list("code", flat=True)) == {
        "family",
        "school",
        "youth",
        "screening",
        "evaluation",
    }


def test_a_unit_cannot_be_placed_under_its_own_subtree(org):
    youth = org["youth"]
    youth.parent = Unit.objects.get(code="screening")
    with pytest.raises(ValidationError) as error:
        youth.full_clean()
    assert "parent" in error.value.message_dict
    with pytest.raises(ValidationError), transaction.atomic():
        youth.save()
    assert Unit.objects.get(code="youth").parent_id == org["exec"].pk


def test_a_unit_cannot_be_its_own_parent(org):
    youth = org["youth"]
    youth.parent = youth
    with pytest.raises(ValidationError):
        youth.full_clean()


def test_names_are_unique_per_parent(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(
            code="dup",
            parent=org["youth"],
            level=Level.OPERATIONAL,
            name_en="Screening",
            name_fr="Autre nom",
        )
    # The same name under another parent is fine.
    Unit.objects.create(
        code="dup2",
        parent=org["family"],
        level=Level.OPERATIONAL,
        name_en="Screening",
        name_fr="Réception",
    )


def test_root_names_are_unique_too(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(
            code="exec2", level=Level.STRATEGIC, name_en="Executive committee", name_fr="Autre"
        )


def test_a_unit_cannot_sit_above_its_parent_level(org):
    unit = Unit(code="bad", parent=org["screening"], level=Level.TACTICAL, name_en="B", name_fr="B")
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert "level" in error.value.message_dict


def test_subtree_query_uses_one_query(org, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(Unit.objects.subtree(org["exec"]))
