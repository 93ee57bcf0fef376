"""The French catalogue is complete: no missing and no fuzzy entry.

`.ci/run` and `make test` run `makemessages` first, so a string added to the code without its
French fails here.
"""

import re
from pathlib import Path

import polib
from django.utils import translation

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def test_every_string_has_its_french_and_none_is_fuzzy():
    po = polib.pofile(str(CATALOGUE))
    assert not po.metadata_is_fuzzy
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == [] and fuzzy == [], {"untranslated": untranslated, "fuzzy": fuzzy}
    assert len(po.translated_entries()) > 50


def test_placeholders_survive_translation():
    placeholder = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
    for entry in polib.pofile(str(CATALOGUE)).translated_entries():
        if entry.msgid_plural:
            pairs = [
                (entry.msgid, entry.msgstr_plural[0]),
                (entry.msgid_plural, entry.msgstr_plural[1]),
            ]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for source, french in pairs:
            assert sorted(placeholder.findall(source)) == sorted(placeholder.findall(french)), (
                source
            )


def test_the_compiled_catalogue_is_in_use():
    with translation.override("fr"):
        assert translation.gettext("My units and roles") == "Mes unités et rôles"
