"""The `pilotage` command: a thin layer over Django's management commands.

`pilotage demo`, `pilotage serve` and `pilotage worker` are management commands of their own
(`demo`, `serve`, `worker`); every other Django command is passed through unchanged.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pilotage.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["pilotage", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
