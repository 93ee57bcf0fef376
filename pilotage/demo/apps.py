from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo partnership. The top layer: it may import every app; nothing imports it."""

    name = "pilotage.demo"
    verbose_name = _("Demo")
