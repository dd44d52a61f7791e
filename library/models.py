"""The practice library: procedure descriptions, examples, studies, brochures, funding programmes.

Lists of choice values (procedure types, size classes, states, countries, eligibility) are JSON
lists with a portable `has` lookup (`states__has="Sachsen"`): jsonb containment on PostgreSQL,
`json_each` on SQLite. The full-text index is not a Django field on SQLite (an FTS5 table kept by
triggers) and a trigger-maintained `search_vector` with a GIN index on PostgreSQL; both are
installed by `library/search.py` (migration 0002 and after every migrate).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from consult.choices import LANGUAGE_CHOICES
from consult.models import Municipality, Topic
from core.validators import no_control_characters, no_control_characters_multiline


class ListField(models.JSONField):
    """A JSON list of strings, filterable by one member with `__has`."""


@ListField.register_lookup
class ListHas(models.Lookup):
    lookup_name = "has"

    def get_prep_lookup(self):  # type: ignore[no-untyped-def]
        return str(self.rhs)

    def as_sql(self, compiler, connection):  # type: ignore[no-untyped-def]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs_params = [self.rhs]
        if connection.vendor == "postgresql":
            # jsonb @> '["value"]' (a GIN index on the column would serve it).
            return f"{lhs} @> jsonb_build_array(%s::text)", [*lhs_params, *rhs_params]
        return (
            f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value = %s)",  # noqa: S608
            [*lhs_params, *rhs_params],
        )


http_url = URLValidator(schemes=["http", "https"], message=_("Nur http- und https-Links."))


class Resource(models.Model):
    class Kind(models.TextChoices):
        PROCEDURE = "procedure", _("Verfahrensbeschreibung")
        EXAMPLE = "example", _("Umsetzungsbeispiel")
        MODEL = "model", _("Thematisches Beteiligungsmodell")
        STUDY = "study", _("Studie")
        BROCHURE = "brochure", _("Broschüre")
        PR_EXAMPLE = "pr-example", _("Beispiel Öffentlichkeitsarbeit")
        RECOMMENDATION = "recommendation", _("Empfehlung von Expert*innen")
        FUNDING = "funding", _("Förderprogramm")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Entwurf")
        IN_REVIEW = "in_review", _("in Prüfung")
        PUBLISHED = "published", _("veröffentlicht")
        ARCHIVED = "archived", _("archiviert")

    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices)
    title_de = models.CharField(
        _("Titel (deutsch)"), max_length=250, validators=[no_control_characters]
    )
    title_en = models.CharField(
        _("Titel (englisch)"), max_length=250, blank=True, validators=[no_control_characters]
    )
    summary_de = models.TextField(
        _("Zusammenfassung (deutsch)"),
        max_length=4000,
        validators=[no_control_characters_multiline],
    )
    summary_en = models.TextField(
        _("Zusammenfassung (englisch)"),
        max_length=4000,
        blank=True,
        validators=[no_control_characters_multiline],
    )
    body = models.TextField(
        _("Text"), max_length=50_000, blank=True, validators=[no_control_characters_multiline]
    )
    url = models.URLField(_("Link"), max_length=500, blank=True, validators=[http_url])
    file = models.FileField(_("Datei"), upload_to="library/", max_length=200, blank=True)
    file_name = models.CharField(_("Dateiname"), max_length=200, blank=True)
    file_type = models.CharField(_("Dateityp"), max_length=40, blank=True)
    file_size = models.PositiveIntegerField(_("Dateigröße (Bytes)"), null=True, blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="resources")
    procedure_types = ListField(_("Verfahrensarten"), default=list, blank=True)
    size_classes = ListField(_("Größenklassen"), default=list, blank=True)
    states = ListField(_("Bundesländer"), default=list, blank=True)
    # ISO 3166 alpha-2 codes ("DE", "BR", "FR", "PT"); German examples say "DE" and their states.
    countries = ListField(_("Länder"), default=list, blank=True)
    language = models.CharField(_("Sprache"), max_length=8, choices=LANGUAGE_CHOICES, default="de")
    year = models.PositiveSmallIntegerField(
        _("Jahr"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1980), MaxValueValidator(2100)],
    )
    source = models.CharField(
        _("Quelle"), max_length=250, blank=True, validators=[no_control_characters]
    )
    licence = models.CharField(
        _("Lizenz"), max_length=120, blank=True, validators=[no_control_characters]
    )
    status = models.CharField(
        _("Status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    # Funding programmes only.
    funder = models.CharField(
        _("Fördermittelgeber"), max_length=250, blank=True, validators=[no_control_characters]
    )
    amount_min_eur = models.DecimalField(
        _("Fördersumme ab (EUR)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    amount_max_eur = models.DecimalField(
        _("Fördersumme bis (EUR)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    # Empty means "no restriction".
    eligible_states = ListField(_("förderfähige Bundesländer"), default=list, blank=True)
    eligible_kinds = ListField(_("förderfähige Kommunalarten"), default=list, blank=True)
    deadline = models.DateField(_("Antragsfrist"), null=True, blank=True)
    # Credit and provenance.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="library_submissions",
    )
    submitted_for = models.ForeignKey(
        Municipality,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="library_submissions",
        verbose_name=_("eingereicht von (Kommune)"),
    )
    author_expert = models.ForeignKey(
        "experts.ExpertProfile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="library_recommendations",
        verbose_name=_("Expert*in"),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Kept by a trigger on PostgreSQL (library/search.py); unused (NULL) on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("Bibliothekseintrag")
        verbose_name_plural = _("Bibliothekseinträge")
        indexes = [
            models.Index(fields=["status", "kind", "-published_at"], name="library_status_kind"),
            # "Has the library changed?" (Max over all rows) is answered from this index alone.
            models.Index(fields=["updated_at"], name="library_updated"),
            # Open funding programmes in deadline order, read straight from the index.
            models.Index(fields=["kind", "status", "deadline", "id"], name="library_deadline"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_min_eur__isnull=True)
                | Q(amount_max_eur__isnull=True)
                | Q(amount_max_eur__gte=models.F("amount_min_eur")),
                name="library_amount_range",
            ),
            models.CheckConstraint(
                condition=Q(amount_min_eur__isnull=True) | Q(amount_min_eur__gte=0),
                name="library_amount_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title_de

    @property
    def title(self) -> str:
        if translation.get_language() == "en" and self.title_en:
            return self.title_en
        return self.title_de

    @property
    def summary(self) -> str:
        if translation.get_language() == "en" and self.summary_en:
            return self.summary_en
        return self.summary_de

    @property
    def credit(self) -> str:
        """Who to thank on the page: the submitting municipality or the recommending expert."""
        if self.submitted_for_id:
            return self.submitted_for.name
        if self.author_expert_id:
            return self.author_expert.display_name
        return ""
