from django.core.management.base import BaseCommand

from pilotage.demo.indicators import build_indicators
from pilotage.demo.organisation import build_organisation
from pilotage.demo.projects import build_projects
from pilotage.demo.rooms import build_rooms
from pilotage.demo.trajectory import build_trajectory


class Command(BaseCommand):
    help = "Create or update the demo partnership (safe to run again: it leaves one copy)."

    def handle(self, *args: object, **options: object) -> None:
        # The trajectory needs the units; rooms and projects read the indicators it computes.
        steps = (
            build_organisation,
            build_indicators,
            build_trajectory,
            build_rooms,
            build_projects,
        )
        for build in steps:
            counts = build()
            self.stdout.write(", ".join(f"{name}: {n}" for name, n in counts.items()))
