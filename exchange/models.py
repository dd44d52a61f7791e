"""Exchange between members: forum threads and posts, contact requests between organisations,
following, and moderation records.

The full-text index is installed by `exchange/search.py` (PostgreSQL: trigger-kept
`search_vector` with a GIN index; SQLite: FTS5 tables over `search_text`, the German stems).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from consult.models import Municipality, Topic

User = settings.AUTH_USER_MODEL


class Thread(models.Model):
    class Kind(models.TextChoices):
        DISCUSSION = "discussion", _("Diskussion")
        QUESTION = "question", _("Frage")

    title = models.CharField(_("Titel"), max_length=200)
    topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, related_name="threads", verbose_name=_("Thema")
    )
    kind = models.CharField(_("Art"), max_length=12, choices=Kind.choices, default=Kind.DISCUSSION)
    author = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="forum_threads"
    )
    organisation = models.ForeignKey(
        Municipality, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The opening post: the thread's body, rendered in lists without a second query.
    first_post = models.ForeignKey(
        "Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    public = models.BooleanField(_("öffentlich lesbar"), default=False)
    locked = models.BooleanField(_("gesperrt"), default=False)
    hidden = models.BooleanField(_("ausgeblendet"), default=False)
    solved_post = models.ForeignKey(
        "Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    post_count = models.PositiveIntegerField(default=0)
    last_post_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # German stems of the title (SQLite FTS5 indexes these); PostgreSQL's trigger fills the vector.
    search_text = models.TextField(blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-last_post_at", "-id"]
        verbose_name = _("Forumsbeitrag")
        verbose_name_plural = _("Forumsbeiträge")
        indexes = [
            models.Index(fields=["hidden", "-last_post_at", "-id"], name="exchange_thread_recent"),
            models.Index(fields=["topic", "-last_post_at"], name="exchange_thread_topic"),
        ]

    def __str__(self) -> str:
        return self.title


class Post(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="forum_posts"
    )
    organisation = models.ForeignKey(
        Municipality, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField(_("Text (Markdown)"), max_length=20_000)
    # Sanitised HTML of `body` (exchange/markdown.py), stored so that a page never renders it.
    body_html = models.TextField(editable=False)
    quote = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden = models.BooleanField(_("ausgeblendet"), default=False)
    helpful_count = models.PositiveIntegerField(default=0)
    edited_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    search_text = models.TextField(blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("Antwort")
        verbose_name_plural = _("Antworten")
        indexes = [models.Index(fields=["thread", "created_at", "id"], name="exchange_post_thread")]

    def __str__(self) -> str:
        return f"#{self.pk} in {self.thread_id}"


class PostRevision(models.Model):
    """An earlier text of an edited post: edits by authors and moderators stay visible."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    edited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    edited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-edited_at", "-id"]
        verbose_name = _("frühere Fassung")
        verbose_name_plural = _("frühere Fassungen")

    def __str__(self) -> str:
        return f"{self.post_id} @ {self.edited_at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="exchange/", max_length=200)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        verbose_name = _("Anhang")
        verbose_name_plural = _("Anhänge")

    def __str__(self) -> str:
        return self.name


class HelpfulVote(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="helpful_votes")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "user"], name="exchange_helpful_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.post_id}"


class ContactRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("offen")
        ACCEPTED = "accepted", _("angenommen")
        DECLINED = "declined", _("abgelehnt")

    sender_organisation = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="contact_requests_sent"
    )
    recipient_organisation = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="contact_requests_received"
    )
    sender = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    message = models.TextField(_("Nachricht"), max_length=4000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Kontaktanfrage")
        verbose_name_plural = _("Kontaktanfragen")
        constraints = [
            models.UniqueConstraint(
                fields=["sender_organisation", "recipient_organisation"],
                condition=Q(status="pending"),
                name="exchange_contact_one_pending",
            ),
            models.CheckConstraint(
                condition=~Q(sender_organisation=models.F("recipient_organisation")),
                name="exchange_contact_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender_organisation_id} → {self.recipient_organisation_id} ({self.status})"


class FollowSettings(models.Model):
    """A person's choice of how followed threads reach them."""

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", _("sofort")
        DIGEST = "digest", _("täglich gesammelt")
        NONE = "none", _("keine E-Mails")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="forum_follow")
    delivery = models.CharField(
        _("Benachrichtigung"), max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE
    )

    def __str__(self) -> str:
        return f"{self.user_id}: {self.delivery}"


class Subscription(models.Model):
    """A person follows one thread or one topic."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="forum_subscriptions")
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, null=True, blank=True, related_name="subscriptions"
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(thread__isnull=True, topic__isnull=False)
                | Q(thread__isnull=False, topic__isnull=True),
                name="exchange_subscription_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "thread"],
                condition=Q(thread__isnull=False),
                name="exchange_subscription_thread",
            ),
            models.UniqueConstraint(
                fields=["user", "topic"],
                condition=Q(topic__isnull=False),
                name="exchange_subscription_topic",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.thread_id or self.topic_id}"


class DigestEntry(models.Model):
    """A post waiting for a digest reader's next daily e-mail."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=10)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "post"], name="exchange_digest_once")
        ]
        indexes = [models.Index(fields=["user", "id"], name="exchange_digest_user")]

    def __str__(self) -> str:
        return f"{self.user_id} ← {self.post_id}"


class PostReport(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    reason = models.TextField(_("Grund"), max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Meldung")
        verbose_name_plural = _("Meldungen")
        constraints = [
            models.UniqueConstraint(
                fields=["post", "reporter"],
                condition=Q(resolved_at__isnull=True),
                name="exchange_report_once_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.post_id}: {self.reason[:40]}"


class ModerationAction(models.Model):
    """The audit trail of moderation: who did what to which thread or post, and why."""

    class Action(models.TextChoices):
        HIDE_POST = "hide_post", _("Antwort ausgeblendet")
        SHOW_POST = "show_post", _("Antwort wieder eingeblendet")
        EDIT_POST = "edit_post", _("Antwort bearbeitet")
        HIDE_THREAD = "hide_thread", _("Thema ausgeblendet")
        SHOW_THREAD = "show_thread", _("Thema wieder eingeblendet")
        LOCK = "lock", _("gesperrt")
        UNLOCK = "unlock", _("entsperrt")
        MOVE = "move", _("verschoben")
        PUBLISH = "publish", _("öffentlich gemacht")
        UNPUBLISH = "unpublish", _("nur für Mitglieder")
        RESOLVE_REPORT = "resolve_report", _("Meldung erledigt")

    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    thread = models.ForeignKey(
        Thread, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    post = models.ForeignKey(
        Post, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Moderationsschritt")
        verbose_name_plural = _("Moderationsschritte")

    def __str__(self) -> str:
        return f"{self.action} ({self.actor_id})"


class Debate(models.Model):
    """A thematic debate opened by coordinators: invited kinds of organisations, input material
    from the library, contributions in its own forum thread, and a summary at the end."""

    title_de = models.CharField(_("Titel (Deutsch)"), max_length=200)
    title_en = models.CharField(_("Titel (Englisch)"), max_length=200, blank=True)
    description_de = models.TextField(_("Beschreibung (Deutsch, Markdown)"), max_length=20_000)
    description_en = models.TextField(
        _("Beschreibung (Englisch, Markdown)"), max_length=20_000, blank=True
    )
    description_html_de = models.TextField(editable=False, blank=True)
    description_html_en = models.TextField(editable=False, blank=True)
    topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, related_name="debates", verbose_name=_("Thema")
    )
    starts_at = models.DateTimeField(_("Beginn"))
    ends_at = models.DateTimeField(_("Ende"))
    # Organisation kinds (consult's OrganisationKind values) whose staff are invited.
    invited_kinds = models.JSONField(_("eingeladene Arten"), default=list, blank=True)
    materials = models.ManyToManyField(
        "library.Resource", blank=True, related_name="+", verbose_name=_("Material")
    )
    # The contributions: a debate owns one forum thread and reuses its posts.
    thread = models.OneToOneField(
        Thread, on_delete=models.PROTECT, related_name="debate", null=True, blank=True
    )
    summary_de = models.TextField(_("Zusammenfassung (Deutsch)"), blank=True, max_length=40_000)
    summary_en = models.TextField(_("Zusammenfassung (Englisch)"), blank=True, max_length=40_000)
    summary_html_de = models.TextField(editable=False, blank=True)
    summary_html_en = models.TextField(editable=False, blank=True)
    summary_published_at = models.DateTimeField(null=True, blank=True)
    summary_public = models.BooleanField(_("Zusammenfassung öffentlich"), default=False)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("Debatte")
        verbose_name_plural = _("Debatten")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="exchange_debate_ends_after"
            )
        ]

    def __str__(self) -> str:
        return self.title_de


class NewsItem(models.Model):
    """An announcement by coordinators; public once `published_at` has come."""

    title_de = models.CharField(_("Titel (Deutsch)"), max_length=200)
    title_en = models.CharField(_("Titel (Englisch)"), max_length=200, blank=True)
    body_de = models.TextField(_("Text (Deutsch, Markdown)"), max_length=20_000)
    body_en = models.TextField(_("Text (Englisch, Markdown)"), max_length=20_000, blank=True)
    body_html_de = models.TextField(editable=False, blank=True)
    body_html_en = models.TextField(editable=False, blank=True)
    published_at = models.DateTimeField(_("veröffentlicht am"), null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("Neuigkeit")
        verbose_name_plural = _("Neuigkeiten")
        indexes = [models.Index(fields=["-published_at", "-id"], name="exchange_news_recent")]

    def __str__(self) -> str:
        return self.title_de


class PartnerNetwork(models.Model):
    """A network the members may turn to as well, and what it offers them."""

    name = models.CharField(_("Name"), max_length=200, unique=True)
    url = models.URLField(_("Adresse"), max_length=300)
    description_de = models.TextField(_("Beschreibung (Deutsch)"), max_length=2000)
    description_en = models.TextField(_("Beschreibung (Englisch)"), max_length=2000, blank=True)
    offers_de = models.TextField(_("Angebot (Deutsch)"), max_length=2000)
    offers_en = models.TextField(_("Angebot (Englisch)"), max_length=2000, blank=True)
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("Partnernetzwerk")
        verbose_name_plural = _("Partnernetzwerke")

    def __str__(self) -> str:
        return self.name
