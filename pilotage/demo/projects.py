"""The demo's projects: five Jimmy integration initiatives, each reviewed in a room's
status-sheet meetings, with six to twelve monthly status sheets up to November 2026.

The portfolio is mostly structural and short-term (seed 004's finding), with one relational,
long-term project (co-development among managers). Leadership is distributed: two projects are
owned by staff members, and the sheets are presented by staff as often as by their heads.

Two stories to show:

- "Réduire le délai d'évaluation à 12 jours" went red in June 2026 (results and resources), asked
  for help: a problem "Aide requise : ..." on the evaluation-orientation board, escalated with
  the real operations to the youth-protection directorate, decided by its director (workers lent
  by protection follow-up), acknowledged by the owner; yellow in July and August, green from
  September, with the decisions recorded on the sheets.
- A watermelon: "Charge de travail et horaires des équipes de suivi" is green in November while
  its indicator, overtime per FTE in the 13-17 team, has risen for ten weeks.

Everything is keyed by codes, titles and periods: running `build_projects()` again creates
nothing and changes nothing.
"""

import datetime
import statistics
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from pilotage.demo.rooms import (
    ADVISOR,
    ADVISOR_2,
    COORDINATOR_JIMMY,
    DIRECTOR_DJF,
    DIRECTOR_DPJ,
    EVALUATION_WAIT,
    EXECUTIVE,
    HEAD_AM,
    HEAD_EO,
    HEAD_JEF,
    HEAD_LIAISON,
    HEAD_READAPTATION,
    HEAD_RTS,
    RESEARCHER,
    TODAY,
    TRAJECTORY,
    People,
    Who,
    put,
)
from pilotage.indicators.models import Indicator, Priority, Value
from pilotage.organisation.models import Unit
from pilotage.projects.models import (
    DIMENSIONS,
    RAG,
    Approach,
    Horizon,
    Milestone,
    Project,
    ProjectIndicator,
    SheetComment,
    SheetDecision,
    StatusChange,
    StatusSheet,
    Theme,
)
from pilotage.rooms.actions import do_acknowledge, do_decide, do_escalate
from pilotage.rooms.models import (
    Action,
    ActionStatus,
    DecisionKind,
    Escalation,
    Problem,
    ProblemStatus,
    Room,
)

D = datetime.date
TODO, DOING, DONE = ActionStatus.TODO, ActionStatus.DOING, ActionStatus.DONE
#: Letters of the statuses written on the sheets below: overall, then the five dimensions.
LETTERS = {"G": RAG.GREEN, "Y": RAG.YELLOW, "R": RAG.RED, "-": RAG.GREY}

# Staff members who own or present (see STAFFING in organisation.py).
EO_AGENT, EO_SOCIAL, EO_AGENT_2 = ("eo", 1), ("eo", 8), ("eo", 3)
RTS_AGENT, RTS_TECH = ("rts", 1), ("rts", 6)
JIMMY_WORKER, JIMMY_PSYCHOED, JIMMY_LIAISON = (
    ("jef-famille", 1),
    ("jef-famille", 5),
    (
        "jef-famille",
        8,
    ),
)
AM_EDUCATOR, AM_AGENT = ("am-13-17", 5), ("am-0-12", 0)
LIAISON_AGENT = ("liaison", 1)

#: The help asked for by the evaluation-delay project, and the answer of the directorate.
HELP_PROBLEM = "Aide requise : délai d'évaluation, deux postes vacants et l'été"
HELP_DECISION = (
    "Deux intervenants prêtés par l'équipe AM pendant 3 mois ; priorisation des signalements "
    "de code 1"
)


@dataclass(frozen=True)
class Sheet:
    """One month's sheet: statuses as six letters (overall, scope, schedule, results,
    resources, risks), who presents it, what it says."""

    month: str  # "2026-06"
    statuses: str
    presenter: Who
    achievements: str
    owner: Who | None = None  # the project's owner when None
    recovery_plan: str = ""
    help_needed: str = ""
    decisions_requested: str = ""
    next_steps: tuple[str, ...] = ()  # titles of actions of the project's actions
    blockers: tuple[str, ...] = ()  # titles of problems (of the project, or of a room's board)
    decisions: tuple[tuple[str, Who, int], ...] = ()  # text, by, days after publication
    comments: tuple[tuple[Who, str, tuple[tuple[Who, str], ...]], ...] = ()


@dataclass(frozen=True)
class Spec:
    code: str
    name: str
    objective: str
    expected_results: str
    room: str
    owner: Who
    sponsor: Who
    members: tuple[Who, ...]
    priority: str | None
    theme: str
    horizon: str
    approach: str
    start: datetime.date
    end: datetime.date | None
    indicators: tuple[tuple[str, str, float], ...]  # indicator, unit, project target
    milestones: tuple[tuple[str, datetime.date, datetime.date | None], ...]
    #: Problems on a board: room, title, by, raised, status, solved on.
    problems: tuple[tuple[str, str, Who, datetime.date, str, datetime.date | None], ...]
    #: Actions of the project's room: title, owner, since, due, status, done on.
    actions: tuple[tuple[str, Who, datetime.date, datetime.date, str, datetime.date | None], ...]
    sheets: tuple[Sheet, ...]


FAMILY = Spec(
    code="jimmy-une-equipe-famille",
    name="Une équipe pour la famille (Jimmy)",
    objective=(
        "Qu'une seule équipe accompagne la famille du signalement retenu jusqu'à la fin des "
        "services, sans transfert entre la DPJ et la première ligne, puis étendre le modèle aux "
        "familles suivies par l'équipe petite enfance."
    ),
    expected_results=(
        "Continuité dans la même équipe d'au moins 95 % à l'équipe Jimmy et de 75 % à l'équipe "
        "0-5 ans ; au plus 0,3 transfert par épisode de service ; premier service en 10 jours."
    ),
    room="salle-djf",
    owner=COORDINATOR_JIMMY,
    sponsor=DIRECTOR_DJF,
    members=(HEAD_JEF, JIMMY_WORKER, JIMMY_PSYCHOED, JIMMY_LIAISON, HEAD_READAPTATION),
    priority="jimmy-continuite",
    theme=Theme.STRUCTURE,
    horizon=Horizon.SHORT,
    approach=Approach.STRUCTURAL,
    start=D(2025, 9, 15),
    end=D(2026, 12, 18),
    indicators=(
        ("continuite-equipe", "jef-famille", 95.0),
        ("transitions-episode", "jef-famille", 0.3),
        ("delai-premier-service", "jef-famille", 10.0),
        ("continuite-equipe", "jef-0-5", 75.0),
    ),
    milestones=(
        ("Équipe Jimmy constituée, de l'évaluation aux services", D(2025, 9, 15), D(2025, 9, 15)),
        ("Protocole de transfert AM vers l'équipe Jimmy signé", D(2026, 3, 31), D(2026, 4, 14)),
        ("Élargissement aux familles de l'équipe 0-5 ans", D(2026, 12, 15), None),
    ),
    problems=(
        (
            "salle-djf",
            "Continuité 0-5 ans : les transferts vers la réadaptation persistent",
            HEAD_JEF,
            D(2026, 4, 20),
            ProblemStatus.ANALYSING,
            None,
        ),
    ),
    actions=(
        (
            "Cartographier les transferts de l'équipe 0-5 ans",
            HEAD_JEF,
            D(2026, 4, 22),
            D(2026, 6, 12),
            DONE,
            D(2026, 6, 10),
        ),
        (
            "Former l'équipe 0-5 ans au modèle Jimmy",
            JIMMY_PSYCHOED,
            D(2026, 9, 8),
            D(2027, 1, 29),
            DOING,
            None,
        ),
    ),
    sheets=(
        Sheet(
            "2025-12",
            "GGGGGG",
            HEAD_JEF,
            "Trois mois d'équipe unique : 41 familles suivies sans transfert.",
            owner=HEAD_JEF,
        ),
        Sheet(
            "2026-01",
            "GGGGYG",
            COORDINATOR_JIMMY,
            "Tableau de bord de l'équipe en place au caucus ; une infirmière en congé.",
            owner=HEAD_JEF,
        ),
        Sheet(
            "2026-02",
            "GGGGGG",
            JIMMY_WORKER,
            "Retour de l'infirmière ; premier bilan avec les familles.",
            owner=HEAD_JEF,
        ),
        Sheet(
            "2026-03",
            "YGYGGY",
            HEAD_JEF,
            "Protocole de transfert AM en relecture juridique.",
            owner=HEAD_JEF,
            decisions_requested="Signature du protocole par les deux directions.",
            decisions=(
                ("Protocole signé par les deux directions d'ici le 15 avril", DIRECTOR_DJF, 6),
            ),
        ),
        Sheet(
            "2026-04",
            "YGGYGY",
            COORDINATOR_JIMMY,
            "Protocole signé le 14 avril.",
            blockers=("Continuité 0-5 ans : les transferts vers la réadaptation persistent",),
            comments=(
                (
                    DIRECTOR_DJF,
                    "Pourquoi les résultats passent-ils au jaune ?",
                    (
                        (
                            COORDINATOR_JIMMY,
                            "L'équipe Jimmy tient ; c'est la continuité à "
                            "l'équipe 0-5 ans qui reste sous 65 %.",
                        ),
                    ),
                ),
            ),
        ),
        Sheet(
            "2026-05",
            "YGGYGY",
            JIMMY_PSYCHOED,
            "Analyse des transferts 0-5 ans commencée.",
            next_steps=("Cartographier les transferts de l'équipe 0-5 ans",),
        ),
        Sheet(
            "2026-06",
            "YGGYGG",
            COORDINATOR_JIMMY,
            "Carte des transferts 0-5 ans : trois passages sur quatre vers la réadaptation.",
        ),
        Sheet(
            "2026-07",
            "GGGYGG",
            JIMMY_LIAISON,
            "Été : la liaison scolaire relaie les familles pendant les vacances.",
        ),
        Sheet(
            "2026-08",
            "GGGYGG",
            JIMMY_WORKER,
            "Plan d'élargissement aux familles 0-5 ans présenté à la direction.",
        ),
        Sheet(
            "2026-09",
            "GGGYGY",
            COORDINATOR_JIMMY,
            "Formation de l'équipe 0-5 ans planifiée.",
            next_steps=("Former l'équipe 0-5 ans au modèle Jimmy",),
            decisions=(
                ("Élargissement aux familles 0-5 ans approuvé pour décembre", DIRECTOR_DJF, 7),
            ),
        ),
        Sheet(
            "2026-10",
            "GGGYGG",
            JIMMY_PSYCHOED,
            "Deux cohortes formées sur quatre.",
            next_steps=("Former l'équipe 0-5 ans au modèle Jimmy",),
        ),
        Sheet(
            "2026-11",
            "GGGYGG",
            COORDINATOR_JIMMY,
            "Continuité à l'équipe Jimmy stable au-dessus de 90 % ; 0-5 ans encore sous la cible.",
            next_steps=("Former l'équipe 0-5 ans au modèle Jimmy",),
            comments=(
                (
                    ADVISOR_2,
                    "La continuité 0-5 ans est sous la cible depuis deux ans : "
                    "le résultat reste jaune tant que le processus ne change pas.",
                    ((HEAD_JEF, "D'accord ; l'élargissement de décembre est ce changement."),),
                ),
            ),
        ),
    ),
)

DELAY = Spec(
    code="delai-evaluation-12-jours",
    name="Réduire le délai d'évaluation à 12 jours",
    objective=(
        "Que chaque enfant dont le signalement est retenu soit rencontré dans les 12 jours "
        "(norme québécoise), toute l'année, vacances comprises."
    ),
    expected_results=(
        "Délai moyen d'au plus 8 jours et 90 % des évaluations débutées dans les 12 jours à "
        "l'évaluation-orientation ; aucune semaine au-dessus de la norme."
    ),
    room="salle-dpj",
    owner=HEAD_EO,
    sponsor=DIRECTOR_DPJ,
    members=(EO_AGENT, EO_SOCIAL, EO_AGENT_2, ADVISOR, HEAD_AM),
    priority="jimmy-acces",
    theme=Theme.STRATEGY,
    horizon=Horizon.SHORT,
    approach=Approach.STRUCTURAL,
    start=D(2025, 9, 15),
    end=D(2026, 12, 31),
    indicators=(
        ("delai-evaluation", "eo", 8.0),
        ("evaluations-12-jours", "eo", 90.0),
        ("liste-attente", "eo", 20.0),
    ),
    milestones=(
        ("Tri quotidien des signalements retenus", D(2025, 10, 31), D(2025, 10, 27)),
        ("Plan de couverture de l'été", D(2026, 6, 15), D(2026, 6, 26)),
        ("Deux postes d'agent de relations humaines comblés", D(2026, 11, 2), D(2026, 11, 9)),
    ),
    problems=(
        (
            "salle-eo",
            HELP_PROBLEM,
            HEAD_EO,
            D(2026, 6, 29),
            ProblemStatus.SOLVED,
            D(2026, 7, 9),
        ),
    ),
    actions=(
        (
            "Accueillir et jumeler les deux intervenants prêtés par l'AM",
            HEAD_EO,
            D(2026, 7, 9),
            D(2026, 7, 17),
            DONE,
            D(2026, 7, 15),
        ),
        (
            "Prioriser les signalements de code 1 au tri du matin",
            EO_AGENT,
            D(2026, 7, 9),
            D(2026, 7, 31),
            DONE,
            D(2026, 7, 24),
        ),
        (
            "Intégrer les deux nouveaux agents de relations humaines",
            HEAD_EO,
            D(2026, 11, 9),
            D(2027, 1, 15),
            DOING,
            None,
        ),
    ),
    sheets=(
        Sheet(
            "2026-01",
            "GGGYGG",
            HEAD_EO,
            "Délai moyen autour de 9 jours depuis la "
            "réorganisation ; 73 % dans les 12 jours la dernière semaine.",
        ),
        Sheet(
            "2026-02",
            "YGGYYG",
            EO_AGENT,
            "Un départ à la retraite ; 68 % dans les 12 jours la semaine du 9 février.",
        ),
        Sheet(
            "2026-03",
            "YGGYYY",
            HEAD_EO,
            "Panne du PIJ : la réception a retenu les "
            "signalements en retard, rattrapés en une semaine.",
        ),
        Sheet(
            "2026-04",
            "YGYYRY",
            EO_SOCIAL,
            "Deux postes vacants depuis avril ; affichage lancé.",
            decisions_requested="Autoriser le temps supplémentaire en mai.",
        ),
        Sheet(
            "2026-05",
            "YGYYRR",
            HEAD_EO,
            "Temps supplémentaire autorisé ; aucun candidat retenu à l'affichage.",
        ),
        Sheet(
            "2026-06",
            "RGYRRR",
            HEAD_EO,
            "Plan de couverture de l'été remis en retard ; la liste d'attente remonte.",
            recovery_plan=(
                "Tri quotidien maintenu ; les évaluations de code 1 d'abord ; rappel des "
                "intervenants à temps partiel volontaires."
            ),
            help_needed=(
                "Deux intervenants pour l'été : avec deux postes vacants et les vacances, "
                "l'équipe ne peut pas tenir la norme de 12 jours."
            ),
            decisions_requested="Prêt d'intervenants d'une autre équipe de la direction.",
            blockers=(HELP_PROBLEM,),
            comments=(
                (
                    DIRECTOR_DPJ,
                    "Combien d'enfants attendent plus de 12 jours aujourd'hui ?",
                    (
                        (HEAD_EO, "Onze, dont deux de code 1."),
                        (EO_AGENT, "Les deux de code 1 sont rencontrés demain matin."),
                    ),
                ),
            ),
        ),
        Sheet(
            "2026-07",
            "YGYYYY",
            EO_AGENT,
            "Deux intervenants de l'AM arrivés le 13 juillet ; code 1 priorisé au tri du matin.",
            recovery_plan="Prêt de l'AM jusqu'au 10 octobre ; affichage des postes relancé.",
            next_steps=(
                "Accueillir et jumeler les deux intervenants prêtés par l'AM",
                "Prioriser les signalements de code 1 au tri du matin",
            ),
            comments=(
                (
                    HEAD_AM,
                    "Mes deux intervenants reviennent le 10 octobre, comme convenu ?",
                    ((HEAD_EO, "Oui ; la relève est prévue avec l'affichage."),),
                ),
            ),
        ),
        Sheet(
            "2026-08",
            "YGGYGY",
            EO_SOCIAL,
            "Liste d'attente redescendue sous 25 enfants.",
            recovery_plan="Prêt de l'AM jusqu'au 10 octobre.",
        ),
        Sheet(
            "2026-09",
            "GGGGGY",
            HEAD_EO,
            "95 % des évaluations dans les 12 jours la semaine du 21 septembre ; rentrée "
            "scolaire absorbée.",
            blockers=(EVALUATION_WAIT,),
            decisions=(
                ("Postes permanents : demande portée au comité de direction", DIRECTOR_DPJ, 6),
            ),
        ),
        Sheet(
            "2026-10",
            "GGGGGY",
            EO_AGENT_2,
            "Deux postes financés par le comité de direction "
            "le 6 octobre ; fin du prêt de l'AM le 10 octobre.",
        ),
        Sheet(
            "2026-11",
            "GGGGGG",
            ADVISOR,
            "Deux agents en poste depuis le 9 novembre ; délai "
            "moyen sous 10 jours depuis quatorze mois.",
            next_steps=("Intégrer les deux nouveaux agents de relations humaines",),
            comments=(
                (
                    EXECUTIVE,
                    "Bravo à l'équipe : à présenter au comité en décembre.",
                    ((HEAD_EO, "Merci ; l'équipe présentera elle-même."),),
                ),
            ),
        ),
    ),
)

ACCESS_POINT = Spec(
    code="guichet-acces-unique",
    name="Guichet d'accès unique jeunesse (accueil partagé)",
    objective=(
        "Une seule porte d'entrée pour les familles et les partenaires : un formulaire commun et "
        "une ligne téléphonique partagés par la réception des signalements et la première ligne."
    ),
    expected_results=(
        "Liste d'attente de la réception sous 20 ; premier service à l'équipe 0-5 ans en 15 "
        "jours ; aucune famille renvoyée d'une porte à l'autre."
    ),
    room=TRAJECTORY,
    owner=RTS_AGENT,
    sponsor=EXECUTIVE,
    members=(RTS_TECH, HEAD_RTS, COORDINATOR_JIMMY, LIAISON_AGENT),
    priority="jimmy-acces",
    theme=Theme.STRUCTURE,
    horizon=Horizon.SHORT,
    approach=Approach.STRUCTURAL,
    start=D(2026, 3, 2),
    end=D(2027, 3, 31),
    indicators=(
        ("liste-attente", "rts", 20.0),
        ("delai-premier-service", "jef-0-5", 15.0),
    ),
    milestones=(
        ("Formulaire commun de demande de services", D(2026, 5, 29), D(2026, 6, 5)),
        ("Ligne téléphonique unique en service", D(2026, 10, 30), None),
        ("Bilan des trois premiers mois", D(2027, 2, 26), None),
    ),
    problems=(
        (
            TRAJECTORY,
            "Ligne unique : le fournisseur de téléphonie n'a pas livré",
            RTS_TECH,
            D(2026, 10, 21),
            ProblemStatus.ACTION,
            None,
        ),
    ),
    actions=(
        (
            "Relancer le fournisseur de téléphonie",
            HEAD_RTS,
            D(2026, 10, 22),
            D(2026, 11, 6),
            TODO,
            None,
        ),
        (
            "Former les agents de liaison au formulaire commun",
            LIAISON_AGENT,
            D(2026, 8, 24),
            D(2026, 9, 25),
            DONE,
            D(2026, 9, 18),
        ),
    ),
    sheets=(
        Sheet(
            "2026-04",
            "GGGGGG",
            RTS_AGENT,
            "Groupe de travail formé : réception, équipe Jimmy, liaison scolaire.",
        ),
        Sheet("2026-05", "GGYGGG", RTS_TECH, "Formulaire commun en essai avec trois écoles."),
        Sheet(
            "2026-06",
            "GGGGGG",
            RTS_AGENT,
            "Formulaire commun adopté le 5 juin.",
            decisions=(("Formulaire commun adopté par les deux directions", EXECUTIVE, 5),),
        ),
        Sheet(
            "2026-07",
            "GGGGYG",
            COORDINATOR_JIMMY,
            "Été : moins de demandes ; la liaison scolaire est en congé.",
        ),
        Sheet(
            "2026-08", "GGGGGG", RTS_AGENT, "Consentement écrit des parents intégré au formulaire."
        ),
        Sheet(
            "2026-09",
            "GGGGGG",
            LIAISON_AGENT,
            "Agents de liaison formés au formulaire.",
            next_steps=("Former les agents de liaison au formulaire commun",),
        ),
        Sheet(
            "2026-10",
            "YGYGGY",
            RTS_TECH,
            "Ligne unique retardée par le fournisseur.",
            blockers=("Ligne unique : le fournisseur de téléphonie n'a pas livré",),
            next_steps=("Relancer le fournisseur de téléphonie",),
        ),
        Sheet(
            "2026-11",
            "YGRGGY",
            RTS_AGENT,
            "Ligne unique toujours pas livrée : jalon du 30 octobre dépassé.",
            blockers=("Ligne unique : le fournisseur de téléphonie n'a pas livré",),
            next_steps=("Relancer le fournisseur de téléphonie",),
            comments=(
                (
                    HEAD_RTS,
                    "Faut-il escalader au comité de direction ?",
                    (
                        (RTS_AGENT, "Pas encore : le fournisseur promet le 4 décembre."),
                        (COORDINATOR_JIMMY, "D'accord, on revoit au prochain rendez-vous."),
                    ),
                ),
            ),
        ),
    ),
)

WORKLOAD = Spec(
    code="charge-equipes-suivi",
    name="Charge de travail et horaires des équipes de suivi",
    objective=(
        "Répartir la charge de cas et revoir les horaires des équipes de suivi en protection "
        "pour ramener les heures supplémentaires au niveau d'avant."
    ),
    expected_results="Au plus 0,8 heure supplémentaire par ETC et par semaine dans chaque équipe.",
    room="salle-am",
    owner=HEAD_AM,
    sponsor=DIRECTOR_DPJ,
    members=(AM_EDUCATOR, AM_AGENT, ("am-13-17", 0)),
    priority="jimmy-bien-etre",
    theme=Theme.PEOPLE,
    horizon=Horizon.SHORT,
    approach=Approach.STRUCTURAL,
    start=D(2026, 5, 4),
    end=D(2027, 2, 26),
    indicators=(
        ("heures-sup-etp", "am-13-17", 0.8),
        ("heures-sup-etp", "am-0-12", 0.8),
    ),
    milestones=(
        ("Grille de pondération des dossiers", D(2026, 7, 31), D(2026, 7, 29)),
        ("Nouveaux horaires en vigueur", D(2026, 10, 5), D(2026, 10, 5)),
    ),
    problems=(),
    actions=(
        (
            "Pondérer les dossiers de l'équipe 13-17 ans",
            AM_EDUCATOR,
            D(2026, 6, 8),
            D(2026, 7, 31),
            DONE,
            D(2026, 7, 29),
        ),
    ),
    sheets=(
        Sheet("2026-06", "GGGGGG", HEAD_AM, "Sondage sur les horaires : 24 réponses."),
        Sheet(
            "2026-07",
            "GGGGGG",
            AM_EDUCATOR,
            "Grille de pondération des dossiers prête.",
            next_steps=("Pondérer les dossiers de l'équipe 13-17 ans",),
        ),
        Sheet("2026-08", "GGGGYG", AM_AGENT, "Charges rééquilibrées entre les deux équipes."),
        Sheet(
            "2026-09",
            "GGGGYG",
            HEAD_AM,
            "Deux intervenants prêtés à l'évaluation jusqu'au 10 octobre.",
        ),
        Sheet("2026-10", "GGGGGG", AM_EDUCATOR, "Nouveaux horaires en vigueur le 5 octobre."),
        Sheet(
            "2026-11",
            "GGGGGG",
            HEAD_AM,
            "Tous les jalons tenus ; le projet avance selon le plan.",
            comments=(
                (
                    ADVISOR,
                    "Les heures supplémentaires de l'équipe 13-17 ans montent depuis dix "
                    "semaines : le vert des résultats tient-il ?",
                    (
                        (
                            HEAD_AM,
                            "Les jalons sont tenus ; les postes seront comblés fin novembre.",
                        ),
                        (
                            AM_EDUCATOR,
                            "Sur le terrain, on le sent : trois heures de plus par semaine.",
                        ),
                    ),
                ),
            ),
        ),
    ),
)

CODEVELOPMENT = Spec(
    code="codeveloppement-gestionnaires",
    name="Soutien aux gestionnaires : codéveloppement",
    objective=(
        "Des groupes de codéveloppement entre chefs de service des deux directions et du centre "
        "de services scolaire, pour partager les difficultés de gestion et le leadership."
    ),
    expected_results=(
        "Chaque chef de service dans un groupe ; un cas par séance ; pouls d'équipe en hausse "
        "à l'évaluation-orientation."
    ),
    room="salle-jimmy",
    owner=ADVISOR_2,
    sponsor=EXECUTIVE,
    members=(HEAD_EO, HEAD_RTS, HEAD_JEF, HEAD_LIAISON, HEAD_READAPTATION, RESEARCHER),
    priority="jimmy-bien-etre",
    theme=Theme.LEADERSHIP,
    horizon=Horizon.LONG,
    approach=Approach.RELATIONAL,
    start=D(2026, 2, 2),
    end=None,
    indicators=(("pouls-equipe", "eo", 3.8),),
    milestones=(
        ("Deux groupes formés", D(2026, 4, 30), D(2026, 4, 23)),
        ("Bilan d'un an avec la chercheuse", D(2027, 2, 26), None),
    ),
    problems=(),
    actions=(),
    sheets=(
        Sheet("2026-05", "GGGGGG", ADVISOR_2, "Deux groupes de cinq ; première séance le 7 mai."),
        Sheet("2026-06", "GGGGGG", HEAD_LIAISON, "Trois séances ; cas de la garde de soir."),
        Sheet(
            "2026-07",
            "YGYGYG",
            ADVISOR_2,
            "Séances suspendues l'été.",
            comments=(
                (
                    HEAD_RTS,
                    "Une séance en juillet aiderait ceux qui restent.",
                    ((ADVISOR_2, "Noté : une séance le 22 juillet."),),
                ),
            ),
        ),
        Sheet("2026-08", "GGGGGG", HEAD_EO, "Séance du 22 juillet : cas des postes vacants."),
        Sheet("2026-09", "GGGGGG", ADVISOR_2, "Retour de tous les groupes."),
        Sheet("2026-10", "GGGGGG", HEAD_JEF, "Les chefs présentent eux-mêmes leurs fiches."),
        Sheet(
            "2026-11",
            "GGGGGG",
            RESEARCHER,
            "Entrevues de mi-parcours réalisées.",
            decisions=(
                ("Codéveloppement ouvert aux coordonnateurs cliniques en 2027", EXECUTIVE, 7),
            ),
        ),
    ),
)

PROJECTS = [FAMILY, DELAY, ACCESS_POINT, WORKLOAD, CODEVELOPMENT]


def _month_end(month: str) -> datetime.date:
    year, number = (int(part) for part in month.split("-"))
    following = datetime.date(year + number // 12, number % 12 + 1, 1)
    return following - datetime.timedelta(days=1)


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def published_on(period_end: datetime.date) -> datetime.date:
    """Sheets are published two days after their period, or on the demo's day for the
    current month (prepared for the month's status-sheet meeting)."""
    return min(period_end + datetime.timedelta(days=2), TODAY)


def _baseline(indicator: Indicator, unit: Unit, start: datetime.date) -> float | None:
    """The mean of the twelve values before the project started."""
    values = list(
        Value.objects.filter(indicator=indicator, unit=unit, period__lt=start)
        .order_by("-period")
        .values_list("value", flat=True)[:12]
    )
    return round(statistics.fmean(values), 2) if values else None


def _cards(spec: Spec, rooms: dict[str, Room], people: People) -> tuple[dict, dict]:
    """The project's problems (on any board) and actions (in its room), by title."""
    problems = {}
    for room, title, by, raised, status, solved in spec.problems:
        if title == HELP_PROBLEM:
            continue  # written with its escalation
        problems[title] = put(
            Problem,
            {"room_id": rooms[room].pk, "title": title},
            {
                "status": status,
                "created_by_id": people.user(by).pk,
                "created_at": _at(raised, 8, 45),
                "updated_at": _at(solved or raised, 16 if solved else 8, 0 if solved else 45),
                "solved_at": _at(solved, 16) if solved else None,
                "priority_id": Priority.objects.get(code=spec.priority).pk
                if spec.priority
                else None,
            },
        )
    actions = {}
    for title, owner, since, due, status, done in spec.actions:
        person = people(owner)
        actions[title] = put(
            Action,
            {"room_id": rooms[spec.room].pk, "title": title},
            {
                "owner_id": person.pk,
                "due": due,
                "status": status,
                "created_by_id": person.user_id,
                "created_at": _at(since, 9),
                "updated_at": _at(done or since, 16 if done else 9),
                "done_at": _at(done, 16) if done else None,
            },
        )
    return problems, actions


def _ask_for_help(rooms: dict[str, Room], people: People) -> tuple[Problem, Escalation]:
    """The evaluation-delay project's request for help, played with the real operations:
    sent after the June sheet was published, decided at the directorate's weekly meeting,
    acknowledged by the owner; then dated."""
    eo, dpj = rooms["salle-eo"], rooms["salle-dpj"]
    published = published_on(_month_end("2026-06"))
    sent, decided, acknowledged = (
        _at(published, 11),
        _at(published + datetime.timedelta(days=6), 10),
        _at(published + datetime.timedelta(days=7), 15),
    )
    escalation = Escalation.objects.filter(from_room=eo, to_room=dpj, title=HELP_PROBLEM).first()
    if escalation is None:
        problem = put(
            Problem,
            {"room_id": eo.pk, "title": HELP_PROBLEM},
            {"status": ProblemStatus.NEW, "created_by_id": people.user(HEAD_EO).pk},
        )
        escalation = do_escalate(
            problem,
            dpj,
            "Le projet « Réduire le délai d'évaluation à 12 jours » est au rouge : deux postes "
            "vacants et les vacances d'été. Prêter des intervenants d'une autre équipe relève "
            "de la direction.",
            user=people.user(HEAD_EO),
        )
        Escalation.objects.filter(pk=escalation.pk).update(sent_at=sent)
        do_decide(escalation, DecisionKind.SOLVED, HELP_DECISION, user=people.user(DIRECTOR_DPJ))
        Escalation.objects.filter(pk=escalation.pk).update(decided_at=decided)
        do_acknowledge(escalation, user=people.user(HEAD_EO))
        Escalation.objects.filter(pk=escalation.pk).update(acknowledged_at=acknowledged)
        escalation.refresh_from_db()
    # The operations moved the problem along; its final state, dated.
    problem = put(
        Problem,
        {"room_id": eo.pk, "title": HELP_PROBLEM},
        {
            "description": "Deux postes vacants depuis avril et les vacances d'été : la norme "
            "de 12 jours ne peut plus être tenue sans renfort.",
            "status": ProblemStatus.SOLVED,
            "indicator_id": Indicator.objects.get(code="evaluations-12-jours").pk,
            "priority_id": Priority.objects.get(code="jimmy-acces").pk,
            "created_by_id": people.user(HEAD_EO).pk,
            "created_at": _at(published - datetime.timedelta(days=3), 8, 45),
            "updated_at": acknowledged,
            "solved_at": acknowledged,
        },
    )
    return problem, escalation


def _project(spec: Spec, rooms: dict[str, Room], people: People) -> Project:
    priority = Priority.objects.get(code=spec.priority) if spec.priority else None
    project = put(
        Project,
        {"code": spec.code},
        {
            "name": spec.name,
            "objective": spec.objective,
            "expected_results": spec.expected_results,
            "owner_id": people(spec.owner).pk,
            "sponsor_id": people(spec.sponsor).pk,
            "room_id": rooms[spec.room].pk,
            "priority_id": priority.pk if priority else None,
            "theme": spec.theme,
            "horizon": spec.horizon,
            "approach": spec.approach,
            "start": spec.start,
            "end": spec.end,
            "is_active": True,
        },
    )
    members = {people(who).pk for who in spec.members}
    if set(project.members.values_list("pk", flat=True)) != members:
        project.members.set(members)
    for code, unit_code, target in spec.indicators:
        indicator, unit = Indicator.objects.get(code=code), Unit.objects.get(code=unit_code)
        put(
            ProjectIndicator,
            {"project_id": project.pk, "indicator_id": indicator.pk, "unit_id": unit.pk},
            {"baseline": _baseline(indicator, unit, spec.start), "target": target},
        )
    for title, due, done in spec.milestones:
        put(Milestone, {"project_id": project.pk, "title": title}, {"due": due, "done_on": done})
    return project


def _sheets(
    spec: Spec,
    project: Project,
    cards: tuple[dict, dict],
    help_asked: tuple[Problem, Escalation] | None,
    people: People,
) -> None:
    problems, actions = cards
    previous: dict[str, str] = {}
    for s in spec.sheets:
        period_end = _month_end(s.month)
        published = _at(published_on(period_end), 9)
        created = published - datetime.timedelta(days=3)
        owner = people(s.owner or spec.owner)
        statuses = dict(
            zip(("overall", *DIMENSIONS), (LETTERS[c] for c in s.statuses), strict=True)
        )
        escalation = help_asked[1] if help_asked and s.help_needed else None
        sheet = put(
            StatusSheet,
            {"project_id": project.pk, "period_end": period_end},
            {
                "owner_id": owner.pk,
                "presenter_id": people(s.presenter).pk,
                **statuses,
                "achievements": s.achievements,
                "recovery_plan": s.recovery_plan,
                "help_needed": s.help_needed,
                "help_escalation_id": escalation.pk if escalation else None,
                "decisions_requested": s.decisions_requested,
                "created_by_id": owner.user_id,
                "created_at": created,
                "published_at": published,
            },
        )
        steps = {actions[title].pk for title in s.next_steps}
        if set(sheet.next_steps.values_list("pk", flat=True)) != steps:
            sheet.next_steps.set(steps)
        blockers = {_blocker(title, problems, help_asked).pk for title in s.blockers}
        if set(sheet.blockers.values_list("pk", flat=True)) != blockers:
            sheet.blockers.set(blockers)
        for text, by, days in s.decisions:
            at = published + datetime.timedelta(days=days, hours=1)
            put(
                SheetDecision,
                {"sheet_id": sheet.pk, "text": text},
                {"decided_by_id": people(by).pk, "decided_at": at},
            )
        if escalation is not None:
            put(
                SheetDecision,
                {"sheet_id": sheet.pk, "text": HELP_DECISION},
                {"decided_by_id": people(DIRECTOR_DPJ).pk, "decided_at": escalation.decided_at},
            )
        for n, (by, text, replies) in enumerate(s.comments):
            at = published + datetime.timedelta(hours=2 + 24 * n)
            comment = put(
                SheetComment,
                {"sheet_id": sheet.pk, "parent": None, "text": text},
                {"author_id": people.user(by).pk, "at": at},
            )
            for r, (who, reply) in enumerate(replies, start=1):
                put(
                    SheetComment,
                    {"sheet_id": sheet.pk, "parent_id": comment.pk, "text": reply},
                    {"author_id": people.user(who).pk, "at": at + datetime.timedelta(hours=r)},
                )
        for dimension, status in statuses.items():
            old = previous.get(dimension, "")
            if old != status:
                put(
                    StatusChange,
                    {"sheet_id": sheet.pk, "dimension": dimension},
                    {
                        "old": old,
                        "new": status,
                        "changed_by_id": owner.user_id,
                        "changed_at": created,
                    },
                )
        previous = statuses


def _blocker(title: str, problems: dict, help_asked: tuple | None) -> Any:
    if title in problems:
        return problems[title]
    if help_asked and title == HELP_PROBLEM:
        return help_asked[0]
    return Problem.objects.get(title=title)  # a card of a room's board (rooms demo)


@transaction.atomic
def build_projects() -> dict[str, int]:
    """Create or update the demo's projects and their status sheets (the organisation,
    indicators and rooms must exist: see `build_rooms`); return how many there are."""
    rooms = {room.code: room for room in Room.objects.all()}
    if "salle-dpj" not in rooms:
        raise RuntimeError("Load the demo rooms first (build_rooms).")
    people = People()
    for spec in PROJECTS:
        project = _project(spec, rooms, people)
        help_asked = _ask_for_help(rooms, people) if spec is DELAY else None
        _sheets(spec, project, _cards(spec, rooms, people), help_asked, people)
    return {
        "projects": Project.objects.count(),
        "status sheets": StatusSheet.objects.count(),
        "milestones": Milestone.objects.count(),
        "sheet decisions": SheetDecision.objects.count(),
        "sheet comments": SheetComment.objects.count(),
        "status changes": StatusChange.objects.count(),
    }
