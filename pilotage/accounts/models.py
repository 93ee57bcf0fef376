from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """Someone who signs in to Pilotage.

    Who the person is in the organisation (employer, units, roles) lives in
    `organisation.Person`; this model only holds what signing in needs, plus the language the
    person chose. `external_id` is the subject of a future single sign-on provider (OpenID
    Connect or SAML), so accounts can be matched without relying on e-mail addresses.
    """

    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Language of the interface; empty follows the browser."),
    )
    external_id = models.CharField(
        _("single sign-on identifier"), max_length=255, null=True, blank=True, unique=True
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")
