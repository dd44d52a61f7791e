"""Demo library (idempotent): about 70 fictional resources with a real-looking structure.

Procedure descriptions for every procedure type, implementation examples from German cities and
from abroad, thematic models, studies, brochures, public-relations examples credited to demo
municipalities, recommendations by demo experts, and funding programmes whose deadlines lie in
the coming months (some within 14 days, so the reminder sweep has work). All texts are invented.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from consult.models import Municipality, Topic
from experts.models import ExpertProfile
from library.models import Resource

K = Resource.Kind
ALL = "Bürgerhaushalt"

# (title_de, title_en, summary_de, procedure types, topics, states, countries, year, source)
PROCEDURES = [
    (
        "Der vorschlagsorientierte Konsultationshaushalt in fünf Phasen",
        "The proposal-based consultation budget in five phases",
        "Information, Vorschläge, Machbarkeitsprüfung, Ratsbeschluss und Rechenschaft: wie "
        "Verwaltung und Rat mit Bürgervorschlägen umgehen und was jede Phase an Zeit braucht.",
        ["consultation-budget"],
        ["procedure-design", "feasibility-administration", "council-politics"],
    ),
    (
        "Bürgerbudget mit verbindlicher Abstimmung: Ablauf und Regeln",
        "Citizens' budget with a binding vote: process and rules",
        "Wer darf abstimmen, wie viele Stimmen gibt es, was passiert bei Gleichstand? Ein "
        "Ablaufplan mit Mustertexten für die Satzung und die Abstimmungsregeln.",
        ["citizens-budget"],
        ["voting-methods", "procedure-design", "budget-law"],
    ),
    (
        "Stadtteil- und Kiezfonds: Jury, Antrag, Auszahlung",
        "Neighbourhood funds: jury, application, payout",
        "Wie eine Bürgerjury im Stadtteil über kleine Projekte entscheidet, welche Unterlagen "
        "Antragstellende brauchen und wie die Auszahlung haushaltsrechtlich sauber läuft.",
        ["neighbourhood-fund"],
        ["neighbourhood-funds", "budget-law", "procedure-design"],
    ),
    (
        "Jugendbudget Schritt für Schritt",
        "Youth budget step by step",
        "Von der Jugendversammlung bis zur Umsetzung: Altersgrenzen, Beteiligung der Schulen, "
        "Begleitung durch die Jugendarbeit und eine Abstimmung, die Jugendliche selbst leiten.",
        ["youth-budget"],
        ["youth-school", "voting-methods", "public-relations"],
    ),
    (
        "Schulbudget: Schüler*innen planen ihr eigenes Budget",
        "School budget: pupils plan their own budget",
        "Klassenräte sammeln Ideen, die Schulkonferenz prüft, alle Schüler*innen stimmen ab. "
        "Mit Zeitplan für ein Schuljahr und Hinweisen zur Zusammenarbeit mit dem Schulträger.",
        ["school-budget"],
        ["youth-school", "procedure-design", "accountability-evaluation"],
    ),
    (
        "Thematischer Bürgerhaushalt: ein Budget für Klima und Mobilität",
        "Thematic participatory budget: a budget for climate and mobility",
        "Ein Bürgerhaushalt mit festem Thema: wie das Thema gewählt wird, welche Fachämter "
        "mitprüfen und wie Vorschläge mit dem Klimaschutzkonzept abgeglichen werden.",
        ["thematic"],
        ["procedure-design", "feasibility-administration"],
    ),
    (
        "Machbarkeitsprüfung ohne Stau: Verwaltungsabläufe im Bürgerhaushalt",
        "Feasibility checks without a backlog",
        "Checklisten, Fristen und ein Ampelsystem für die Fachämter, damit hunderte Vorschläge "
        "in acht Wochen geprüft sind.",
        ["consultation-budget", "citizens-budget"],
        ["feasibility-administration"],
    ),
    (
        "Rechenschaft ablegen: der Umsetzungsbericht",
        "Accountability: the implementation report",
        "Was aus jedem Vorschlag geworden ist, verständlich und öffentlich: Aufbau, Zeitpunkt und "
        "Form eines Rechenschaftsberichts.",
        [],
        ["accountability-evaluation", "public-relations"],
    ),
]

# (city or place, country, state, procedure type, topics, year, title, summary)
EXAMPLES = [
    (
        "Leipzig",
        "DE",
        "Sachsen",
        "youth-budget",
        ["youth-school", "public-relations"],
        2024,
        "Jugendbudget Leipzig: 50.000 Euro in Jugendhand",
        "Jugendliche zwischen 12 und 21 Jahren haben Projekte vorgeschlagen, beraten und per "
        "Handy abgestimmt; Jugendclubs haben Abstimmungsstände organisiert.",
    ),
    (
        "Potsdam",
        "DE",
        "Brandenburg",
        "citizens-budget",
        ["voting-methods", "online-platform"],
        2023,
        "Bürgerhaushalt Potsdam: Bürgerbefragung mit Prioritätenliste",
        "Eine repräsentative Zufallsauswahl ergänzt die offene Abstimmung; der Rat übernimmt "
        "die Top-20-Liste.",
    ),
    (
        "Eberswalde",
        "DE",
        "Brandenburg",
        "citizens-budget",
        ["voting-methods", "public-relations"],
        2022,
        "Bürgerbudget Eberswalde: Abstimmung auf dem Marktplatz",
        "Jede Person ab 14 Jahren hat fünf Stimmen; abgestimmt wird an einem Samstag auf dem "
        "Marktplatz und eine Woche lang online.",
    ),
    (
        "Bonn",
        "DE",
        "Nordrhein-Westfalen",
        "consultation-budget",
        ["online-platform", "outreach-inclusion"],
        2023,
        "Bonn: Konsultationshaushalt mit aufsuchender Beteiligung",
        "Mobile Teams gehen in Stadtteile mit niedriger Beteiligung; Vorschläge kommen auch per "
        "Postkarte und Telefon.",
    ),
    (
        "Jena",
        "DE",
        "Thüringen",
        "neighbourhood-fund",
        ["neighbourhood-funds", "budget-law"],
        2024,
        "Kiezfonds Jena-Lobeda: die Bürgerjury entscheidet",
        "Zwölf ausgeloste Bewohner*innen vergeben 30.000 Euro im Jahr an Nachbarschaftsprojekte.",
    ),
    (
        "Görlitz",
        "DE",
        "Sachsen",
        "school-budget",
        ["youth-school"],
        2023,
        "Schulbudget Görlitz: sechs Schulen, ein Verfahren",
        "Jede Schule erhält 3.000 Euro; Klassenräte und Schülervertretung organisieren die Wahl.",
    ),
    (
        "Solingen",
        "DE",
        "Nordrhein-Westfalen",
        "consultation-budget",
        ["accountability-evaluation", "council-politics"],
        2021,
        "Solingen: zehn Jahre Bürgerhaushalt – eine Bilanz",
        "Was sich im Verhältnis von Rat, Verwaltung und Einwohner*innen verändert hat.",
    ),
    (
        "Freiburg im Breisgau",
        "DE",
        "Baden-Württemberg",
        "thematic",
        ["procedure-design", "online-platform"],
        2024,
        "Freiburg: thematischer Beteiligungshaushalt Klima",
        "Ein Jahr lang ging es nur um Klimaschutz; die Verwaltung hat jede Idee mit CO₂-Schätzung "
        "zurückgemeldet.",
    ),
    (
        "Trier",
        "DE",
        "Rheinland-Pfalz",
        "consultation-budget",
        ["online-platform"],
        2022,
        "Trier: Beteiligungsplattform mit Kommentarfunktion",
        "Moderierte Diskussionen und Bewertungen auf der Plattform, mit klaren Netiquette-Regeln.",
    ),
    (
        "Greifswald",
        "DE",
        "Mecklenburg-Vorpommern",
        "citizens-budget",
        ["voting-methods", "youth-school"],
        2023,
        "Greifswald: Bürgerhaushalt ab 14",
        "Das Mindestalter wurde gesenkt; Schulen haben Abstimmungstage eingerichtet.",
    ),
    (
        "Köln",
        "DE",
        "Nordrhein-Westfalen",
        "consultation-budget",
        ["feasibility-administration", "council-politics"],
        2020,
        "Köln: Bezirksbudgets in der Großstadt",
        "Jeder Stadtbezirk verwaltet einen eigenen Topf; die Bezirksvertretungen entscheiden.",
    ),
    (
        "Halle (Saale)",
        "DE",
        "Sachsen-Anhalt",
        "neighbourhood-fund",
        ["neighbourhood-funds", "outreach-inclusion"],
        2024,
        "Halle: Quartiersfonds in der Silberhöhe",
        "Ein Stadtteilbüro begleitet Antragstellende, die zum ersten Mal ein Projekt beantragen.",
    ),
    (
        "Marburg",
        "DE",
        "Hessen",
        "youth-budget",
        ["youth-school", "online-platform"],
        2022,
        "Marburg: Jugendbudget mit Discord-Server",
        "Die Diskussion lief dort, wo Jugendliche ohnehin sind; die Abstimmung auf der Plattform.",
    ),
    (
        "Porto Alegre",
        "BR",
        "",
        "citizens-budget",
        ["procedure-design", "outreach-inclusion", "accountability-evaluation"],
        2019,
        "Porto Alegre: das Vorbild des Orçamento Participativo",
        "Stadtteilversammlungen, Delegiertenräte und ein Investitionsplan: das Modell, mit dem "
        "1989 alles anfing, und was davon heute bleibt.",
    ),
    (
        "Paris",
        "FR",
        "",
        "citizens-budget",
        ["voting-methods", "online-platform", "public-relations"],
        2023,
        "Paris: budget participatif mit fünf Prozent des Investitionshaushalts",
        "Jährlich stimmen über 100.000 Menschen ab; Abstimmungsurnen stehen in Bibliotheken und "
        "auf Märkten.",
    ),
    (
        "Lissabon",
        "PT",
        "",
        "citizens-budget",
        ["voting-methods", "youth-school"],
        2022,
        "Lissabon: Bürgerhaushalt mit Kinder- und Schulprojekten",
        "Neben dem städtischen Budget gibt es eigene Verfahren für Schulen; "
        "abgestimmt wird per SMS.",
    ),
    (
        "Cascais",
        "PT",
        "",
        "citizens-budget",
        ["voting-methods", "accountability-evaluation"],
        2021,
        "Cascais: Abstimmung per SMS und offene Umsetzungsliste",
        "Jedes Projekt hat eine öffentliche Seite mit Stand der Umsetzung und Kosten.",
    ),
    (
        "New York City",
        "US",
        "",
        "neighbourhood-fund",
        ["outreach-inclusion", "neighbourhood-funds"],
        2020,
        "New York City: Participatory Budgeting in den Council Districts",
        "Freiwillige Budget Delegates entwickeln Vorschläge mit Fachleuten; mehrsprachige "
        "Abstimmung ab 11 Jahren.",
    ),
    (
        "Reykjavík",
        "IS",
        "",
        "consultation-budget",
        ["online-platform"],
        2021,
        "Reykjavík: Better Neighbourhoods online",
        "Eine offene Plattform für Ideen und Abstimmung in allen Stadtteilen; "
        "der Code ist Open Source.",
    ),
    (
        "Warschau",
        "PL",
        "",
        "citizens-budget",
        ["voting-methods", "budget-law"],
        2023,
        "Warschau: gesetzlich verankerter Bürgerhaushalt",
        "Ein Landesgesetz schreibt Großstädten ein Mindestbudget vor; was das für die Verwaltung "
        "bedeutet.",
    ),
]

# (kind, title_de, title_en, summary_de, procedure types, topics, states, countries, year, source)
OTHERS = [
    (
        K.MODEL,
        "Klimabudget: Beteiligung für Klimaschutzprojekte",
        "Climate budget",
        "Ein thematisches Modell mit Vorprüfung nach CO₂-Wirkung und einer Bürgerjury.",
        ["thematic"],
        ["procedure-design", "feasibility-administration"],
        [],
        ["DE"],
        2024,
        "",
    ),
    (
        K.MODEL,
        "Seniorenbudget: Beteiligung im Quartier",
        "Seniors' budget",
        "Sprechstunden in Begegnungsstätten, Vorschläge auf Papier, Abstimmung mit Begleitung.",
        ["neighbourhood-fund"],
        ["outreach-inclusion", "neighbourhood-funds"],
        [],
        ["DE"],
        2023,
        "",
    ),
    (
        K.MODEL,
        "Kinderbudget in der Kita",
        "Children's budget in day care",
        "Wie schon Vierjährige mit Bildern und Muggelsteinen über Anschaffungen entscheiden.",
        ["youth-budget", "school-budget"],
        ["youth-school"],
        [],
        ["DE"],
        2022,
        "",
    ),
    (
        K.MODEL,
        "Inklusiver Bürgerhaushalt in Leichter Sprache",
        "Inclusive budget in plain language",
        "Texte, Formulare und Abstimmung in Leichter Sprache; barrierefreie Veranstaltungsorte.",
        [],
        ["outreach-inclusion", "public-relations"],
        [],
        ["DE"],
        2024,
        "",
    ),
    (
        K.STUDY,
        "Wirkungen von Bürgerhaushalten in deutschen Kommunen",
        "Effects of participatory budgets in German municipalities",
        "Befragung von 120 Kommunen: Beteiligungsquoten, Kosten, Veränderungen in Rat und "
        "Verwaltung.",
        [],
        ["accountability-evaluation", "council-politics"],
        [],
        ["DE"],
        2023,
        "Institut für Demokratieforschung (fiktiv)",
    ),
    (
        K.STUDY,
        "Wer beteiligt sich? Soziale Selektivität im Bürgerhaushalt",
        "Who takes part? Social selectivity in participatory budgeting",
        "Auswertung von Beteiligungsdaten aus 15 Städten; aufsuchende Formate halbieren die Lücke.",
        [],
        ["outreach-inclusion", "accountability-evaluation"],
        [],
        ["DE"],
        2022,
        "Hochschule für Verwaltung (fiktiv)",
    ),
    (
        K.STUDY,
        "Jugendbudgets im Vergleich",
        "Youth budgets compared",
        "Zwölf Jugendbudgets in Sachsen, Brandenburg und Thüringen: Verfahren, Budgets, Erfolge.",
        ["youth-budget"],
        ["youth-school"],
        ["Sachsen", "Brandenburg", "Thüringen"],
        ["DE"],
        2024,
        "Landesjugendring (fiktiv)",
    ),
    (
        K.STUDY,
        "Participatory budgeting in Europe: a review",
        "Participatory budgeting in Europe",
        "A comparative review of 40 European procedures, with a focus on binding votes.",
        ["citizens-budget"],
        ["voting-methods", "procedure-design"],
        [],
        ["PT", "FR", "PL", "DE"],
        2021,
        "European PB Network (fictional)",
    ),
    (
        K.STUDY,
        "Haushaltsrechtliche Grenzen des Bürgerbudgets",
        "Budget law limits of the citizens' budget",
        "Gutachten zu Gemeindeordnungen: wann bindet eine Abstimmung den Rat, wann nicht?",
        ["citizens-budget"],
        ["budget-law", "council-politics"],
        [],
        ["DE"],
        2022,
        "Kommunalrechtliches Gutachten (fiktiv)",
    ),
    (
        K.STUDY,
        "Online- und Offline-Beteiligung: was wirkt?",
        "Online and offline participation",
        "Ein Experiment in vier Städten zu Kanälen, Beteiligung und Qualität der Vorschläge.",
        [],
        ["online-platform", "outreach-inclusion"],
        [],
        ["DE"],
        2025,
        "Zentrum für Digitale Beteiligung (fiktiv)",
    ),
    (
        K.BROCHURE,
        "Bürgerhaushalt kompakt: die Einstiegsbroschüre",
        "Participatory budget at a glance",
        "Zwölf Seiten für Rat und Verwaltung: Nutzen, Kosten, Zeitbedarf, erste Schritte.",
        [],
        ["procedure-design", "council-politics"],
        [],
        ["DE"],
        2024,
        "Netzwerk Bürgerhaushalt",
    ),
    (
        K.BROCHURE,
        "Leitfaden Öffentlichkeitsarbeit",
        "Public relations guide",
        "Plakate, Presse, soziale Medien, Postwurf: ein Kommunikationsplan über alle Phasen.",
        [],
        ["public-relations"],
        [],
        ["DE"],
        2023,
        "Netzwerk Bürgerhaushalt",
    ),
    (
        K.BROCHURE,
        "Jugendbeteiligung mit Budget: Praxisheft",
        "Youth participation with a budget",
        "Methoden, Kopiervorlagen und Zeitpläne für Jugendbudgets.",
        ["youth-budget"],
        ["youth-school"],
        [],
        ["DE"],
        2022,
        "Landesjugendring (fiktiv)",
    ),
    (
        K.BROCHURE,
        "Fördermittel für Beteiligung finden",
        "Finding funding for participation",
        "Überblick über Programme von Bund, Ländern und Stiftungen und wie man Anträge stellt.",
        [],
        ["funding"],
        [],
        ["DE"],
        2025,
        "Netzwerk Bürgerhaushalt",
    ),
    (
        K.BROCHURE,
        "Rechenschaft verständlich machen",
        "Making accountability understandable",
        "Beispiele für Umsetzungsberichte, Karten und Projektschilder.",
        [],
        ["accountability-evaluation", "public-relations"],
        [],
        ["DE"],
        2023,
        "Netzwerk Bürgerhaushalt",
    ),
]

# (municipality name, title_de, summary_de, topics, procedure type, year, status)
PR_EXAMPLES = [
    (
        "Leipzig",
        "Jugendbudget-Kampagne „Dein Kiez, dein Geld“",
        "Plakatserie, Instagram-Reels und Aktionstage an Oberschulen.",
        ["public-relations", "youth-school"],
        "youth-budget",
        2024,
        "published",
    ),
    (
        "Eberswalde",
        "Marktplatz-Abstimmung: Einladung an alle Haushalte",
        "Postwurf mit Abstimmungskarte und Lageplan der Stände.",
        ["public-relations", "voting-methods"],
        "citizens-budget",
        2023,
        "published",
    ),
    (
        "Potsdam",
        "Pressemappe Bürgerhaushalt",
        "Pressemitteilungen für jede Phase und ein Faktenblatt für Lokalredaktionen.",
        ["public-relations"],
        "citizens-budget",
        2023,
        "published",
    ),
    (
        "Bonn",
        "Mehrsprachige Postkarten für Vorschläge",
        "Postkarten in sechs Sprachen mit Rücksendeadresse; verteilt über Migrantenorganisationen.",
        ["public-relations", "outreach-inclusion"],
        "consultation-budget",
        2023,
        "published",
    ),
    (
        "Jena",
        "Kiezfonds-Plakat im Stadtteil",
        "Ein Plakat, das die Bürgerjury vorstellt und zu Anträgen einlädt.",
        ["public-relations", "neighbourhood-funds"],
        "neighbourhood-fund",
        2024,
        "published",
    ),
    (
        "Görlitz",
        "Erklärvideo Schulbudget",
        "Zweiminütiges Video von Schüler*innen für Schüler*innen.",
        ["public-relations", "youth-school"],
        "school-budget",
        2024,
        "published",
    ),
    (
        "Greifswald",
        "Projektschilder „Hier wirkt der Bürgerhaushalt“",
        "Schilder an umgesetzten Projekten mit QR-Code zum Rechenschaftsbericht.",
        ["public-relations", "accountability-evaluation"],
        "citizens-budget",
        2022,
        "published",
    ),
    (
        "Trier",
        "Social-Media-Redaktionsplan für acht Wochen",
        "Ein Plan mit Themen, Formaten und Zuständigkeiten für die Vorschlagsphase.",
        ["public-relations", "online-platform"],
        "consultation-budget",
        2025,
        "in_review",
    ),
]

# (expert username, title_de, summary_de, topics, procedure types, year)
RECOMMENDATIONS = [
    (
        "expert-1",
        "Fünf Fehler bei der Einführung eines Bürgerhaushalts",
        "Aus zwanzig Beratungen: zu wenig Zeit für die Prüfung, kein Ratsbeschluss vorab, fehlende "
        "Rechenschaft – und wie man sie vermeidet.",
        ["procedure-design", "council-politics"],
        [],
        2024,
    ),
    (
        "expert-2",
        "Empfehlung: Abstimmungsverfahren für kleine Gemeinden",
        "Punktevergabe statt Ranglisten, Urnen im Rathaus und am Dorffest.",
        ["voting-methods"],
        ["citizens-budget"],
        2023,
    ),
    (
        "expert-3",
        "Empfehlung: Jugendliche selbst moderieren lassen",
        "Peer-Moderation erhöht Beteiligung und Vertrauen; so bereiten Sie Moderator*innen vor.",
        ["youth-school"],
        ["youth-budget", "school-budget"],
        2024,
    ),
    (
        "expert-4",
        "Empfehlung: Öffentlichkeitsarbeit beginnt vor der Vorschlagsphase",
        "Vier Wochen Vorlauf, eine klare Botschaft, Multiplikator*innen im Stadtteil.",
        ["public-relations"],
        [],
        2025,
    ),
    (
        "expert-5",
        "Empfehlung: Haushaltsrechtliche Absicherung eines Kiezfonds",
        "Zuwendungsrichtlinie, Verwendungsnachweis light und die Rolle der Kämmerei.",
        ["budget-law", "neighbourhood-funds"],
        ["neighbourhood-fund"],
        2023,
    ),
    (
        "expert-6",
        "Empfehlung: Evaluation von Anfang an mitdenken",
        "Kennzahlen, Befragungen und ein schlanker Bericht für den Rat.",
        ["accountability-evaluation"],
        [],
        2024,
    ),
]

# (title_de, funder, min, max, eligible states, eligible kinds, days until deadline, topics)
FUNDING = [
    (
        "Demokratie vor Ort stärken",
        "Landesstiftung Sachsen (fiktiv)",
        5_000,
        40_000,
        ["Sachsen"],
        [],
        6,
        ["funding", "procedure-design"],
    ),
    (
        "Jugend entscheidet",
        "Bundesstiftung Jugendbeteiligung (fiktiv)",
        10_000,
        25_000,
        [],
        ["stadt", "gemeinde"],
        11,
        ["funding", "youth-school"],
    ),
    (
        "Kleine Kiezfonds",
        "Ministerium für Stadtentwicklung Brandenburg (fiktiv)",
        2_000,
        15_000,
        ["Brandenburg"],
        [],
        13,
        ["funding", "neighbourhood-funds"],
    ),
    (
        "Beteiligung in ländlichen Räumen",
        "Bundesprogramm Ländliche Entwicklung (fiktiv)",
        20_000,
        100_000,
        [],
        ["gemeinde", "landkreis"],
        35,
        ["funding", "outreach-inclusion"],
    ),
    (
        "Digitale Beteiligungsplattformen",
        "Digitalministerium NRW (fiktiv)",
        15_000,
        80_000,
        ["Nordrhein-Westfalen"],
        [],
        48,
        ["funding", "online-platform"],
    ),
    (
        "Klimabürgerhaushalte",
        "Umweltstiftung (fiktiv)",
        25_000,
        150_000,
        [],
        [],
        62,
        ["funding", "procedure-design"],
    ),
    (
        "Partnerschaften für Demokratie: Aktionsfonds",
        "Bundesprogramm (fiktiv)",
        1_000,
        10_000,
        [],
        ["stadt", "landkreis", "bezirk"],
        75,
        ["funding", "outreach-inclusion"],
    ),
    (
        "Schulen gestalten mit",
        "Kultusministerium Thüringen (fiktiv)",
        3_000,
        20_000,
        ["Thüringen"],
        [],
        90,
        ["funding", "youth-school"],
    ),
    (
        "Quartiersarbeit und Nachbarschaft",
        "Sozialministerium Hessen (fiktiv)",
        5_000,
        50_000,
        ["Hessen", "Rheinland-Pfalz"],
        [],
        120,
        ["funding", "neighbourhood-funds"],
    ),
    (
        "Evaluation kommunaler Beteiligung",
        "Stiftung Bürgergesellschaft (fiktiv)",
        10_000,
        30_000,
        [],
        [],
        150,
        ["funding", "accountability-evaluation"],
    ),
]


def _body(title: str, summary: str) -> str:
    return (
        f"{summary}\n\nAusgangslage: Die Kommune wollte mehr Menschen an Haushaltsentscheidungen "
        "beteiligen und hat dafür Rat, Verwaltung und Zivilgesellschaft früh zusammengebracht.\n\n"
        f"Vorgehen: {title} wurde in Phasen geplant – Information, Vorschläge, Prüfung, "
        "Entscheidung und Rechenschaft. Für jede Phase gab es eine verantwortliche Stelle.\n\n"
        "Erfahrungen: Früh mit der Öffentlichkeitsarbeit beginnen, die Machbarkeitsprüfung "
        "realistisch planen und Ergebnisse sichtbar machen."
    )


def _put(spec: dict[str, Any], topics: list[str], all_topics: dict[str, Topic]) -> bool:
    now = timezone.now()
    defaults = {
        "language": "de",
        "licence": "CC BY 4.0",
        "status": Resource.Status.PUBLISHED,
        **spec,
    }
    if defaults["status"] == Resource.Status.PUBLISHED:
        defaults.setdefault("published_at", now)
    resource, created = Resource.objects.update_or_create(
        kind=spec["kind"], title_de=spec["title_de"], defaults=defaults
    )
    resource.topics.set([all_topics[slug] for slug in topics])
    return created


@transaction.atomic
def seed(*, options: dict[str, Any], out: Any) -> None:
    topics = {t.slug: t for t in Topic.objects.all()}
    municipalities = {m.name: m for m in Municipality.objects.all()}
    experts = {e.user.username: e for e in ExpertProfile.objects.select_related("user")}
    today = timezone.localdate()
    created = 0
    for title, title_en, summary, procedures, slugs in PROCEDURES:
        created += _put(
            {
                "kind": K.PROCEDURE,
                "title_de": title,
                "title_en": title_en,
                "summary_de": summary,
                "body": _body(title, summary),
                "procedure_types": procedures,
                "countries": ["DE"],
                "year": 2024,
                "source": "Netzwerk Bürgerhaushalt",
            },
            slugs,
            topics,
        )
    for place, country, state, procedure, slugs, year, title, summary in EXAMPLES:
        municipality = municipalities.get(place)
        created += _put(
            {
                "kind": K.EXAMPLE,
                "title_de": title,
                "summary_de": summary,
                "body": _body(title, summary),
                "procedure_types": [procedure],
                "states": [state] if state else [],
                "countries": [country],
                "size_classes": [municipality.size_class] if municipality else [],
                "year": year,
                "source": f"Stadtverwaltung {place} (fiktive Darstellung)",
                "url": f"https://example.org/praxis/{place.lower().replace(' ', '-')}",
            },
            slugs,
            topics,
        )
    for kind, title, title_en, summary, procedures, slugs, states, countries, year, src in OTHERS:
        created += _put(
            {
                "kind": kind,
                "title_de": title,
                "title_en": title_en,
                "summary_de": summary,
                "body": _body(title, summary),
                "procedure_types": procedures,
                "states": states,
                "countries": countries,
                "year": year,
                "source": src,
                "language": "en" if kind == K.STUDY and "review" in title else "de",
            },
            slugs,
            topics,
        )
    for name, title, summary, slugs, procedure, year, status in PR_EXAMPLES:
        municipality = municipalities.get(name)
        created += _put(
            {
                "kind": K.PR_EXAMPLE,
                "title_de": title,
                "summary_de": summary,
                "body": _body(title, summary),
                "procedure_types": [procedure],
                "states": [municipality.state] if municipality else [],
                "countries": ["DE"],
                "year": year,
                "status": status,
                "submitted_for": municipality,
                "source": name,
            },
            slugs,
            topics,
        )
    for username, title, summary, slugs, procedures, year in RECOMMENDATIONS:
        expert = experts.get(username)
        created += _put(
            {
                "kind": K.RECOMMENDATION,
                "title_de": title,
                "summary_de": summary,
                "body": _body(title, summary),
                "procedure_types": procedures,
                "countries": ["DE"],
                "year": year,
                "author_expert": expert,
                "submitted_by": expert.user if expert else None,
                "source": expert.display_name if expert else "Netzwerk Bürgerhaushalt",
            },
            slugs,
            topics,
        )
    for title, funder, low, high, states, kinds, days, slugs in FUNDING:
        created += _put(
            {
                "kind": K.FUNDING,
                "title_de": title,
                "summary_de": f"{funder} fördert Vorhaben der Bürgerbeteiligung mit "
                f"{low:,} bis {high:,} Euro.".replace(",", "."),
                "body": "Gefördert werden Personal- und Sachkosten, Moderation und "
                "Öffentlichkeitsarbeit. Ein Eigenanteil von zehn Prozent ist nötig.",
                "funder": funder,
                "amount_min_eur": Decimal(low),
                "amount_max_eur": Decimal(high),
                "eligible_states": states,
                "eligible_kinds": kinds,
                # Deadlines move with the demo date so some are always within 14 days.
                "deadline": today + dt.timedelta(days=days),
                "countries": ["DE"],
                "year": today.year,
                "url": "https://example.org/foerderung",
            },
            slugs,
            topics,
        )
    total = Resource.objects.count()
    out.write(f"  Bibliothek: {total} Einträge ({created} neu)")
