"""`pilotage import_values FILE --user USERNAME [--dry-run]`: the import page's code, in a shell."""

import io

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import trans_real

from pilotage.indicators.models import ImportBatch, Value, ValueChange

GOOD = (
    "indicateur;unité;période;valeur;numérateur;dénominateur\r\n"
    "eval-delay;screening;2024-01-01;12,5;;\r\n"
    "served-12;screening;01/01/2024;;8;10\r\n"
)
BAD = GOOD + "waiting;screening;2024-01-03;7;;\r\n"


@pytest.fixture
def files(tmp_path):
    (tmp_path / "good.csv").write_text(GOOD, encoding="utf-8")
    (tmp_path / "bad.csv").write_text(BAD, encoding="utf-8")
    return tmp_path


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_values", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def english(alice):
    alice.language = "en"
    alice.save()
    return alice


def test_a_good_file_is_imported(files, delay, served_rate, english):
    out, _err = run(str(files / "good.csv"), "--user", "alice")
    assert "good.csv imported: 2 new values, 0 changed, 0 unchanged." in out
    assert Value.objects.count() == 2 and ImportBatch.objects.get().file_name == "good.csv"


def test_the_dry_run_writes_nothing(files, delay, served_rate, english):
    out, _err = run(str(files / "good.csv"), "--user", "alice", "--dry-run")
    assert "nothing written: 2 new values" in out
    assert not Value.objects.exists() and not ImportBatch.objects.exists()


def test_twice_is_once(files, delay, served_rate, english):
    run(str(files / "good.csv"), "--user", "alice")
    changes = ValueChange.objects.count()
    out, _err = run(str(files / "good.csv"), "--user", "alice")
    assert "Nothing to change" in out
    assert ValueChange.objects.count() == changes and ImportBatch.objects.count() == 1


def test_errors_are_printed_and_nothing_is_written(files, delay, served_rate, waiting, english):
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_values", str(files / "bad.csv"), "--user", "alice", stderr=err)
    assert "bad.csv, row 4, column période: 2024-01-03 does not start a weekly period." in (
        err.getvalue()
    )
    assert not Value.objects.exists() and not ImportBatch.objects.exists()


def test_messages_are_in_the_persons_language(
    files, delay, served_rate, waiting, alice, monkeypatch
):
    catalogue = trans_real.translation("fr")._catalog._catalogs[0]
    monkeypatch.setitem(
        catalogue,
        "%(file)s, row %(row)s, column %(column)s: %(message)s",
        "%(file)s, ligne %(row)s, colonne %(column)s : %(message)s",
    )
    alice.language = "fr"
    alice.save()
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_values", str(files / "bad.csv"), "--user", "alice", stderr=err)
    assert "bad.csv, ligne 4, colonne période : " in err.getvalue()


def test_an_unknown_user_or_a_missing_file_is_an_error(files, alice):
    with translation.override("en"):
        with pytest.raises(CommandError, match="Unknown user “nobody”"):
            run(str(files / "good.csv"), "--user", "nobody")
        with pytest.raises(CommandError, match="Cannot read .*missing.csv"):
            run(str(files / "missing.csv"), "--user", "alice")


def test_the_command_has_a_one_line_help():
    command = load_command_class("pilotage.indicators", "import_values")
    assert command.help.startswith("Import indicator values") and "\n" not in command.help
    usage = command.create_parser("pilotage", "import_values").format_help()
    assert "--dry-run" in usage and "--user" in usage
