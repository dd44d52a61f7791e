"""Pages of the exchange (German first, forms work without JavaScript): the forum, following and
unsubscribe, and "Meine Kontakte". Moderation buttons show for coordinators on the same pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.errors import DomainError, Invalid, NotFound
from core.pages import in_viewer_zone
from core.roles import is_coordinator, municipality_id_of
from exchange import contacts, following, forum, moderation, search, selectors
from exchange.access import RateLimited, is_member
from exchange.api_contacts import contact_of
from exchange.forms import (
    ContactForm,
    DeliveryForm,
    EditForm,
    ReplyForm,
    ReportForm,
    SearchForm,
    ThreadForm,
)
from exchange.models import ContactRequest, Thread
from exchange.post_list import Viewer, render_posts

THREADS_PER_PAGE = 25
POSTS_PER_PAGE = 500
View = Callable[..., HttpResponse]


def member_page(view: View) -> View:
    """Anonymous visitors go to the login; signed-in non-members find nothing here (404)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_member(request.user):
            raise Http404
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None

    return wrapper


def _back(request: HttpRequest, thread_id: int, exc: DomainError | None = None) -> HttpResponse:
    if exc is not None:
        messages.error(request, exc.message)
    response = redirect("exchange:thread", thread_id=thread_id)
    if isinstance(exc, RateLimited):
        # The page still answers 429 with the way back, so that a script flooding it is told.
        response = render(request, "exchange/too_many.html", {"thread_id": thread_id}, status=429)
        response["Retry-After"] = str(exc.retry_after)
    return response


def _form_errors(form: Any, exc: Invalid) -> None:
    for name, problems in exc.fields.items():
        form.add_error(name if name in form.fields else None, problems)
    if not exc.fields:
        form.add_error(None, exc.message)


# --- forum ------------------------------------------------------------------------------------


@member_page
@in_viewer_zone
def forum_list(request: HttpRequest) -> HttpResponse:
    search_form = SearchForm(request.GET or None, auto_id="search_%s")
    thread_form = ThreadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if thread_form.is_valid():
            data = thread_form.cleaned_data
            try:
                thread = forum.create_thread(
                    user=request.user,
                    title=data["title"],
                    body=data["body"],
                    topic_slug=data["topic"],
                    kind=data["kind"],
                    uploads=[data["attachment"]] if data.get("attachment") else [],
                )
            except Invalid as exc:
                _form_errors(thread_form, exc)
            except RateLimited as exc:
                thread_form.add_error(None, exc.message)
                status = 429
            else:
                messages.success(request, _("Ihr Thema ist eröffnet."))
                return redirect("exchange:thread", thread_id=thread.pk)
        status = status if status != 200 else 400
    q, topic = "", ""
    if search_form.is_valid():
        topic = search_form.cleaned_data.get("topic") or ""
        try:
            q = search.clean_query(search_form.cleaned_data.get("q"))
        except Invalid as exc:
            search_form.add_error("q", exc.message)
            status = 400
    threads = selectors.thread_list(user=request.user, search_text=q, topic=topic)
    page = Paginator(threads, THREADS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "exchange/forum.html",
        {
            "search_form": search_form,
            "thread_form": thread_form,
            "page": page,
            "q": q,
            "topics": selectors.topics(),
            "query": query.urlencode(),
        },
        status=status,
    )


@in_viewer_zone
def thread_detail(
    request: HttpRequest, thread_id: int, *, form: Any = None, status: int = 200
) -> HttpResponse:
    try:
        thread = selectors.thread_for(user=request.user, thread_id=thread_id)
    except NotFound:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise Http404 from None
    posts = Paginator(selectors.posts_of(user=request.user, thread=thread), POSTS_PER_PAGE)
    page = posts.get_page(request.GET.get("page"))
    member = is_member(request.user)
    quote = None
    if form is None and member:
        quote_id = request.GET.get("quote", "")
        quote = next((p for p in page.object_list if str(p.pk) == quote_id), None)
        form = ReplyForm(initial={"quote": quote.pk} if quote else None)
    coordinator = is_coordinator(request.user)
    viewer = Viewer(
        user_id=request.user.pk,
        member=member,
        coordinator=coordinator,
        can_solve=thread.kind == Thread.Kind.QUESTION
        and (thread.author_id == request.user.pk or coordinator),
        helpful=frozenset(
            selectors.helpful_post_ids(user=request.user, post_ids=[p.pk for p in page.object_list])
        ),
        csrf_token=get_token(request),
    )
    return render(
        request,
        "exchange/thread.html",
        {
            "thread": thread,
            "page": page,
            "posts_html": render_posts(page.object_list, thread=thread, viewer=viewer),
            "form": form,
            "quote": quote,
            "member": member,
            "coordinator": coordinator,
            "following": selectors.follows_thread(user=request.user, thread=thread),
            "topics": selectors.topics() if is_coordinator(request.user) else (),
        },
        status=status,
    )


@require_POST
@member_page
def reply(request: HttpRequest, thread_id: int) -> HttpResponse:
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            post = forum.reply(
                user=request.user,
                thread_id=thread_id,
                body=data["body"],
                quote_id=data.get("quote"),
                uploads=[data["attachment"]] if data.get("attachment") else [],
            )
        except Invalid as exc:
            _form_errors(form, exc)
        except DomainError as exc:
            return _back(request, thread_id, exc)
        else:
            response = redirect("exchange:thread", thread_id=thread_id)
            response["Location"] += f"#post-{post.pk}"
            return response
    return thread_detail(request, thread_id, form=form, status=400)


@require_POST
@member_page
def solve(request: HttpRequest, thread_id: int) -> HttpResponse:
    raw = request.POST.get("post", "")
    try:
        forum.solve(
            user=request.user, thread_id=thread_id, post_id=int(raw) if raw.isdigit() else None
        )
    except NotFound:
        raise
    except DomainError as exc:
        return _back(request, thread_id, exc)
    messages.success(request, _("Gespeichert."))
    return _back(request, thread_id)


@require_POST
@member_page
def helpful(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_for(user=request.user, post_id=post_id)
    try:
        forum.mark_helpful(user=request.user, post_id=post_id)
    except DomainError as exc:
        return _back(request, post.thread_id, exc)
    response = _back(request, post.thread_id)
    response["Location"] += f"#post-{post.pk}"
    return response


@require_POST
@member_page
def follow(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = selectors.thread_for(user=request.user, thread_id=thread_id)
    if request.POST.get("follow") == "0":
        following.unfollow_thread(user=request.user, thread_id=thread.pk)
        messages.success(request, _("Sie folgen diesem Thema nicht mehr."))
    else:
        following.follow_thread(user=request.user, thread=thread)
        messages.success(request, _("Sie folgen diesem Thema."))
    return _back(request, thread.pk)


@member_page
def report(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_for(user=request.user, post_id=post_id)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            moderation.report_post(
                user=request.user, post_id=post.pk, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            return _back(request, post.thread_id, exc)
        messages.success(request, _("Danke, die Koordination sieht sich den Beitrag an."))
        return _back(request, post.thread_id)
    return render(
        request,
        "exchange/report.html",
        {"post": post, "form": form},
        status=400 if form.errors else 200,
    )


@member_page
def edit(request: HttpRequest, post_id: int) -> HttpResponse:
    """The author edits their post; a coordinator edits any (kept in the history and the log)."""
    post = selectors.post_for(user=request.user, post_id=post_id)
    coordinator = is_coordinator(request.user)
    if post.author_id != request.user.pk and not coordinator:
        raise Http404
    form = EditForm(request.POST or None, initial={"body": post.body})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if post.author_id == request.user.pk:
                forum.edit_own_post(user=request.user, post_id=post.pk, body=data["body"])
            else:
                moderation.moderate_post(
                    user=request.user,
                    post_id=post.pk,
                    action="edit",
                    body=data["body"],
                    reason=data.get("reason", ""),
                )
        except Invalid as exc:
            _form_errors(form, exc)
        except DomainError as exc:
            return _back(request, post.thread_id, exc)
        else:
            return _back(request, post.thread_id)
    return render(
        request,
        "exchange/edit.html",
        {"post": post, "form": form, "coordinator": coordinator},
        status=400 if form.errors else 200,
    )


@member_page
def history(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_for(user=request.user, post_id=post_id)
    revisions = post.revisions.select_related("edited_by")
    return render(request, "exchange/history.html", {"post": post, "revisions": revisions})


@require_POST
@member_page
def moderate(request: HttpRequest, thread_id: int) -> HttpResponse:
    try:
        if request.POST.get("post"):
            raw = request.POST["post"]
            moderation.moderate_post(
                user=request.user,
                post_id=int(raw) if raw.isdigit() else 0,
                action=request.POST.get("action", ""),
                reason=request.POST.get("reason", ""),
            )
        else:
            moderation.moderate_thread(
                user=request.user,
                thread_id=thread_id,
                action=request.POST.get("action", ""),
                topic_slug=request.POST.get("topic", ""),
                reason=request.POST.get("reason", ""),
            )
    except NotFound:
        raise
    except DomainError as exc:
        return _back(request, thread_id, exc)
    messages.success(request, _("Gespeichert."))
    return _back(request, thread_id)


def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    try:
        found = selectors.attachment_for(user=request.user, attachment_id=attachment_id)
    except NotFound:
        raise Http404 from None
    response = FileResponse(
        found.file.open("rb"),
        content_type=found.content_type,
        filename=found.name,
        as_attachment=found.content_type == "application/pdf",
    )
    # The bytes were checked on upload; the sandbox keeps any surprise in them inert.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


# --- following --------------------------------------------------------------------------------


@member_page
def following_page(request: HttpRequest) -> HttpResponse:
    form = DeliveryForm(
        request.POST or None, initial={"delivery": following.delivery_of(request.user)}
    )
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "delivery" and form.is_valid():
            following.set_delivery(user=request.user, delivery=form.cleaned_data["delivery"])
            messages.success(request, _("Gespeichert."))
        elif action == "follow-topic":
            following.follow_topic(user=request.user, topic_slug=request.POST.get("topic", ""))
            messages.success(request, _("Sie folgen diesem Thema."))
        elif action == "unfollow-topic":
            following.unfollow_topic(user=request.user, topic_slug=request.POST.get("topic", ""))
        elif action == "unfollow-thread":
            raw = request.POST.get("thread", "")
            following.unfollow_thread(user=request.user, thread_id=int(raw) if raw.isdigit() else 0)
        return redirect("exchange:following")
    subscriptions = list(selectors.subscriptions_of(request.user))
    followed = {s.topic_id for s in subscriptions if s.topic_id}
    return render(
        request,
        "exchange/following.html",
        {
            "form": form,
            "threads": [s.thread for s in subscriptions if s.thread_id],
            "topics": [(t, t.pk in followed) for t in selectors.topics()],
        },
    )


@csrf_exempt  # RFC 8058: mail clients POST without a session; the signed token is the key
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        data = following.read_token(token)
    except NotFound:
        raise Http404 from None
    done = False
    if request.method == "POST":
        following.unsubscribe(token=token)
        done = True
    return render(request, "exchange/unsubscribe.html", {"kind": data["k"], "done": done})


# --- contacts ---------------------------------------------------------------------------------


def _staff_page(view: View) -> View:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if municipality_id_of(request.user) is None:
            raise Http404
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None

    return wrapper


def _with_contact(request: HttpRequest, found: ContactRequest) -> dict[str, Any]:
    sent = found.sender_organisation_id == municipality_id_of(request.user)
    contact = None
    if found.status == ContactRequest.Status.ACCEPTED:
        contact = contact_of(found, "recipient" if sent else "sender")
    return {"item": found, "sent": sent, "contact": contact}


@_staff_page
@in_viewer_zone
def contact_list(request: HttpRequest) -> HttpResponse:
    rows = [_with_contact(request, found) for found in selectors.contact_requests_for(request.user)]
    return render(request, "exchange/contacts.html", {"rows": rows})


@_staff_page
@in_viewer_zone
def contact_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    found = selectors.contact_request_for(user=request.user, request_id=request_id)
    if request.method == "POST":
        decide = contacts.accept if request.POST.get("action") == "accept" else contacts.decline
        try:
            decide(user=request.user, request_id=found.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Ihre Entscheidung ist gespeichert."))
        return redirect("exchange:contact", request_id=found.pk)
    return render(request, "exchange/contact.html", _with_contact(request, found))


@_staff_page
def contact_new(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = selectors.contactable_organisation(
        user=request.user, organisation_id=organisation_id
    )
    form = ContactForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                sent = contacts.send_contact_request(
                    user=request.user,
                    to_organisation_id=organisation.pk,
                    message=form.cleaned_data["message"],
                )
            except Invalid as exc:
                _form_errors(form, exc)
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Ihre Kontaktanfrage ist verschickt."))
                return redirect("exchange:contact", request_id=sent.pk)
        status = status if status != 200 else 400
    return render(
        request,
        "exchange/contact_new.html",
        {"organisation": organisation, "form": form},
        status=status,
    )
