"""The demo organisation: a partnership modelled on Project Jimmy.

A service trajectory for children in vulnerable situations and their families, run by a
Quebec-style integrated health and social services centre (youth protection and first-line
youth and family services) with a school service centre as a second employer. Everything is
built deterministically from the tables below, keyed by codes and user names, so loading it
twice leaves one copy.
"""

import datetime
import unicodedata
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from pilotage.organisation.models import Employer, Level, Membership, Person, Role, Unit

DEMO_PASSWORD = "pilotage-demo"  # noqa: S105 - printed by `pilotage demo`; demo data only
PROJECT_START = datetime.date(2016, 8, 1)

EMPLOYERS = [
    (
        "cisss",
        "CISSS des Deux-Rives",
        "Deux-Rives Integrated Health and Social Services Centre",
        Employer.Kind.HEALTH_AND_SOCIAL_SERVICES,
    ),
    (
        "css",
        "Centre de services scolaire des Deux-Rives",
        "Deux-Rives School Service Centre",
        Employer.Kind.SCHOOL,
    ),
]

# code, parent code, level, employer, French name, English name
UNITS = [
    (
        "jimmy",
        None,
        Level.STRATEGIC,
        "cisss",
        "Comité de direction du partenariat Jimmy",
        "Jimmy partnership executive committee",
    ),
    (
        "dpj",
        "jimmy",
        Level.TACTICAL,
        "cisss",
        "Direction de la protection de la jeunesse",
        "Youth protection directorate",
    ),
    (
        "djf",
        "jimmy",
        Level.TACTICAL,
        "cisss",
        "Direction du programme jeunesse-famille",
        "Youth and family programme directorate",
    ),
    (
        "rts",
        "dpj",
        Level.OPERATIONAL,
        "cisss",
        "Réception et traitement des signalements",
        "Screening: reception and processing of reports",
    ),
    (
        "eo",
        "dpj",
        Level.OPERATIONAL,
        "cisss",
        "Évaluation-orientation",
        "Evaluation and orientation",
    ),
    (
        "am",
        "dpj",
        Level.OPERATIONAL,
        "cisss",
        "Application des mesures (suivi en protection)",
        "Protection follow-up",
    ),
    ("am-0-12", "am", Level.TEAM, "cisss", "Équipe suivi 0-12 ans", "Follow-up team, ages 0-12"),
    ("am-13-17", "am", Level.TEAM, "cisss", "Équipe suivi 13-17 ans", "Follow-up team, ages 13-17"),
    (
        "jef",
        "djf",
        Level.OPERATIONAL,
        "cisss",
        "Services jeunesse-famille de première ligne",
        "First-line youth and family services",
    ),
    (
        "jef-famille",
        "jef",
        Level.TEAM,
        "cisss",
        "Équipe Jimmy : une équipe pour la famille",
        "Jimmy team: one team for the family",
    ),
    (
        "jef-0-5",
        "jef",
        Level.TEAM,
        "cisss",
        "Équipe petite enfance 0-5 ans",
        "Early childhood team, ages 0-5",
    ),
    (
        "readaptation",
        "djf",
        Level.OPERATIONAL,
        "cisss",
        "Réadaptation jeunesse",
        "Youth rehabilitation",
    ),
    (
        "liaison",
        "djf",
        Level.OPERATIONAL,
        "css",
        "Liaison école-communauté",
        "School and community liaison",
    ),
]

GIVEN_NAMES = [
    ("Marie", "f"),
    ("Louis", "m"),
    ("Julie", "f"),
    ("Mathieu", "m"),
    ("Isabelle", "f"),
    ("François", "m"),
    ("Nathalie", "f"),
    ("Éric", "m"),
    ("Geneviève", "f"),
    ("Patrick", "m"),
    ("Sophie", "f"),
    ("Martin", "m"),
    ("Catherine", "f"),
    ("Sébastien", "m"),
    ("Émilie", "f"),
    ("Jean-Philippe", "m"),
    ("Annie", "f"),
    ("Simon", "m"),
    ("Valérie", "f"),
    ("Alexandre", "m"),
    ("Karine", "f"),
    ("Maxime", "m"),
    ("Mélanie", "f"),
    ("Olivier", "m"),
    ("Caroline", "f"),
    ("Guillaume", "m"),
    ("Audrey", "f"),
    ("Nicolas", "m"),
    ("Josée", "f"),
    ("Samuel", "m"),
    ("Chantal", "f"),
    ("David", "m"),
    ("Amélie", "f"),
    ("Félix", "m"),
    ("Stéphanie", "f"),
    ("Philippe", "m"),
    ("Marie-Ève", "f"),
    ("Vincent", "m"),
    ("Andréanne", "f"),
    ("Hugo", "m"),
    ("Kim", "f"),
    ("Yannick", "m"),
    ("Roxanne", "f"),
    ("Dominic", "m"),
    ("Myriam", "f"),
]
FAMILY_NAMES = [
    "Tremblay",
    "Gagnon",
    "Roy",
    "Côté",
    "Bouchard",
    "Gauthier",
    "Morin",
    "Lavoie",
    "Fortin",
    "Gagné",
    "Ouellet",
    "Pelletier",
    "Bélanger",
    "Lévesque",
    "Bergeron",
    "Leblanc",
    "Paquette",
    "Girard",
    "Simard",
    "Boucher",
    "Caron",
    "Beaulieu",
    "Cloutier",
    "Dubé",
    "Poirier",
    "Fournier",
    "Lapointe",
    "Leclerc",
    "Lefebvre",
    "Poulin",
    "Thibault",
    "St-Pierre",
    "Nadeau",
    "Martin",
    "Landry",
    "Martel",
    "Bédard",
    "Grenier",
    "Lessard",
    "Bernier",
    "Richard",
    "Michaud",
    "Hébert",
    "Desjardins",
    "Couture",
    "Turcotte",
    "Lachance",
    "Parent",
    "Blais",
    "Gosselin",
    "Savard",
    "Proulx",
    "Beaudoin",
    "Demers",
    "Perron",
    "Boudreau",
    "Vachon",
    "Mercier",
    "Charbonneau",
    "Guay",
    "Dufour",
    "Moreau",
    "Rousseau",
    "Vallée",
    "Chabot",
    "Lemieux",
    "Jacques",
    "Gingras",
    "Rioux",
    "Allard",
    "Cyr",
    "Deschênes",
    "Labelle",
    "Arsenault",
    "Giroux",
    "Marchand",
    "Carrier",
    "Hamel",
    "Drouin",
    "Dion",
    "Plante",
]


@dataclass(frozen=True)
class Title:
    feminine: str
    masculine: str
    english: str

    def french(self, gender: str) -> str:
        return self.feminine if gender == "f" else self.masculine


TITLES = {
    "executive": Title(
        "Présidente-directrice générale adjointe",
        "Président-directeur général adjoint",
        "Associate chief executive",
    ),
    "director_dpj": Title(
        "Directrice de la protection de la jeunesse",
        "Directeur de la protection de la jeunesse",
        "Director of youth protection",
    ),
    "director_djf": Title(
        "Directrice du programme jeunesse-famille",
        "Directeur du programme jeunesse-famille",
        "Director of the youth and family programme",
    ),
    "head": Title("Cheffe de service", "Chef de service", "Service head"),
    "advisor": Title(
        "Conseillère en performance", "Conseiller en performance", "Performance advisor"
    ),
    "researcher": Title("Chercheuse", "Chercheur", "Researcher"),
    "social": Title("Travailleuse sociale", "Travailleur social", "Social worker"),
    "hro": Title(
        "Agente de relations humaines", "Agent de relations humaines", "Human relations officer"
    ),
    "educator": Title("Éducatrice spécialisée", "Éducateur spécialisé", "Special educator"),
    "psychoed": Title("Psychoéducatrice", "Psychoéducateur", "Psychoeducator"),
    "nurse": Title("Infirmière clinicienne", "Infirmier clinicien", "Clinical nurse"),
    "coordinator": Title(
        "Coordonnatrice clinique", "Coordonnateur clinique", "Clinical coordinator"
    ),
    "liaison": Title(
        "Agente de liaison scolaire", "Agent de liaison scolaire", "School liaison officer"
    ),
    "tech": Title(
        "Technicienne en travail social", "Technicien en travail social", "Social work technician"
    ),
}

# (unit code, role, title key, how many, employer code)
STAFFING = [
    ("jimmy", Role.EXECUTIVE, "executive", 1, "cisss"),
    ("dpj", Role.DIRECTOR, "director_dpj", 1, "cisss"),
    ("djf", Role.DIRECTOR, "director_djf", 1, "cisss"),
    ("jimmy", Role.PERFORMANCE_ADVISOR, "advisor", 2, "cisss"),
    ("jimmy", Role.RESEARCHER, "researcher", 1, "cisss"),
    ("rts", Role.MANAGER, "head", 1, "cisss"),
    ("rts", Role.STAFF, "hro", 5, "cisss"),
    ("rts", Role.STAFF, "tech", 3, "cisss"),
    ("eo", Role.MANAGER, "head", 1, "cisss"),
    ("eo", Role.STAFF, "hro", 7, "cisss"),
    ("eo", Role.STAFF, "social", 5, "cisss"),
    ("am", Role.MANAGER, "head", 1, "cisss"),
    ("am-0-12", Role.STAFF, "hro", 5, "cisss"),
    ("am-0-12", Role.STAFF, "educator", 2, "cisss"),
    ("am-13-17", Role.STAFF, "hro", 5, "cisss"),
    ("am-13-17", Role.STAFF, "educator", 2, "cisss"),
    ("jef", Role.MANAGER, "head", 1, "cisss"),
    ("jef-famille", Role.STAFF, "coordinator", 1, "cisss"),
    ("jef-famille", Role.STAFF, "social", 4, "cisss"),
    ("jef-famille", Role.STAFF, "psychoed", 2, "cisss"),
    ("jef-famille", Role.STAFF, "nurse", 1, "cisss"),
    ("jef-famille", Role.STAFF, "liaison", 1, "css"),
    ("jef-0-5", Role.STAFF, "social", 5, "cisss"),
    ("jef-0-5", Role.STAFF, "nurse", 2, "cisss"),
    ("jef-0-5", Role.STAFF, "educator", 2, "cisss"),
    ("readaptation", Role.MANAGER, "head", 1, "cisss"),
    ("readaptation", Role.STAFF, "educator", 7, "cisss"),
    ("readaptation", Role.STAFF, "psychoed", 3, "cisss"),
    ("liaison", Role.MANAGER, "head", 1, "css"),
    ("liaison", Role.STAFF, "liaison", 6, "css"),
]

#: The accounts `pilotage demo` prints, by what they show.
SHOWCASE = {
    "director": "dpj",  # the director of youth protection
    "manager": "eo",  # the service head of evaluation and orientation
    "staff": "jef-famille",  # a worker of the Jimmy team
}


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _username(given: str, family: str) -> str:
    return f"{_ascii(given).replace(' ', '')}.{_ascii(family).replace(' ', '').replace('-', '')}"


@dataclass(frozen=True)
class DemoPerson:
    given: str
    family: str
    gender: str
    unit: str
    role: Role
    title: str
    employer: str

    @property
    def username(self) -> str:
        return _username(self.given, self.family)


def demo_people() -> list[DemoPerson]:
    """The demo's people, in a fixed order: the n-th person gets the n-th name pairing."""
    people = []
    n = 0
    for unit, role, title, count, employer in STAFFING:
        for _ in range(count):
            given, gender = GIVEN_NAMES[(n * 7) % len(GIVEN_NAMES)]
            family = FAMILY_NAMES[n % len(FAMILY_NAMES)]
            people.append(DemoPerson(given, family, gender, unit, role, title, employer))
            n += 1
    return people


def showcase_usernames() -> dict[str, str]:
    """One demo user name per kind of user shown in the README and by `pilotage demo`."""
    found: dict[str, str] = {}
    for person in demo_people():
        for kind, unit in SHOWCASE.items():
            if kind not in found and person.unit == unit:
                found[kind] = person.username
    return found


@transaction.atomic
def build_organisation() -> dict[str, int]:
    """Create or update the demo partnership; return how many of each thing it holds."""
    employers = {}
    for code, name_fr, name_en, kind in EMPLOYERS:
        employers[code], _ = Employer.objects.update_or_create(
            code=code, defaults={"name_fr": name_fr, "name_en": name_en, "kind": kind}
        )
    units: dict[str, Unit] = {}
    for code, parent, level, employer, name_fr, name_en in UNITS:
        unit = Unit.objects.filter(code=code).first() or Unit(code=code)
        unit.parent = units[parent] if parent else None
        unit.level, unit.employer = level, employers[employer]
        unit.name_fr, unit.name_en, unit.is_active = name_fr, name_en, True
        unit.full_clean()
        unit.save()
        units[code] = unit

    user_model = get_user_model()
    password_hash = None
    for p in demo_people():
        user, created = user_model.objects.get_or_create(
            username=p.username,
            defaults={
                "first_name": p.given,
                "last_name": p.family,
                "email": f"{p.username}@deux-rives.example",
            },
        )
        if created:
            # Hashing is slow on purpose; the demo's accounts share one hash.
            if password_hash is None:
                user.set_password(DEMO_PASSWORD)
                password_hash = user.password
            user.password = password_hash
            user.save(update_fields=["password"])
        title = TITLES[p.title]
        person, _ = Person.objects.update_or_create(
            user=user,
            defaults={
                "given_name": p.given,
                "family_name": p.family,
                "employer": employers[p.employer],
                "job_title_fr": title.french(p.gender),
                "job_title_en": title.english,
                "email": user.email,
            },
        )
        Membership.objects.get_or_create(
            person=person, unit=units[p.unit], role=p.role, start=PROJECT_START
        )
        if p.role == Role.DIRECTOR:
            # Directors also sit on the executive committee.
            Membership.objects.get_or_create(
                person=person, unit=units["jimmy"], role=Role.EXECUTIVE, start=PROJECT_START
            )

    admin, created = user_model.objects.get_or_create(
        username="admin",
        defaults={"is_staff": True, "is_superuser": True, "email": "admin@deux-rives.example"},
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save(update_fields=["password"])
    return {
        "employers": Employer.objects.count(),
        "units": Unit.objects.count(),
        "people": Person.objects.count(),
        "memberships": Membership.objects.count(),
    }
