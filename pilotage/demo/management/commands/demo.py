import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from pilotage.demo.organisation import DEMO_PASSWORD, showcase_usernames


class Command(BaseCommand):
    help = "Prepare the database, load the demo partnership, and serve it with a worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Prepare and load only.")

    def handle(self, *args: object, **options: object) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("load_demo", stdout=self.stdout)
        address = f"http://127.0.0.1:{options['port']}/"
        users = showcase_usernames()
        self.stdout.write(
            self.style.SUCCESS(f"\nPilotage demo ready at {address}\n")
            + f"  data directory: {settings.DATA_DIR}\n"
            + f"  log in as {users['director']} (director), {users['manager']} (service head),\n"
            + f"  {users['staff']} (worker) or admin (administration);"
            + f" password for all: {DEMO_PASSWORD}\n"
        )
        if options["no_serve"]:
            return
        env = {**os.environ, "PILOTAGE_DATA_DIR": str(settings.DATA_DIR)}
        manage = [sys.executable, "-m", "pilotage.cli"]
        worker = subprocess.Popen([*manage, "worker"], env=env)
        server = subprocess.Popen(
            [
                *manage,
                "serve",
                "--bind",
                f"127.0.0.1:{options['port']}",
                "--workers",
                "2",
                "--no-collectstatic",
            ],
            env=env,
        )
        try:
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            for process in (server, worker):
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in (server, worker):
                process.wait(timeout=30)
