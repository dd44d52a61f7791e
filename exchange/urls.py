"""Pages of the exchange under /austausch/ (the peer suggestions at /austausch/ are consult's)."""

from django.urls import path

from exchange import views, views_debates

app_name = "exchange"

urlpatterns = [
    path("austausch/forum/", views.forum_list, name="forum"),
    path("austausch/forum/<int:thread_id>/", views.thread_detail, name="thread"),
    path("austausch/forum/<int:thread_id>/antworten/", views.reply, name="reply"),
    path("austausch/forum/<int:thread_id>/geloest/", views.solve, name="solve"),
    path("austausch/forum/<int:thread_id>/folgen/", views.follow, name="follow"),
    path("austausch/forum/<int:thread_id>/moderieren/", views.moderate, name="moderate"),
    path("austausch/forum/beitrag/<int:post_id>/hilfreich/", views.helpful, name="helpful"),
    path("austausch/forum/beitrag/<int:post_id>/melden/", views.report, name="report"),
    path("austausch/forum/beitrag/<int:post_id>/bearbeiten/", views.edit, name="edit"),
    path("austausch/forum/beitrag/<int:post_id>/fassungen/", views.history, name="history"),
    path("austausch/forum/anhang/<int:attachment_id>/", views.attachment, name="attachment"),
    path("austausch/folgen/", views.following_page, name="following"),
    path("austausch/abbestellen/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("austausch/kontakte/", views.contact_list, name="contacts"),
    path("austausch/kontakte/<int:request_id>/", views.contact_detail, name="contact"),
    path("austausch/kontakte/neu/<int:organisation_id>/", views.contact_new, name="contact-new"),
    path("austausch/debatten/", views_debates.debate_list, name="debates"),
    path("austausch/debatten/neu/", views_debates.debate_edit, name="debate-new"),
    path("austausch/debatten/<int:debate_id>/", views_debates.debate_detail, name="debate"),
    path(
        "austausch/debatten/<int:debate_id>/beitragen/",
        views_debates.contribute,
        name="debate-contribute",
    ),
    path(
        "austausch/debatten/<int:debate_id>/bearbeiten/",
        views_debates.debate_edit,
        name="debate-edit",
    ),
    path(
        "austausch/debatten/<int:debate_id>/zusammenfassung/",
        views_debates.debate_summary,
        name="debate-summary",
    ),
    path("austausch/neuigkeiten/", views_debates.news_list, name="news"),
    path("austausch/neuigkeiten/atom.xml", views_debates.NewsFeed(), name="news-feed"),
    path("austausch/neuigkeiten/neu/", views_debates.news_edit, name="news-new"),
    path("austausch/neuigkeiten/<int:news_id>/", views_debates.news_item, name="news-item"),
    path(
        "austausch/neuigkeiten/<int:news_id>/bearbeiten/",
        views_debates.news_edit,
        name="news-edit",
    ),
    path("austausch/netzwerke/", views_debates.partner_list, name="partners"),
    path("austausch/netzwerke/neu/", views_debates.partner_edit, name="partner-new"),
    path(
        "austausch/netzwerke/<int:partner_id>/bearbeiten/",
        views_debates.partner_edit,
        name="partner-edit",
    ),
    path(
        "austausch/netzwerke/<int:partner_id>/entfernen/",
        views_debates.partner_delete,
        name="partner-delete",
    ),
]
