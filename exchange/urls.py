"""Pages of the exchange under /austausch/ (the peer suggestions at /austausch/ are consult's)."""

from django.urls import path

from exchange import views

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
]
