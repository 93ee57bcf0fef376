from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pilotage.indicators.imports import do_import_values, iter_error_lines, plan_import


class Command(BaseCommand):
    help = "Import indicator values from a CSV or Excel file, all or nothing, as a given user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV or Excel (.xlsx) file of values.")
        parser.add_argument(
            "--user", required=True, help="Username: their units decide what may be imported."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check the file only.")

    def handle(self, *args: object, **options: object) -> None:
        try:
            user = get_user_model().objects.get(username=options["user"])
        except get_user_model().DoesNotExist:
            raise CommandError(_("Unknown user “%(user)s”.") % {"user": options["user"]}) from None
        path = Path(str(options["file"]))
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(reason)s.") % {"file": path, "reason": error.strerror}
            ) from None
        # Messages in the person's language, as on the import page.
        with translation.override(user.language or settings.LANGUAGE_CODE):
            self.run(data, path.name, user, dry_run=bool(options["dry_run"]))

    def run(self, data: bytes, file_name: str, user: object, *, dry_run: bool) -> None:
        if dry_run:
            plan, batch = plan_import(data, file_name, user), None
        else:
            result = do_import_values(data, file_name, user)
            plan, batch = result.plan, result.batch
        for notice in plan.notices:
            self.stderr.write(self.style.WARNING(notice))
        if not plan.is_valid:
            for line in iter_error_lines(plan):
                self.stderr.write(line)
            raise CommandError(
                ngettext(
                    "%(count)s error in %(file)s: nothing was imported.",
                    "%(count)s errors in %(file)s: nothing was imported.",
                    len(plan.errors),
                )
                % {"count": len(plan.errors), "file": file_name}
            )
        if batch is None:
            counts = plan.counts()
        else:
            counts = {
                "created": batch.created,
                "updated": batch.updated,
                "unchanged": batch.unchanged,
            }
        summary = _("%(created)s new values, %(updated)s changed, %(unchanged)s unchanged.") % {
            name: counts[name] for name in ("created", "updated", "unchanged")
        }
        if dry_run:
            message = _("Dry run of %(file)s, nothing written: %(summary)s")
        elif batch is None:
            message = _("Nothing to change: every value of %(file)s is already stored.")
        else:
            message = _("%(file)s imported: %(summary)s")
        self.stdout.write(message % {"file": file_name, "summary": summary})
