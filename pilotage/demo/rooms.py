"""The demo's control rooms: a room for every unit of the Jimmy partnership and a trajectory
room, with what their boards hold on the demo's "today".

Room templates follow Quebec practice (strategic monthly, tactical weekly, operational twice a
week, the team's caucus every day with its improvement kata, the trajectory room every two
weeks). Each board holds what front-line staff and managers would have put on it: problems
across the kanban, an action plan with owners among the room's members (some overdue, some due
in 2027), links to the priorities and to the indicators (the signalled ones: overtime in the
13-17 team is left without any item, a board that has become a reporting ritual), recognition
naming people, and the kata of each team.

The escalations are made with the real operations (`pilotage.rooms.actions`) by the real
people, then dated: one went from evaluation-orientation to the youth-protection directorate,
then to the executive committee, and came back decided and acknowledged; others wait for a
decision, for an acknowledgement, were refused, or went across to the trajectory room.

Everything is keyed by codes and titles: running `build_rooms()` again creates nothing and
changes nothing (a card changed by hand is set back, with its version moved on).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone

from pilotage.demo.indicators import END
from pilotage.demo.organisation import demo_people
from pilotage.indicators.models import Indicator, Priority
from pilotage.organisation.models import Level, Membership, Person, Unit
from pilotage.rooms.actions import do_acknowledge, do_decide, do_escalate
from pilotage.rooms.models import (
    Action,
    ActionStatus,
    Cadence,
    DecisionKind,
    Escalation,
    Experiment,
    Kata,
    Problem,
    ProblemStatus,
    Recognition,
    Room,
    RoomKind,
    RoomTemplate,
    Zone,
)

#: The demo's "today": the Monday of the last week of values. Every date below is counted from
#: it (negative: before). The board counts overdue actions against the real date, so the
#: overdue ones fall before it and the others in 2027.
TODAY = END

TRAJECTORY = "trajectoire-jimmy"
TRAJECTORY_UNITS = ("rts", "eo", "am", "jef", "readaptation", "liaison")

#: A person of the demo: the unit they are staffed in, and their rank among its people in the
#: organisation's staffing order (0 is the unit's head where it has one).
Who = tuple[str, int]


def _day(offset: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=offset)


def _at(offset: int, hour: int = 9, minute: int = 0) -> datetime.datetime:
    moment = datetime.datetime.combine(_day(offset), datetime.time(hour, minute))
    return timezone.make_aware(moment)


# ---------------------------------------------------------------------------------------------
# Templates


@dataclass(frozen=True)
class TemplateSpec:
    code: str
    level: str  # "" for the trajectory template
    name_fr: str
    name_en: str
    zones: tuple[tuple[str, int], ...]  # in board order, with the limit (0: none)
    cadence: str
    minutes: int


TEMPLATES = [
    TemplateSpec(
        "strategic",
        Level.STRATEGIC,
        "Salle de pilotage stratégique",
        "Strategic control room",
        (
            (Zone.PRIORITIES, 5),
            (Zone.INDICATORS, 8),
            (Zone.PROJECTS, 6),
            (Zone.PROBLEMS, 8),
            (Zone.ACTIONS, 12),
            (Zone.ESCALATIONS, 0),
            (Zone.RECOGNITION, 5),
        ),
        Cadence.MONTHLY,
        90,
    ),
    TemplateSpec(
        "tactical",
        Level.TACTICAL,
        "Salle de pilotage tactique",
        "Tactical control room",
        (
            (Zone.PRIORITIES, 5),
            (Zone.INDICATORS, 8),
            (Zone.PROJECTS, 8),
            (Zone.PROBLEMS, 8),
            (Zone.ACTIONS, 12),
            (Zone.ESCALATIONS, 0),
            (Zone.RECOGNITION, 5),
        ),
        Cadence.WEEKLY,
        60,
    ),
    TemplateSpec(
        "operational",
        Level.OPERATIONAL,
        "Salle de pilotage opérationnelle",
        "Operational control room",
        (
            (Zone.PRIORITIES, 3),
            (Zone.INDICATORS, 6),
            (Zone.PROBLEMS, 8),
            (Zone.ACTIONS, 10),
            (Zone.ESCALATIONS, 0),
            (Zone.RECOGNITION, 5),
        ),
        Cadence.TWICE_WEEKLY,
        20,
    ),
    TemplateSpec(
        "team",
        Level.TEAM,
        "Station visuelle d'équipe (caucus)",
        "Team visual station (huddle)",
        (
            (Zone.PRIORITIES, 3),
            (Zone.INDICATORS, 6),
            (Zone.KATA, 1),
            (Zone.PROBLEMS, 6),
            (Zone.ACTIONS, 8),
            (Zone.ESCALATIONS, 0),
            (Zone.RECOGNITION, 5),
        ),
        Cadence.DAILY,
        15,
    ),
    TemplateSpec(
        "trajectory",
        "",
        "Salle de trajectoire",
        "Trajectory room",
        (
            (Zone.PRIORITIES, 3),
            (Zone.INDICATORS, 8),
            (Zone.PROBLEMS, 8),
            (Zone.ACTIONS, 10),
            (Zone.ESCALATIONS, 0),
            (Zone.RECOGNITION, 5),
        ),
        Cadence.FORTNIGHTLY,
        60,
    ),
]


# ---------------------------------------------------------------------------------------------
# What the boards hold


@dataclass(frozen=True)
class P:
    """A problem: raised by someone on a day; solved on a day when solved."""

    title: str
    status: str
    by: Who
    raised: int
    description: str = ""
    indicator: str | None = None
    priority: str | None = None
    solved: int | None = None


@dataclass(frozen=True)
class A:
    """An action of the plan: who, by when; done on a day when done."""

    title: str
    owner: Who
    since: int
    due: int
    status: str = ActionStatus.TODO
    problem: str | None = None  # the title of a problem of the same room
    indicator: str | None = None
    priority: str | None = None
    done: int | None = None


@dataclass(frozen=True)
class R:
    """Recognition: the text names the people ({0}, {1}... are their full names)."""

    text: str
    people: tuple[Who, ...]
    by: Who
    day: int
    action: str | None = None


@dataclass(frozen=True)
class X:
    """An experiment of the kata."""

    day: int
    step: str
    expected: str
    result: str = ""
    learning: str = ""


@dataclass(frozen=True)
class K:
    target_state: str
    current_condition: str
    next_target: str
    obstacles: tuple[str, ...]
    by: Who
    since: int
    experiments: tuple[X, ...]
    priority: str = "jimmy-continuite"


@dataclass(frozen=True)
class Board:
    problems: tuple[P, ...] = ()
    actions: tuple[A, ...] = ()
    recognitions: tuple[R, ...] = ()
    kata: K | None = None


NEW, ANALYSING, ACTION = ProblemStatus.NEW, ProblemStatus.ANALYSING, ProblemStatus.ACTION
SOLVED, ESCALATED = ProblemStatus.SOLVED, ProblemStatus.ESCALATED
TODO, DOING, DONE = ActionStatus.TODO, ActionStatus.DOING, ActionStatus.DONE
ACCESS, CONTINUITY, WELL_BEING = "jimmy-acces", "jimmy-continuite", "jimmy-bien-etre"

# Key people (see STAFFING in organisation.py).
EXECUTIVE: Who = ("jimmy", 0)
ADVISOR, ADVISOR_2, RESEARCHER = ("jimmy", 1), ("jimmy", 2), ("jimmy", 3)
DIRECTOR_DPJ: Who = ("dpj", 0)
DIRECTOR_DJF: Who = ("djf", 0)
HEAD_RTS, HEAD_EO, HEAD_AM = ("rts", 0), ("eo", 0), ("am", 0)
HEAD_JEF, HEAD_READAPTATION, HEAD_LIAISON = ("jef", 0), ("readaptation", 0), ("liaison", 0)
COORDINATOR_JIMMY: Who = ("jef-famille", 0)

# Titles that escalations refer to.
EVALUATION_WAIT = "Attente d'un intervenant disponible pour l'évaluation"
EVENING_REPORTS = "Signalements du soir non traités avant le lendemain"
VACANT_POSTS = "Deux postes vacants à l'équipe 13-17 ans : heures supplémentaires en hausse"
RECORD_ACCESS = "Accès des agents de liaison au dossier de l'usager du CISSS"
TRANSFER_GAP = "Transfert DPJ vers la première ligne : trois à cinq semaines sans service"

BOARDS: dict[str, Board] = {
    "jimmy": Board(
        problems=(
            P(
                "Continuité 0-5 ans sous la cible de 80 % depuis deux ans",
                ANALYSING,
                ADVISOR_2,
                -35,
                "Le taux de continuité de l'équipe petite enfance n'a jamais dépassé 75 % : "
                "le processus actuel ne peut pas atteindre la cible. Analyse des transferts "
                "demandée à la DJF.",
                indicator="continuite-equipe",
                priority=CONTINUITY,
            ),
            P(
                "Heures supplémentaires en hausse dans les équipes de suivi DPJ",
                ACTION,
                ADVISOR,
                -14,
                "Dix semaines de hausse à l'équipe 13-17 ans ; deux postes vacants.",
                indicator="heures-sup-etp",
                priority=WELL_BEING,
            ),
            P(
                "Entente de partage de données avec le CSS échue en mars",
                NEW,
                RESEARCHER,
                -6,
                "Sans entente renouvelée, les données d'absence de la liaison ne pourront plus "
                "être importées.",
            ),
            P(
                "Ordre du jour trop chargé : escalades reportées d'un mois",
                SOLVED,
                EXECUTIVE,
                -120,
                solved=-70,
            ),
        ),
        actions=(
            A(
                "Présenter l'analyse des transferts 0-5 ans au comité",
                DIRECTOR_DJF,
                -35,
                52,
                DOING,
                problem="Continuité 0-5 ans sous la cible de 80 % depuis deux ans",
                indicator="continuite-equipe",
                priority=CONTINUITY,
            ),
            A(
                "Bilan des heures supplémentaires par équipe",
                ADVISOR,
                -14,
                -3,
                TODO,
                problem="Heures supplémentaires en hausse dans les équipes de suivi DPJ",
                indicator="heures-sup-etp",
                priority=WELL_BEING,
            ),
            A(
                "Renouveler l'entente de partage de données avec le CSS",
                ADVISOR_2,
                -6,
                105,
                problem="Entente de partage de données avec le CSS échue en mars",
            ),
            A(
                "Confirmer les deux postes de l'É-O au budget 2027-2028",
                EXECUTIVE,
                -41,
                135,
                priority=ACCESS,
            ),
            A(
                "Trois fiches de statut par comité, escalades en premier",
                EXECUTIVE,
                -110,
                -75,
                DONE,
                problem="Ordre du jour trop chargé : escalades reportées d'un mois",
                done=-72,
            ),
        ),
        recognitions=(
            R(
                "Merci à {0} et {1} pour l'analyse des délais d'évaluation qui a appuyé la "
                "décision du comité sur les postes à l'évaluation-orientation.",
                (ADVISOR, ADVISOR_2),
                EXECUTIVE,
                -41,
            ),
        ),
    ),
    "dpj": Board(
        problems=(
            P(
                "Dossiers transférés de l'É-O à l'AM sans résumé d'évaluation",
                ANALYSING,
                HEAD_AM,
                -28,
                "L'intervenant de l'AM refait la cueillette d'information ; la famille répète "
                "son histoire.",
                indicator="transitions-episode",
                priority=CONTINUITY,
            ),
            P(
                "Salles de visite supervisée indisponibles le soir",
                NEW,
                HEAD_EO,
                -5,
            ),
            P(
                "Délai d'évaluation au-dessus de la norme de 12 jours",
                SOLVED,
                DIRECTOR_DPJ,
                -520,
                "Réglé par la réorganisation Jimmy : autour de 8 jours depuis septembre 2025.",
                indicator="delai-evaluation",
                priority=ACCESS,
                solved=-280,
            ),
        ),
        actions=(
            A(
                "Affichage accéléré des deux postes de l'équipe 13-17 ans",
                DIRECTOR_DPJ,
                -6,
                53,
                DOING,
                indicator="heures-sup-etp",
                priority=WELL_BEING,
            ),
            A(
                "Résumé d'évaluation joint à chaque transfert vers l'AM",
                HEAD_EO,
                -28,
                -9,
                TODO,
                problem="Dossiers transférés de l'É-O à l'AM sans résumé d'évaluation",
                priority=CONTINUITY,
            ),
            A(
                "Chiffrer une garde de soir à la RTS",
                HEAD_RTS,
                -14,
                -2,
                DOING,
                priority=ACCESS,
            ),
            A(
                "Comparer les charges de cas des équipes 0-12 et 13-17 ans",
                HEAD_AM,
                -6,
                60,
                priority=WELL_BEING,
            ),
        ),
        recognitions=(
            R(
                "Bravo à {0} et à l'équipe : dix semaines de suite sous la norme de 12 jours à "
                "l'évaluation.",
                (HEAD_EO,),
                DIRECTOR_DPJ,
                -13,
            ),
            R(
                "Merci à {0} d'avoir coordonné la reprise des signalements après la panne du PIJ.",
                (HEAD_RTS,),
                DIRECTOR_DPJ,
                -238,
            ),
        ),
    ),
    "djf": Board(
        problems=(
            P(
                "Familles 0-5 ans transférées entre trois équipes en moins d'un an",
                ANALYSING,
                HEAD_JEF,
                -30,
                indicator="continuite-equipe",
                priority=CONTINUITY,
            ),
            P(
                "Remplacement des éducateurs absents pendant l'éclosion de grippe",
                SOLVED,
                HEAD_READAPTATION,
                -306,
                indicator="taux-absence",
                priority=WELL_BEING,
                solved=-270,
            ),
            P(
                "Aucun outil de suivi partagé entre le CISSS et le CSS",
                NEW,
                HEAD_LIAISON,
                -9,
            ),
        ),
        actions=(
            A(
                "Analyse des transferts 0-5 ans : 30 dossiers tirés au hasard",
                HEAD_JEF,
                -30,
                -6,
                DOING,
                problem="Familles 0-5 ans transférées entre trois équipes en moins d'un an",
                indicator="continuite-equipe",
                priority=CONTINUITY,
            ),
            A(
                "Scénario : étendre le modèle Jimmy aux familles 0-5 ans",
                DIRECTOR_DJF,
                -20,
                75,
                priority=CONTINUITY,
            ),
            A(
                "Vaccination antigrippale offerte sur place en réadaptation",
                HEAD_READAPTATION,
                -60,
                -40,
                DONE,
                indicator="taux-absence",
                priority=WELL_BEING,
                done=-44,
            ),
            A(
                "Calendrier commun des journées pédagogiques et des congés",
                HEAD_LIAISON,
                -9,
                70,
                problem="Aucun outil de suivi partagé entre le CISSS et le CSS",
            ),
        ),
        recognitions=(
            R(
                "Merci à {0} pour la clinique de vaccination en réadaptation : 46 employés "
                "vaccinés en deux jours.",
                (HEAD_READAPTATION,),
                DIRECTOR_DJF,
                -43,
                action="Vaccination antigrippale offerte sur place en réadaptation",
            ),
        ),
    ),
    "rts": Board(
        problems=(
            P(
                EVENING_REPORTS,
                ESCALATED,
                ("rts", 1),
                -35,
                "Les signalements reçus après 17 h attendent la réception du lendemain à 8 h 30 "
                ": six par soir en moyenne en octobre.",
                indicator="liste-attente",
                priority=ACCESS,
            ),
            P(
                "Formulaire de signalement des écoles incomplet",
                ACTION,
                ("rts", 2),
                -21,
                "Un signalement sur quatre venant des écoles arrive sans les coordonnées des "
                "parents.",
                priority=ACCESS,
            ),
            P(
                "Double saisie des signalements dans le PIJ et le registre papier",
                ANALYSING,
                ("rts", 7),
                -16,
                priority=WELL_BEING,
            ),
            P(
                "Appels coupés après trois appels en attente",
                NEW,
                ("rts", 6),
                -3,
            ),
            P(
                "Liste d'attente gonflée après la panne du PIJ",
                SOLVED,
                HEAD_RTS,
                -244,
                indicator="liste-attente",
                priority=ACCESS,
                solved=-234,
            ),
        ),
        actions=(
            A(
                "Compter les signalements reçus entre 17 h et 22 h en octobre",
                ("rts", 3),
                -35,
                -25,
                DONE,
                problem=EVENING_REPORTS,
                indicator="liste-attente",
                priority=ACCESS,
                done=-24,
            ),
            A(
                "Gabarit de signalement pour les écoles, avec la liaison",
                ("rts", 2),
                -20,
                60,
                DOING,
                problem="Formulaire de signalement des écoles incomplet",
                priority=ACCESS,
            ),
            A(
                "Relevé des appels perdus pendant deux semaines",
                ("rts", 6),
                -3,
                -1,
                problem="Appels coupés après trois appels en attente",
            ),
            A(
                "Retirer le registre papier : valider avec les archives",
                ("rts", 7),
                -16,
                53,
                problem="Double saisie des signalements dans le PIJ et le registre papier",
            ),
            A(
                "Rattrapage après la panne : deux soirs de temps supplémentaire",
                HEAD_RTS,
                -244,
                -240,
                DONE,
                problem="Liste d'attente gonflée après la panne du PIJ",
                done=-240,
            ),
        ),
        recognitions=(
            R(
                "Merci à {0} et {1} d'avoir traité 41 signalements en trois jours après la panne "
                "du PIJ.",
                (("rts", 4), ("rts", 5)),
                HEAD_RTS,
                -236,
            ),
            R(
                "Merci à {0} pour le relevé des signalements du soir : les chiffres ont rendu "
                "l'escalade possible.",
                (("rts", 3),),
                HEAD_RTS,
                -21,
                action="Compter les signalements reçus entre 17 h et 22 h en octobre",
            ),
        ),
    ),
    "eo": Board(
        problems=(
            P(
                EVALUATION_WAIT,
                SOLVED,
                ("eo", 1),
                -77,
                "Chaque lundi, 8 à 12 signalements retenus attendent qu'un intervenant se "
                "libère ; deux postes sont vacants depuis le printemps.",
                indicator="delai-evaluation",
                priority=ACCESS,
                solved=-38,
            ),
            P(
                "Rapports d'évaluation en attente de signature du réviseur",
                ANALYSING,
                ("eo", 9),
                -12,
                priority=ACCESS,
            ),
            P(
                "Interprètes difficiles à obtenir en moins de 48 h",
                ACTION,
                ("eo", 10),
                -26,
                priority=ACCESS,
            ),
            P(
                "Longs déplacements vers le secteur nord",
                NEW,
                ("eo", 4),
                -4,
                priority=WELL_BEING,
            ),
        ),
        actions=(
            A(
                "Mesurer l'attente du lundi matin pendant quatre semaines",
                ("eo", 2),
                -100,
                -72,
                DONE,
                problem=EVALUATION_WAIT,
                indicator="liste-attente",
                priority=ACCESS,
                done=-73,
            ),
            A(
                "Accueil et jumelage des deux nouveaux agents de relations humaines",
                HEAD_EO,
                -38,
                60,
                DOING,
                problem=EVALUATION_WAIT,
                priority=ACCESS,
            ),
            A(
                "Liste d'interprètes sur appel partagée avec la RTS",
                ("eo", 10),
                -26,
                -5,
                DOING,
                problem="Interprètes difficiles à obtenir en moins de 48 h",
                priority=ACCESS,
            ),
            A(
                "Réviseur de garde le vendredi pour les signatures",
                ("eo", 12),
                -12,
                47,
                problem="Rapports d'évaluation en attente de signature du réviseur",
            ),
            A(
                "Regrouper les évaluations du secteur nord le même jour",
                ("eo", 4),
                -4,
                67,
                problem="Longs déplacements vers le secteur nord",
                priority=WELL_BEING,
            ),
        ),
        recognitions=(
            R(
                "Merci à {0} pour les quatre semaines de mesure de l'attente du lundi : la base "
                "de notre escalade.",
                (("eo", 2),),
                HEAD_EO,
                -70,
                action="Mesurer l'attente du lundi matin pendant quatre semaines",
            ),
            R(
                "Bienvenue à {0} et {1}, arrivés dans les deux postes financés par le comité.",
                (("eo", 6), ("eo", 7)),
                HEAD_EO,
                -7,
            ),
        ),
    ),
    "am": Board(
        problems=(
            P(
                VACANT_POSTS,
                ESCALATED,
                HEAD_AM,
                -28,
                "Les deux postes sont vacants depuis septembre ; les dossiers sont répartis sur "
                "les cinq autres intervenants.",
                indicator="heures-sup-etp",
                priority=WELL_BEING,
            ),
            P(
                "Fin de suivi DPJ sans rencontre de transfert avec la première ligne",
                ACTION,
                ("am-0-12", 1),
                -40,
                indicator="transitions-episode",
                priority=CONTINUITY,
            ),
            P(
                "Révisions de mesures préparées la veille de l'audience",
                ANALYSING,
                ("am-0-12", 0),
                -19,
            ),
            P(
                "Transport des enfants aux contacts parents-enfants le samedi",
                NEW,
                ("am-13-17", 5),
                -7,
            ),
        ),
        actions=(
            A(
                "Répartir les nouveaux dossiers 13-17 ans avec l'équipe 0-12",
                HEAD_AM,
                -28,
                -1,
                DOING,
                problem=VACANT_POSTS,
                indicator="heures-sup-etp",
                priority=WELL_BEING,
            ),
            A(
                "Rencontre de transfert à trois à chaque fin de mesure",
                ("am-0-12", 1),
                -40,
                46,
                DOING,
                problem="Fin de suivi DPJ sans rencontre de transfert avec la première ligne",
                indicator="transitions-episode",
                priority=CONTINUITY,
            ),
            A(
                "Calendrier des révisions partagé avec le contentieux",
                ("am-0-12", 0),
                -19,
                -8,
                problem="Révisions de mesures préparées la veille de l'audience",
            ),
            A(
                "Entente avec le transport bénévole pour les samedis",
                ("am-13-17", 5),
                -7,
                81,
                problem="Transport des enfants aux contacts parents-enfants le samedi",
            ),
        ),
        recognitions=(
            R(
                "Merci à {0} et {1} d'avoir repris des dossiers de l'équipe 13-17 ans pendant "
                "les postes vacants.",
                (("am-0-12", 0), ("am-0-12", 6)),
                HEAD_AM,
                -10,
            ),
        ),
    ),
    "am-0-12": Board(
        problems=(
            P(
                "Visites supervisées annulées faute d'éducateur",
                ACTION,
                ("am-0-12", 6),
                -18,
                priority=CONTINUITY,
            ),
            P(
                "Notes évolutives en retard après les urgences",
                ANALYSING,
                ("am-0-12", 2),
                -11,
            ),
            P(
                "Sièges d'auto manquants pour les déplacements",
                NEW,
                ("am-0-12", 5),
                -2,
            ),
            P(
                "Familles informées du changement d'intervenant par lettre",
                SOLVED,
                ("am-0-12", 3),
                -90,
                indicator="transitions-episode",
                priority=CONTINUITY,
                solved=-30,
            ),
        ),
        actions=(
            A(
                "Horaire des visites supervisées affiché à la station chaque lundi",
                ("am-0-12", 6),
                -18,
                46,
                DOING,
                problem="Visites supervisées annulées faute d'éducateur",
                priority=CONTINUITY,
            ),
            A(
                "Bloc de 30 minutes de notes après chaque urgence",
                ("am-0-12", 2),
                -11,
                -4,
                problem="Notes évolutives en retard après les urgences",
            ),
            A(
                "Inventaire des sièges d'auto avec la logistique",
                ("am-0-12", 5),
                -2,
                53,
                problem="Sièges d'auto manquants pour les déplacements",
            ),
            A(
                "Présenter en personne le nouvel intervenant à la famille",
                ("am-0-12", 3),
                -80,
                -35,
                DONE,
                problem="Familles informées du changement d'intervenant par lettre",
                indicator="transitions-episode",
                priority=CONTINUITY,
                done=-31,
            ),
        ),
        recognitions=(
            R(
                "Merci à {0} : plus aucune famille n'apprend par lettre le nom de son nouvel "
                "intervenant.",
                (("am-0-12", 3),),
                ("am-0-12", 1),
                -30,
                action="Présenter en personne le nouvel intervenant à la famille",
            ),
        ),
        kata=K(
            "Chaque enfant garde le même intervenant du début à la fin de la mesure",
            "En 2026, un enfant sur quatre a changé d'intervenant au moins une fois, surtout "
            "pendant les congés et les réaffectations.",
            "D'ici le 31 janvier : aucun changement d'intervenant sans rencontre de "
            "présentation à la famille.",
            (
                "Réaffectations pendant les absences prolongées",
                "Dossiers répartis selon la disponibilité plutôt que le secteur",
            ),
            ("am-0-12", 1),
            -75,
            (
                X(
                    -70,
                    "Présenter le nouvel intervenant en personne, avec l'ancien",
                    "La famille connaît son nouvel intervenant avant le premier rendez-vous",
                    "9 familles sur 10 rencontrées ; une famille a refusé la rencontre",
                    "Prévoir la présentation dès l'annonce du départ, pas la dernière semaine",
                ),
                X(
                    -21,
                    "Jumeler chaque dossier à un deuxième intervenant déjà connu de la famille",
                    "Pendant les congés, la famille voit une personne qu'elle connaît",
                    "En cours : 12 dossiers jumelés sur 38",
                ),
            ),
        ),
    ),
    "am-13-17": Board(
        # Nothing here is linked to overtime: the team's tile is red without action.
        problems=(
            P(
                "Jeunes en fugue : aucune procédure commune avec la police",
                ANALYSING,
                ("am-13-17", 0),
                -22,
            ),
            P(
                "Rencontres annulées par les jeunes sans relance",
                ACTION,
                ("am-13-17", 4),
                -33,
                indicator="continuite-equipe",
                priority=CONTINUITY,
            ),
            P(
                "Pas de local pour rencontrer les jeunes à l'école secondaire",
                SOLVED,
                ("am-13-17", 6),
                -60,
                solved=-25,
            ),
        ),
        actions=(
            A(
                "Relance par texto le jour même d'une rencontre manquée",
                ("am-13-17", 4),
                -33,
                49,
                DOING,
                problem="Rencontres annulées par les jeunes sans relance",
                indicator="continuite-equipe",
                priority=CONTINUITY,
            ),
            A(
                "Protocole de fugue : rencontre avec le poste de police",
                ("am-13-17", 0),
                -22,
                -3,
                problem="Jeunes en fugue : aucune procédure commune avec la police",
            ),
            A(
                "Entente d'accès au local avec la direction de l'école",
                ("am-13-17", 6),
                -55,
                -30,
                DONE,
                problem="Pas de local pour rencontrer les jeunes à l'école secondaire",
                done=-26,
            ),
        ),
        recognitions=(
            R(
                "Merci à {0} pour l'entente avec l'école secondaire : les rencontres se font sur "
                "place depuis octobre.",
                (("am-13-17", 6),),
                ("am-13-17", 1),
                -25,
                action="Entente d'accès au local avec la direction de l'école",
            ),
        ),
        kata=K(
            "Chaque jeune rencontre son intervenant au moins une fois par semaine",
            "En octobre, 64 % des jeunes ont été vus chaque semaine.",
            "75 % des jeunes vus chaque semaine d'ici le 15 janvier.",
            (
                "Rencontres annulées à la dernière minute",
                "Déplacements vers cinq écoles secondaires",
            ),
            ("am-13-17", 1),
            -50,
            (
                X(
                    -45,
                    "Rencontrer les jeunes à l'école plutôt qu'au bureau",
                    "Moins de rencontres annulées, moins de déplacements",
                    "Deux rencontres annulées sur vingt, contre sept le mois d'avant",
                    "Les jeunes viennent quand la rencontre est sur leur chemin",
                ),
                X(
                    -14,
                    "Relance par texto le jour même d'une rencontre manquée",
                    "La moitié des rencontres manquées reprises dans la semaine",
                    "En cours",
                ),
            ),
        ),
    ),
    "jef": Board(
        problems=(
            P(
                "Demandes de services en attente de plus de 30 jours",
                ACTION,
                HEAD_JEF,
                -25,
                priority=ACCESS,
            ),
            P(
                "Nouveaux employés non formés au modèle Jimmy",
                ANALYSING,
                COORDINATOR_JIMMY,
                -15,
                priority=CONTINUITY,
            ),
            P(
                "Salle de rencontre famille réservée par d'autres services",
                NEW,
                ("jef-famille", 7),
                -5,
            ),
        ),
        actions=(
            A(
                "Appel aux familles en attente depuis plus de 30 jours",
                ("jef-0-5", 1),
                -25,
                -7,
                DOING,
                problem="Demandes de services en attente de plus de 30 jours",
                priority=ACCESS,
            ),
            A(
                "Journée d'accueil au modèle Jimmy pour chaque nouvel employé",
                COORDINATOR_JIMMY,
                -15,
                74,
                problem="Nouveaux employés non formés au modèle Jimmy",
                priority=CONTINUITY,
            ),
            A(
                "Salle famille réservée à la JEF le mardi et le jeudi",
                HEAD_JEF,
                -5,
                46,
                problem="Salle de rencontre famille réservée par d'autres services",
            ),
        ),
        recognitions=(
            R(
                "Merci à {0} d'avoir accompagné les deux nouvelles travailleuses sociales dans "
                "leurs premières familles.",
                (COORDINATOR_JIMMY,),
                HEAD_JEF,
                -12,
            ),
        ),
    ),
    "jef-famille": Board(
        problems=(
            P(
                "Famille qui répète son histoire à chaque nouvel intervenant",
                ACTION,
                ("jef-famille", 1),
                -63,
                indicator="transitions-episode",
                priority=CONTINUITY,
            ),
            P(
                TRANSFER_GAP,
                ESCALATED,
                ("jef-famille", 2),
                -24,
                "Entre la fin du suivi en protection et notre premier rendez-vous, des "
                "familles restent sans intervenant ; trois cas en octobre.",
                indicator="delai-premier-service",
                priority=CONTINUITY,
            ),
            P(
                "Plan d'intervention signé trop tard par l'école",
                ANALYSING,
                ("jef-famille", 8),
                -14,
            ),
            P(
                "Rendez-vous infirmiers impossibles le soir",
                NEW,
                ("jef-famille", 7),
                -3,
                priority=ACCESS,
            ),
            P(
                "Accueil de la famille par deux intervenants différents",
                SOLVED,
                COORDINATOR_JIMMY,
                -150,
                indicator="transitions-episode",
                priority=CONTINUITY,
                solved=-90,
            ),
        ),
        actions=(
            A(
                "Résumé de l'histoire familiale écrit avec la famille",
                ("jef-famille", 5),
                -42,
                46,
                DOING,
                problem="Famille qui répète son histoire à chaque nouvel intervenant",
                indicator="transitions-episode",
                priority=CONTINUITY,
            ),
            A(
                "Liste des familles en fin de suivi DPJ revue chaque lundi",
                ("jef-famille", 2),
                -24,
                -2,
                problem=TRANSFER_GAP,
                indicator="delai-premier-service",
                priority=CONTINUITY,
            ),
            A(
                "Plan d'intervention unique signé par l'école et le CISSS",
                ("jef-famille", 8),
                -14,
                -11,
                DOING,
                problem="Plan d'intervention signé trop tard par l'école",
            ),
            A(
                "Plage de soirée le mercredi pour les rendez-vous infirmiers",
                ("jef-famille", 7),
                -3,
                60,
                problem="Rendez-vous infirmiers impossibles le soir",
                priority=ACCESS,
            ),
        ),
        recognitions=(
            R(
                "Merci à {0} et {1} pour les résumés d'histoire familiale : trois familles nous "
                "ont dit ne plus avoir à tout répéter.",
                (("jef-famille", 5), ("jef-famille", 1)),
                COORDINATOR_JIMMY,
                -10,
                action="Résumé de l'histoire familiale écrit avec la famille",
            ),
        ),
        kata=K(
            "Une seule équipe accompagne la famille du signalement à la fin des services",
            "En octobre, 58 % des familles ont eu un seul intervenant principal ; 1,4 transfert "
            "par épisode en moyenne.",
            "D'ici le 31 janvier : 70 % des familles avec un seul intervenant principal, et "
            "aucune famille qui raconte son histoire deux fois.",
            (
                "Les dossiers arrivent de la DPJ sans résumé utilisable",
                "L'intervenant principal change pendant les congés et les réaffectations",
                "L'école et le CISSS tiennent deux plans d'intervention",
            ),
            COORDINATOR_JIMMY,
            -70,
            (
                X(
                    -63,
                    "Rencontre à trois (famille, intervenant DPJ, intervenant Jimmy) avant le "
                    "transfert",
                    "La famille n'a pas à raconter son histoire à la première rencontre",
                    "4 familles sur 5 : l'intervenant Jimmy connaissait déjà la situation ; une "
                    "rencontre annulée par la DPJ",
                    "Planifier la rencontre dès la décision d'orientation, pas à la fin de la "
                    "mesure",
                ),
                X(
                    -42,
                    "Résumé d'une page de l'histoire familiale, écrit avec la famille",
                    "Un seul document lu par tous les intervenants ; moins de questions répétées",
                    "Les familles ont corrigé 3 résumés sur 6 : des faits importants manquaient "
                    "au dossier",
                    "Écrire le résumé avec la famille, pas pour elle",
                ),
                X(
                    -21,
                    "Pendant les congés, un collègue déjà présenté à la famille remplace "
                    "l'intervenant principal",
                    "Aucun intervenant inconnu pour les familles pendant les fêtes",
                    "En cours : 14 familles ont un deuxième intervenant présenté",
                ),
            ),
        ),
    ),
    "jef-0-5": Board(
        problems=(
            P(
                "Familles revenues de la DPJ vers une autre équipe que la leur",
                ACTION,
                ("jef-0-5", 3),
                -45,
                "Après un suivi en protection, la famille est confiée à la première équipe "
                "disponible plutôt qu'à celle qui la connaît.",
                indicator="continuite-equipe",
                priority=CONTINUITY,
            ),
            P(
                "Suivi postnatal et suivi psychosocial faits par deux équipes",
                ANALYSING,
                ("jef-0-5", 6),
                -20,
                indicator="continuite-equipe",
                priority=CONTINUITY,
            ),
            P(
                "Places réservées en CPE introuvables",
                NEW,
                ("jef-0-5", 8),
                -6,
            ),
            P(
                "Rappels de vaccination oubliés",
                SOLVED,
                ("jef-0-5", 5),
                -100,
                priority=ACCESS,
                solved=-55,
            ),
        ),
        actions=(
            A(
                "Retour de la famille à son équipe d'origine après la DPJ",
                ("jef-0-5", 0),
                -45,
                -12,
                DOING,
                problem="Familles revenues de la DPJ vers une autre équipe que la leur",
                indicator="continuite-equipe",
                priority=CONTINUITY,
            ),
            A(
                "Visite postnatale conjointe infirmière et travailleuse sociale",
                ("jef-0-5", 5),
                -20,
                56,
                problem="Suivi postnatal et suivi psychosocial faits par deux équipes",
                indicator="continuite-equipe",
                priority=CONTINUITY,
            ),
            A(
                "Liste des places réservées tenue à jour avec le CPE",
                ("jef-0-5", 8),
                -6,
                88,
                problem="Places réservées en CPE introuvables",
            ),
            A(
                "Rappel de vaccination par texto",
                ("jef-0-5", 6),
                -90,
                -60,
                DONE,
                problem="Rappels de vaccination oubliés",
                priority=ACCESS,
                done=-56,
            ),
        ),
        recognitions=(
            R(
                "Merci à {0} pour les rappels de vaccination par texto : plus aucun rendez-vous "
                "manqué en octobre.",
                (("jef-0-5", 6),),
                ("jef-0-5", 0),
                -40,
                action="Rappel de vaccination par texto",
            ),
        ),
        kata=K(
            "Chaque famille 0-5 ans suivie par une seule équipe, de la grossesse à l'école",
            "Continuité autour de 68 % : le processus actuel ne peut pas atteindre la cible "
            "de 80 %.",
            "75 % d'ici le 31 mars.",
            (
                "Retour des familles après la DPJ vers la première équipe disponible",
                "Suivi postnatal et suivi psychosocial séparés",
            ),
            ("jef-0-5", 0),
            -60,
            (
                X(
                    -56,
                    "Réserver une place dans l'équipe d'origine pour chaque famille suivie en DPJ",
                    "La famille revient à l'équipe qui la connaît",
                    "3 retours sur 5 ; deux familles réorientées faute de place",
                    "La place doit être gardée jusqu'à la fin de la mesure, pas 30 jours",
                ),
                X(
                    -20,
                    "Visite postnatale conjointe pour les nouvelles familles",
                    "Une seule équipe dès la naissance",
                    "En cours : 6 visites conjointes",
                ),
            ),
        ),
    ),
    "readaptation": Board(
        problems=(
            P(
                "Plan de services non transmis à l'équipe de suivi au congé",
                ACTION,
                ("readaptation", 8),
                -30,
                indicator="transitions-episode",
                priority=CONTINUITY,
            ),
            P(
                "Délai avant la première intervention en externe",
                ANALYSING,
                ("readaptation", 9),
                -17,
                indicator="delai-premier-service",
                priority=ACCESS,
            ),
            P(
                "Formation Oméga à renouveler pour quatre éducateurs",
                NEW,
                ("readaptation", 7),
                -8,
                priority=WELL_BEING,
            ),
            P(
                "Éclosion de grippe : quarts non couverts",
                SOLVED,
                HEAD_READAPTATION,
                -306,
                indicator="taux-absence",
                priority=WELL_BEING,
                solved=-270,
            ),
        ),
        actions=(
            A(
                "Fiche de congé transmise à l'intervenant de suivi 48 h avant",
                ("readaptation", 8),
                -30,
                46,
                DOING,
                problem="Plan de services non transmis à l'équipe de suivi au congé",
                indicator="transitions-episode",
                priority=CONTINUITY,
            ),
            A(
                "Liste d'attente en externe revue chaque lundi",
                ("readaptation", 9),
                -17,
                -9,
                problem="Délai avant la première intervention en externe",
                indicator="delai-premier-service",
                priority=ACCESS,
            ),
            A(
                "Inscrire quatre éducateurs à la session Oméga de février",
                HEAD_READAPTATION,
                -8,
                60,
                problem="Formation Oméga à renouveler pour quatre éducateurs",
                priority=WELL_BEING,
            ),
            A(
                "Liste de rappel élargie aux éducateurs de la première ligne",
                HEAD_READAPTATION,
                -305,
                -300,
                DONE,
                problem="Éclosion de grippe : quarts non couverts",
                indicator="taux-absence",
                priority=WELL_BEING,
                done=-298,
            ),
        ),
        recognitions=(
            R(
                "Merci à {0}, {1} et {2} d'avoir fait des quarts doubles pendant l'éclosion de "
                "grippe.",
                (("readaptation", 2), ("readaptation", 6), ("readaptation", 7)),
                HEAD_READAPTATION,
                -300,
            ),
            R(
                "Merci à {0} pour la fiche de congé : les équipes de suivi la reçoivent avant "
                "le départ du jeune.",
                (("readaptation", 8),),
                HEAD_READAPTATION,
                -5,
            ),
        ),
    ),
    "liaison": Board(
        problems=(
            P(
                RECORD_ACCESS,
                ANALYSING,
                ("liaison", 1),
                -63,
                "Les agents de liaison ne voient pas le plan d'intervention des élèves suivis ; "
                "ils l'apprennent par les parents.",
                priority=CONTINUITY,
            ),
            P(
                "Consentements à l'échange d'information signés en double",
                ACTION,
                ("liaison", 2),
                -25,
                priority=CONTINUITY,
            ),
            P(
                "Élèves suivis absents plus de 10 jours sans que l'équipe le sache",
                ANALYSING,
                ("liaison", 3),
                -12,
                priority=ACCESS,
            ),
            P(
                "Journées pédagogiques inconnues des intervenants du CISSS",
                SOLVED,
                ("liaison", 4),
                -20,
                solved=-3,
            ),
        ),
        actions=(
            A(
                "Formulaire unique de consentement CISSS-CSS",
                ("liaison", 2),
                -25,
                -5,
                DOING,
                problem="Consentements à l'échange d'information signés en double",
                priority=CONTINUITY,
            ),
            A(
                "Alerte d'absence prolongée à l'intervenant de la famille",
                ("liaison", 3),
                -12,
                67,
                problem="Élèves suivis absents plus de 10 jours sans que l'équipe le sache",
                priority=ACCESS,
            ),
            A(
                "Calendrier scolaire 2026-2027 transmis aux équipes du CISSS",
                ("liaison", 4),
                -20,
                -2,
                DONE,
                problem="Journées pédagogiques inconnues des intervenants du CISSS",
                done=-3,
            ),
        ),
        recognitions=(
            R(
                "Merci à {0} pour la présentation du rôle de la liaison aux équipes de la DPJ.",
                (("liaison", 5),),
                HEAD_LIAISON,
                -15,
            ),
        ),
    ),
    TRAJECTORY: Board(
        problems=(
            P(
                "Chaque équipe refait sa propre évaluation du milieu familial",
                ANALYSING,
                HEAD_EO,
                -40,
                "L'É-O, l'AM et l'équipe Jimmy évaluent chacune la même famille avec leurs "
                "propres outils.",
                indicator="continuite-equipe",
                priority=CONTINUITY,
            ),
            P(
                "Jeunes 13-17 ans gardés en suivi DPJ faute de place en première ligne",
                NEW,
                HEAD_AM,
                -8,
                "Les dossiers qui pourraient passer à la JEF restent à l'AM et alourdissent la "
                "charge de l'équipe 13-17 ans.",
                indicator="heures-sup-etp",
                priority=WELL_BEING,
            ),
            P(
                "L'information de l'école arrive après la décision d'orientation",
                ACTION,
                HEAD_LIAISON,
                -30,
                priority=ACCESS,
            ),
            P(
                "Vocabulaire différent d'une équipe à l'autre pour les mêmes étapes",
                SOLVED,
                ("jef-famille", 8),
                -120,
                solved=-60,
            ),
        ),
        actions=(
            A(
                "Évaluation commune É-O, AM et équipe Jimmy : essai sur 10 familles",
                HEAD_EO,
                -40,
                75,
                DOING,
                problem="Chaque équipe refait sa propre évaluation du milieu familial",
                indicator="continuite-equipe",
                priority=CONTINUITY,
            ),
            A(
                "Avis de la liaison scolaire demandé avant chaque orientation",
                ("liaison", 1),
                -30,
                -14,
                DOING,
                problem="L'information de l'école arrive après la décision d'orientation",
                priority=ACCESS,
            ),
            A(
                "Carte de la trajectoire avec le délai de chaque étape",
                HEAD_RTS,
                -20,
                102,
                priority=ACCESS,
            ),
            A(
                "Lexique commun de la trajectoire affiché dans chaque salle",
                COORDINATOR_JIMMY,
                -110,
                -65,
                DONE,
                problem="Vocabulaire différent d'une équipe à l'autre pour les mêmes étapes",
                done=-62,
            ),
        ),
        recognitions=(
            R(
                "Merci à {0} pour le lexique commun de la trajectoire, maintenant affiché dans "
                "chaque salle.",
                (COORDINATOR_JIMMY,),
                HEAD_EO,
                -60,
                action="Lexique commun de la trajectoire affiché dans chaque salle",
            ),
        ),
    ),
}


# ---------------------------------------------------------------------------------------------
# Escalations


@dataclass(frozen=True)
class Hop:
    """One step up (or across): to which room, sent by whom, when, why."""

    to: str  # room code
    by: Who
    day: int
    reason: str


@dataclass(frozen=True)
class EscalationSpec:
    room: str  # the room the problem is on
    problem: str  # its title
    hops: tuple[Hop, ...]
    decision: str = ""  # taken by the last room reached; "" while awaited
    text: str = ""
    decided_by: Who | None = None
    decided: int = 0
    #: Acknowledgements from the top down: the room that sent the last hop first.
    acknowledged: tuple[tuple[Who, int], ...] = ()
    meetings_without_decision: int = 0


#: Sent after the sending room's meeting, decided at the receiving room's, acknowledged later.
SENT_HOUR, DECIDED_HOUR, ACKNOWLEDGED_HOUR = 11, 10, 15

ESCALATIONS = [
    # The full loop: a team to the tactical room, to the strategic room, and back.
    EscalationSpec(
        "salle-eo",
        EVALUATION_WAIT,
        (
            Hop(
                "salle-dpj",
                HEAD_EO,
                -69,  # 2026-09-08
                "Deux postes vacants depuis le printemps : sans eux, le délai d'évaluation "
                "remonte vers la norme de 12 jours. Combler ces postes dépasse notre autorité.",
            ),
            Hop(
                "salle-jimmy",
                DIRECTOR_DPJ,
                -62,  # 2026-09-15
                "Postes non prévus au budget de la direction : il faut un financement du comité.",
            ),
        ),
        DecisionKind.SOLVED,
        "Deux postes d'agent de relations humaines financés dès novembre",
        EXECUTIVE,
        -41,  # 2026-10-06
        ((DIRECTOR_DPJ, -40), (HEAD_EO, -38)),  # 2026-10-07, 2026-10-09
    ),
    # Awaiting a decision at the youth-protection directorate for three weeks.
    EscalationSpec(
        "salle-rts",
        EVENING_REPORTS,
        (
            Hop(
                "salle-dpj",
                HEAD_RTS,
                -21,  # 2026-10-26
                "Une garde de soir à la réception touche les horaires et la convention "
                "collective : décision de la direction requise.",
            ),
        ),
        meetings_without_decision=2,
    ),
    # Decided by the directorate, waiting for the protection follow-up service to acknowledge.
    EscalationSpec(
        "salle-am",
        VACANT_POSTS,
        (
            Hop(
                "salle-dpj",
                HEAD_AM,
                -18,
                "L'affichage des postes relève de la direction ; les heures supplémentaires "
                "augmentent chaque semaine depuis septembre.",
            ),
        ),
        DecisionKind.SOLVED,
        "Affichage accéléré des deux postes (fin le 27 novembre) ; d'ici là, deux agents de la "
        "liste de rappel affectés à l'équipe 13-17 ans.",
        DIRECTOR_DPJ,
        -6,
    ),
    # Refused, with the reason, and acknowledged.
    EscalationSpec(
        "salle-liaison",
        RECORD_ACCESS,
        (
            Hop(
                "salle-djf",
                HEAD_LIAISON,
                -56,
                "Donner aux agents de liaison un accès en lecture au plan d'intervention des "
                "élèves suivis.",
            ),
        ),
        DecisionKind.REFUSED,
        "Refusé : les agents de liaison sont employés du centre de services scolaire, et le "
        "dossier de l'usager du CISSS ne peut leur être ouvert. Utiliser le consentement écrit "
        "des parents à l'échange d'information (formulaire commun en préparation).",
        DIRECTOR_DJF,
        -48,
        ((HEAD_LIAISON, -46),),
    ),
    # Between teams: across to the trajectory room.
    EscalationSpec(
        "salle-jef-famille",
        TRANSFER_GAP,
        (
            Hop(
                TRAJECTORY,
                COORDINATOR_JIMMY,
                -12,
                "Le passage de l'AM à l'équipe Jimmy se joue entre deux directions : il faut "
                "convenir ensemble d'une date de transfert avant la fin de la mesure.",
            ),
        ),
    ),
]


# ---------------------------------------------------------------------------------------------
# Building


def put(model: type[Model], lookup: dict[str, Any], values: dict[str, Any]) -> Any:
    """Create the row, or set back the fields that differ from `values` (foreign keys as
    `<name>_id`); a row already right is not written. A card set back moves to a new version,
    so an edit started from the old one is refused."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        if "updated_at" in values:  # auto_now on create; the demo's history has its own date
            model.objects.filter(pk=obj.pk).update(updated_at=values["updated_at"])
            obj.updated_at = values["updated_at"]
        return obj
    changed = {name: v for name, v in values.items() if getattr(obj, name) != v}
    if changed:
        extra = {"version": F("version") + 1} if hasattr(obj, "version") else {}
        model.objects.filter(pk=obj.pk).update(**changed, **extra)
        obj.refresh_from_db()
    return obj


class People:
    """The demo's people by (unit, rank), and who is a member of which room."""

    def __init__(self) -> None:
        by_unit: dict[str, list[str]] = defaultdict(list)
        for p in demo_people():
            by_unit[p.unit].append(p.username)
        persons = {
            p.user.username: p
            for p in Person.objects.select_related("user").filter(
                user__username__in=[u for names in by_unit.values() for u in names]
            )
        }
        self._by_unit = by_unit
        self._persons = persons

    def __call__(self, who: Who) -> Person:
        unit, rank = who
        try:
            return self._persons[self._by_unit[unit][rank]]
        except (KeyError, IndexError):
            raise RuntimeError(f"Load the demo organisation first (no person {who}).") from None

    def user(self, who: Who) -> Any:
        return self(who).user

    @staticmethod
    def members(room: Room) -> set[int]:
        """Ids of the people who are members of the room on the demo's day."""
        tops = list(room.member_units.all()) if room.kind == RoomKind.TRAJECTORY else [room.unit]
        ids: set[int] = set()
        for unit in tops:
            ids.update(
                Membership.objects.current(TODAY)
                .filter(unit__path__startswith=unit.path)
                .values_list("person_id", flat=True)
            )
        return ids


def _templates() -> dict[str, RoomTemplate]:
    templates = {}
    for spec in TEMPLATES:
        templates[spec.code] = put(
            RoomTemplate,
            {"code": spec.code},
            {
                "name_fr": spec.name_fr,
                "name_en": spec.name_en,
                "level": spec.level,
                "zones": [{"zone": str(zone), "limit": limit} for zone, limit in spec.zones],
                "cadence": spec.cadence,
                "time_box_minutes": spec.minutes,
            },
        )
    return templates


def _room_values(template: RoomTemplate, name_fr: str, name_en: str) -> dict[str, Any]:
    return {
        "name_fr": name_fr,
        "name_en": name_en,
        "template_id": template.pk,
        "zones": template.zones,
        "cadence": template.cadence,
        "time_box_minutes": template.time_box_minutes,
    }


def _rooms(templates: dict[str, RoomTemplate]) -> dict[str, Room]:
    """One room per unit (found by its unit, the natural key of a unit room) and the
    trajectory room, keyed by room code."""
    rooms = {}
    for unit in Unit.objects.order_by("path"):
        template = templates[unit.level]
        values = _room_values(
            template,
            f"{template.name_fr} — {unit.name_fr}",
            f"{template.name_en} — {unit.name_en}",
        )
        room = put(
            Room,
            {"kind": RoomKind.UNIT, "unit_id": unit.pk},
            {"code": f"salle-{unit.code}", **values},
        )
        rooms[room.code] = room
    anchor = Unit.objects.get(code="jimmy")
    rooms[TRAJECTORY] = put(
        Room,
        {"code": TRAJECTORY},
        {
            "kind": RoomKind.TRAJECTORY,
            "unit_id": anchor.pk,
            **_room_values(
                templates["trajectory"],
                "Trajectoire jeunes en difficulté et leur famille",
                "Trajectory: children in vulnerable situations and their families",
            ),
        },
    )
    members = list(Unit.objects.filter(code__in=TRAJECTORY_UNITS))
    rooms[TRAJECTORY].member_units.set(members)  # writes only what differs
    return rooms


def _board(room: Room, board: Board, people: People, refs: dict[str, dict[str, int]]) -> None:
    members = people.members(room)

    def member(who: Who) -> Person:
        person = people(who)
        if person.pk not in members:
            raise RuntimeError(f"{person} is not a member of {room.code}.")
        return person

    indicators, priorities = refs["indicators"], refs["priorities"]
    problems: dict[str, int] = {}
    for p in board.problems:
        solved_at = _at(p.solved, 16) if p.solved is not None else None
        problems[p.title] = put(
            Problem,
            {"room_id": room.pk, "title": p.title},
            {
                "description": p.description,
                "status": p.status,
                "indicator_id": indicators[p.indicator] if p.indicator else None,
                "priority_id": priorities[p.priority] if p.priority else None,
                "created_by_id": member(p.by).user_id,
                "created_at": _at(p.raised, 8, 45),
                "updated_at": solved_at or _at(p.raised, 8, 45),
                "solved_at": solved_at,
            },
        ).pk
    actions: dict[str, int] = {}
    for a in board.actions:
        done_at = _at(a.done, 16) if a.done is not None else None
        owner = member(a.owner)
        actions[a.title] = put(
            Action,
            {"room_id": room.pk, "title": a.title},
            {
                "owner_id": owner.pk,
                "due": _day(a.due),
                "status": a.status,
                "problem_id": problems[a.problem] if a.problem else None,
                "indicator_id": indicators[a.indicator] if a.indicator else None,
                "priority_id": priorities[a.priority] if a.priority else None,
                "created_by_id": owner.user_id,
                "created_at": _at(a.since, 9),
                "updated_at": done_at or _at(a.since, 9),
                "done_at": done_at,
            },
        ).pk
    for r in board.recognitions:
        named = [member(who) for who in r.people]
        recognition = put(
            Recognition,
            {"room_id": room.pk, "text": r.text.format(*(p.full_name for p in named))},
            {
                "given_by_id": member(r.by).user_id,
                "given_at": _at(r.day, 9, 15),
                "action_id": actions[r.action] if r.action else None,
            },
        )
        if set(recognition.people.values_list("pk", flat=True)) != {p.pk for p in named}:
            recognition.people.set(named)
    if board.kata:
        _kata(room, board.kata, member, priorities)


def _kata(room: Room, k: K, member: Any, priorities: dict[str, int]) -> None:
    kata = put(
        Kata,
        {"room_id": room.pk},
        {
            "target_state": k.target_state,
            "current_condition": k.current_condition,
            "next_target": k.next_target,
            "obstacles": "\n".join(k.obstacles),
            "priority_id": priorities[k.priority],
            "created_by_id": member(k.by).user_id,
            "created_at": _at(k.since, 8, 30),
            "updated_at": _at(max(x.day for x in k.experiments), 8, 30),
        },
    )
    for x in k.experiments:
        put(
            Experiment,
            {"kata_id": kata.pk, "step": x.step},
            {
                "date": _day(x.day),
                "expected": x.expected,
                "result": x.result,
                "learning": x.learning,
            },
        )


def _escalate(spec: EscalationSpec, rooms: dict[str, Room], people: People) -> None:
    """Play the escalation with the real operations and people, then date each step. One
    already there (same rooms and subject) is left as it is."""
    origin = rooms[spec.room]
    first = rooms[spec.hops[0].to]
    if Escalation.objects.filter(from_room=origin, to_room=first, title=spec.problem).exists():
        return
    problem = Problem.objects.get(room=origin, title=spec.problem)
    chain: list[Escalation] = []
    for hop in spec.hops:
        escalation = do_escalate(
            problem,
            rooms[hop.to],
            hop.reason,
            user=people.user(hop.by),
            parent=chain[-1] if chain else None,
        )
        Escalation.objects.filter(pk=escalation.pk).update(sent_at=_at(hop.day, SENT_HOUR))
        chain.append(escalation)
    if spec.decision:
        assert spec.decided_by is not None
        do_decide(chain[-1], spec.decision, spec.text, user=people.user(spec.decided_by))
        Escalation.objects.filter(pk=chain[-1].pk).update(
            decided_at=_at(spec.decided, DECIDED_HOUR)
        )
    for escalation, (who, day) in zip(reversed(chain), spec.acknowledged, strict=False):
        # Acknowledging relays the decision (with its date) to the escalation below.
        do_acknowledge(escalation, user=people.user(who))
        Escalation.objects.filter(pk=escalation.pk).update(
            acknowledged_at=_at(day, ACKNOWLEDGED_HOUR)
        )
    if spec.meetings_without_decision:
        Escalation.objects.filter(pk=chain[-1].pk).update(
            meetings_without_decision=spec.meetings_without_decision
        )


@transaction.atomic
def build_rooms() -> dict[str, int]:
    """Create or update the demo's room templates, rooms, boards and escalations (the
    organisation and the indicators must exist: see `build_organisation` and
    `build_indicators`); return how many of each there are."""
    refs = {
        "indicators": dict(Indicator.objects.values_list("code", "pk")),
        "priorities": dict(Priority.objects.values_list("code", "pk")),
    }
    if not {ACCESS, CONTINUITY, WELL_BEING} <= set(refs["priorities"]):
        raise RuntimeError("Load the demo indicators first (build_indicators).")
    people = People()
    rooms = _rooms(_templates())
    for code, board in BOARDS.items():
        room = rooms[code if code == TRAJECTORY else f"salle-{code}"]
        _board(room, board, people, refs)
    for spec in ESCALATIONS:
        _escalate(spec, rooms, people)
    # The operations moved the escalated problems along (status, solved date); their final
    # state is the one written on the boards above, dates included.
    for spec in ESCALATIONS:
        code = spec.room.removeprefix("salle-")
        _board(rooms[spec.room], _only(BOARDS[code], spec.problem), people, refs)
    return {
        "room templates": RoomTemplate.objects.count(),
        "rooms": Room.objects.count(),
        "problems": Problem.objects.count(),
        "actions": Action.objects.count(),
        "escalations": Escalation.objects.count(),
        "recognitions": Recognition.objects.count(),
        "katas": Kata.objects.count(),
        "experiments": Experiment.objects.count(),
    }


def _only(board: Board, title: str) -> Board:
    return Board(problems=tuple(p for p in board.problems if p.title == title))
