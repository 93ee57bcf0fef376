from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from pilotage.rooms.metrics import compute_room_indicators


class Command(BaseCommand):
    help = "Compute the weekly escalation indicators (round trip, open, waiting) of every room."

    def handle(self, *args: object, **options: object) -> None:
        counts = compute_room_indicators()
        self.stdout.write(
            _("Values created: %(created)s, changed: %(updated)s, unchanged: %(unchanged)s.")
            % counts
        )
