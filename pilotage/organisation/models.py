"""Employers, the unit tree, people and their memberships: who is where, doing what.

Every other app scopes what a user may see through this module (`scope.py`): a person sees
the sub-trees of the units they are a member of, plus the units explicitly granted to them.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Bilingual:
    """Models with `<field>_fr` and `<field>_en` columns show the active language's one."""

    def localised(self, field: str) -> str:
        language = (get_language() or settings.LANGUAGE_CODE)[:2]
        first, second = ("fr", "en") if language == "fr" else ("en", "fr")
        return getattr(self, f"{field}_{first}") or getattr(self, f"{field}_{second}")


class Employer(Bilingual, models.Model):
    """An employing organisation: it employs staff and has its own policies and frameworks.

    Staff of one integrated team may keep different employers (an NHS board and a council in
    Scotland's body corporate model; a health centre and a school service centre in Quebec), so
    employers are modelled apart from the unit tree.
    """

    class Kind(models.TextChoices):
        HEALTH_AND_SOCIAL_SERVICES = "health_social", _("Health and social services centre")
        HEALTH_BOARD = "health_board", _("Health board")
        LOCAL_AUTHORITY = "local_authority", _("Local authority")
        SCHOOL = "school", _("School service centre")
        COMMUNITY = "community", _("Community organisation")
        OTHER = "other", _("Other")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=200, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta:
        verbose_name = _("employer")
        verbose_name_plural = _("employers")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.localised("name")


class Level(models.TextChoices):
    """Level of a unit and of its control room, from the executive committee to a team."""

    STRATEGIC = "strategic", _("Strategic")
    TACTICAL = "tactical", _("Tactical")
    OPERATIONAL = "operational", _("Operational")
    TEAM = "team", _("Team")


LEVEL_RANK = {Level.STRATEGIC: 0, Level.TACTICAL: 1, Level.OPERATIONAL: 2, Level.TEAM: 3}


class UnitQuerySet(models.QuerySet["Unit"]):
    def subtree(self, unit: "Unit") -> "UnitQuerySet":
        """The unit and every unit below it: one indexed prefix match on the stored path."""
        return self.filter(path__startswith=unit.path)

    def visible_to(self, user: object) -> "UnitQuerySet":
        """Units the user may see: sub-trees of their memberships and grants (all for admins)."""
        from pilotage.organisation.scope import unit_scope_q

        return self.filter(unit_scope_q(user, field=None))


class Unit(Bilingual, models.Model):
    """An organisational unit: the executive committee, a direction, a service, a team.

    Units form a tree (a parent for each but the root) with a level on each. Every control
    room belongs to a unit, and permissions follow the tree. The materialised `path` (ids from
    the root, e.g. "/1/4/9/") makes sub-tree queries a single indexed prefix match on SQLite
    and PostgreSQL alike; it is maintained by `save()`, never by hand.
    """

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    employer = models.ForeignKey(
        Employer,
        verbose_name=_("host employer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    is_active = models.BooleanField(_("active"), default=True)
    path = models.CharField(max_length=255, editable=False, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        constraints = [
            # Two units under one parent cannot share a name, in either language.
            models.UniqueConstraint(fields=["parent", "name_fr"], name="unit_name_fr_per_parent"),
            models.UniqueConstraint(fields=["parent", "name_en"], name="unit_name_en_per_parent"),
            # NULL parents are distinct in SQL, so roots need their own rule.
            models.UniqueConstraint(
                fields=["name_fr"], condition=Q(parent__isnull=True), name="unit_root_name_fr"
            ),
            models.UniqueConstraint(
                fields=["name_en"], condition=Q(parent__isnull=True), name="unit_root_name_en"
            ),
        ]
        indexes = [
            # Serves subtree() and visible_to(): `path LIKE '/1/4/%'`. On PostgreSQL the
            # pattern operator class lets a prefix LIKE use the index whatever the collation.
            models.Index(fields=["path"], name="unit_path_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        with transaction.atomic():
            old_path, old_depth = self.path, self.depth
            if self.pk is None:
                super().save(*args, **kwargs)  # type: ignore[arg-type]
                kwargs = {}
            if self.parent_id is None:
                parent_path, depth = "/", 0
            else:
                # Read the parent's path from the database: an in-memory parent may be stale.
                parent_path, parent_depth = Unit.objects.values_list("path", "depth").get(
                    pk=self.parent_id
                )
                if parent_path.startswith(f"{old_path}") and old_path:
                    raise ValidationError(_("A unit cannot be placed under itself."))
                depth = parent_depth + 1
            self.path, self.depth = f"{parent_path}{self.pk}/", depth
            super().save(*args, **kwargs)  # type: ignore[arg-type]
            if old_path and old_path != self.path:
                # Moved: rewrite the paths below in one statement.
                Unit.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                    path=Concat(Value(self.path), Substr("path", len(old_path) + 1)),
                    depth=F("depth") + (depth - old_depth),
                )

    def clean(self) -> None:
        if self.parent_id is None:
            return
        if self.pk is not None:
            parent_path = Unit.objects.values_list("path", flat=True).get(pk=self.parent_id)
            if self.parent_id == self.pk or parent_path.startswith(self.path):
                raise ValidationError(
                    {"parent": _("A unit cannot be placed under itself or one of its sub-units.")}
                )
        if self.level and LEVEL_RANK[Level(self.level)] < self.parent.level_rank:
            raise ValidationError(
                {"level": _("A unit cannot be at a higher level than its parent unit.")}
            )

    @property
    def name(self) -> str:
        return self.localised("name")

    @property
    def level_rank(self) -> int:
        return LEVEL_RANK[Level(self.level)]

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to the parent, read from the path without a query."""
        return [int(part) for part in self.path.strip("/").split("/")[:-1] if part]

    def ancestors(self) -> list["Unit"]:
        """The units above this one, root first."""
        ids = self.ancestor_ids()
        by_id = Unit.objects.in_bulk(ids)
        return [by_id[i] for i in ids if i in by_id]


class Person(Bilingual, models.Model):
    """A member of staff (or a partner) who takes part in the management system.

    A person has one employer and a job title; they may or may not have an account to sign in
    (`user`). Their place in the units is given by memberships.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    employer = models.ForeignKey(
        Employer, verbose_name=_("employer"), on_delete=models.PROTECT, related_name="people"
    )
    job_title_fr = models.CharField(_("job title (French)"), max_length=200, blank=True)
    job_title_en = models.CharField(_("job title (English)"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["family_name", "given_name"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def job_title(self) -> str:
        return self.localised("job_title")


class Role(models.TextChoices):
    """What a person does in a unit; it decides what they may change there."""

    EXECUTIVE = "executive", _("Executive")
    DIRECTOR = "director", _("Director")
    MANAGER = "manager", _("Manager")
    STAFF = "staff", _("Staff")
    PERFORMANCE_ADVISOR = "advisor", _("Performance advisor")
    RESEARCHER = "researcher", _("Researcher")


#: Roles that lead a unit: they manage its room and decide on what is escalated to it.
LEADING_ROLES = frozenset({Role.EXECUTIVE, Role.DIRECTOR, Role.MANAGER})


class MembershipQuerySet(models.QuerySet["Membership"]):
    def current(self, on: datetime.date | None = None) -> "MembershipQuerySet":
        """Memberships in force on the given day (today by default)."""
        day = on or timezone.localdate()
        return self.filter(Q(start__lte=day), Q(end__isnull=True) | Q(end__gte=day))


class Membership(models.Model):
    """A person's role in a unit over a period (start and end dates, the end left open)."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    start = models.DateField(_("start"), default=datetime.date.today)
    end = models.DateField(_("end"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["unit__path", "role", "person__family_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="membership_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["person", "unit", "role", "start"], name="membership_unique_start"
            ),
        ]
        indexes = [
            # Serves a unit page's list of people by role.
            models.Index(fields=["unit", "role"], name="membership_unit_role_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()} · {self.unit}"

    def clean(self) -> None:
        if self.end and self.start and self.end < self.start:
            raise ValidationError({"end": _("The end date cannot be before the start date.")})

    @property
    def is_leading(self) -> bool:
        return self.role in LEADING_ROLES


class AccessGrant(models.Model):
    """Explicit access to a unit's sub-tree for someone who is not a member of it.

    For example a performance advisor working for several directions, or a researcher
    following a trajectory. Granted by someone, for a reason, for a period.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="access_grants",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="access_grants"
    )
    reason = models.CharField(_("reason"), max_length=300)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    start = models.DateField(_("start"), default=datetime.date.today)
    end = models.DateField(_("end"), null=True, blank=True)

    class Meta:
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="grant_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.unit}"


class AuditEntry(models.Model):
    """One access to, or change of, sensitive records (event logs, case-level analyses,
    display links, grants): who, what, when, in which unit. Append-only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-pk"]
        indexes = [
            # The audit page of a unit, most recent first.
            models.Index(fields=["unit", "-at"], name="audit_unit_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.object_type}"


def audit(
    user: object,
    action: str,
    obj: models.Model | None = None,
    *,
    unit: "Unit | None" = None,
    **details: object,
) -> AuditEntry:
    """Record an access to sensitive records; call it in the same transaction as the access."""
    return AuditEntry.objects.create(
        user=user if getattr(user, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        unit=unit,
        details=details,
    )
