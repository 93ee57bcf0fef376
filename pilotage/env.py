"""Small typed readers of environment variables, used by the settings module only.

Every setting Pilotage reads from the environment goes through one of these helpers, so that
`docs/configuration.md` can list them all and a test can check that none is undocumented.
"""

import os

#: Names read through these helpers, in reading order (for the documentation check).
READ: list[str] = []


def env_str(name: str, default: str = "") -> str:
    READ.append(name)
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    READ.append(name)
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    READ.append(name)
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    READ.append(name)
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]
