from django.core.management.base import BaseCommand

from pilotage.demo.indicators import build_indicators
from pilotage.demo.organisation import build_organisation


class Command(BaseCommand):
    help = "Create or update the demo partnership (safe to run again: it leaves one copy)."

    def handle(self, *args: object, **options: object) -> None:
        counts = build_organisation()
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in counts.items()))
        counts = build_indicators()
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in counts.items()))
