"""The shared topic taxonomy (German and English labels)."""

from django.db import migrations

TOPICS = [
    ("procedure-design", "Verfahrensgestaltung", "Procedure design"),
    ("online-platform", "Online-Plattform", "Online platform"),
    ("public-relations", "Öffentlichkeitsarbeit", "Public relations"),
    ("youth-school", "Kinder-, Jugend- und Schulbeteiligung", "Youth and school participation"),
    ("outreach-inclusion", "Aufsuchende Beteiligung und Inklusion", "Outreach and inclusion"),
    ("voting-methods", "Abstimmungsverfahren", "Voting methods"),
    ("feasibility-administration", "Machbarkeitsprüfung und Verwaltung",
     "Feasibility check and administration"),
    ("budget-law", "Haushaltsrecht", "Budget law"),
    ("council-politics", "Ratsbeschluss und Politik", "Council decision and politics"),
    ("accountability-evaluation", "Rechenschaft und Evaluation", "Accountability and evaluation"),
    ("funding", "Fördermittel", "Funding"),
    ("neighbourhood-funds", "Stadtteil- und Kiezfonds", "Neighbourhood funds"),
]


def add_topics(apps, schema_editor):
    Topic = apps.get_model("consult", "Topic")
    for position, (slug, name_de, name_en) in enumerate(TOPICS):
        Topic.objects.update_or_create(
            slug=slug, defaults={"name_de": name_de, "name_en": name_en, "position": position}
        )


def remove_topics(apps, schema_editor):
    apps.get_model("consult", "Topic").objects.filter(slug__in=[t[0] for t in TOPICS]).delete()


class Migration(migrations.Migration):
    dependencies = [("consult", "0001_initial")]
    operations = [migrations.RunPython(add_topics, remove_topics)]
