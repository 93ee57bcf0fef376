from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SystemConfig(AppConfig):
    """Running Pilotage: the production server, the worker, the translation check."""

    name = "pilotage.system"
    verbose_name = _("System")
