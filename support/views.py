"""The player's support pages: tickets (open, list, thread, reply, attach, close), the
notification list and the notification preferences. Views call support.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.selectors import customer_of
from games.models import Server
from support import selectors, services
from support.errors import SupportError
from support.forms import NewTicketForm, ReplyForm
from support.models import Channel, DiscordWebhook, NotificationSettings, NotificationType, TicketStatus

PAGE_SIZE = 20
# Notices only staff receive (an assignee told of an escalation): not offered to players.
STAFF_ONLY_TYPES = {NotificationType.TICKET_ESCALATED}


def _customer_or_404(request):
    customer = customer_of(request.user)
    if customer is None:
        raise Http404("Support pages are for players.")
    return customer


def _show_refusal(form, exc: SupportError) -> None:
    field = (exc.details or {}).get("field")
    form.add_error(field if field in form.fields else None, f"{exc.message}")


@login_required
def ticket_list(request):
    customer = _customer_or_404(request)
    page = Paginator(selectors.tickets_of(customer=customer), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "support/ticket_list.html", {"page": page, "tickets": page.object_list})


@login_required
def ticket_new(request):
    customer = _customer_or_404(request)
    form = NewTicketForm(request.POST or None, request.FILES or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.open_ticket(
                customer=customer,
                subject=data["subject"],
                message=data["message"],
                category=data["category"],
                priority=data["priority"],
                server=data["server"],
                invoice=data["invoice"],
                payment=data["payment"],
                attachments=data["attachments"],
            )
        except SupportError as exc:
            _show_refusal(form, exc)
        else:
            messages.success(request, "Your ticket is open. We will answer here and by email.")
            return redirect("portal:ticket", public_id=ticket.public_id)
    return render(request, "support/ticket_new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def ticket_detail(request, public_id):
    customer = _customer_or_404(request)
    ticket = selectors.player_ticket(customer=customer, public_id=public_id)
    if ticket is None:
        raise Http404("No such ticket.")
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_ticket_reply(
                ticket=ticket,
                author=request.user,
                message=form.cleaned_data["message"],
                attachments=form.cleaned_data["attachments"],
            )
        except SupportError as exc:
            _show_refusal(form, exc)
        else:
            messages.success(request, "Reply sent.")
            return redirect("portal:ticket", public_id=ticket.public_id)
    context = {"ticket": ticket, "form": form, "closed": ticket.status == TicketStatus.CLOSED}
    return render(request, "support/ticket_detail.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def ticket_close(request, public_id):
    customer = _customer_or_404(request)
    ticket = selectors.player_ticket(customer=customer, public_id=public_id)
    if ticket is None:
        raise Http404("No such ticket.")
    try:
        services.close_ticket(ticket=ticket, by=request.user)
    except SupportError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Ticket closed. Reply to it if you need us again.")
    return redirect("portal:ticket", public_id=ticket.public_id)


@login_required
def attachment_download(request, public_id):
    """A ticket's file, for the ticket's player or staff who may see tickets; always a download,
    never rendered inline, so a file cannot run as a page of this site."""
    attachment = selectors.attachment_for(user=request.user, public_id=public_id)
    if attachment is None:
        raise Http404("No such file.")
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def notification_list(request):
    page = Paginator(selectors.notifications_of(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "support/notification_list.html", {"page": page, "notifications": page.object_list})


@login_required
@require_POST
def notification_read(request, public_id):
    notification = selectors.notifications_of(user=request.user).filter(public_id=public_id).first()
    if notification is None:
        raise Http404("No such notification.")
    services.mark_notification_read(notification=notification)
    target = notification.action_url
    if request.POST.get("open") and target and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return HttpResponseRedirect(target)
    return redirect("portal:notifications")


@login_required
@require_POST
def notification_read_all(request):
    count = services.mark_all_notifications_read(user=request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect("portal:notifications")


@login_required
def notification_settings(request):
    user = request.user
    record = NotificationSettings.objects.filter(user=user).first()
    stored = record.type_preferences if record else {}
    errors = []
    if request.method == "POST":
        preferences = {}
        for row in services.preferences_of(user=user, stored=stored):
            if row.forced:
                continue
            preferences[row.type] = {
                channel: request.POST.get(f"{row.type}:{channel}") == "on" for channel in Channel.values
            }
        try:
            services.save_notification_settings(
                user=user,
                low_balance_threshold=request.POST.get("low_balance_threshold", "").strip() or "0",
                notification_email=request.POST.get("notification_email", "").strip(),
                type_preferences=preferences,
            )
        except SupportError as exc:
            errors.append(exc.message)
        else:
            messages.success(request, "Notification settings saved.")
            return redirect(reverse("portal:notification_settings"))
    rows = services.preferences_of(user=user, stored=stored)
    if not user.is_staff:
        rows = [row for row in rows if row.type not in STAFF_ONLY_TYPES]
    context = {
        "rows": rows,
        "record": record,
        "threshold": request.POST.get("low_balance_threshold")
        or (f"{record.low_balance_threshold:.2f}" if record else "10.00"),
        "notification_email": request.POST.get("notification_email") or (record.notification_email if record else ""),
        "errors": errors,
    }
    return render(request, "support/notification_settings.html", context, status=400 if errors else 200)


@login_required
def discord_webhooks(request):
    """The player's Discord webhooks: add one (URL checked, template checked), send a test, remove."""
    customer = _customer_or_404(request)
    errors = []
    if request.method == "POST":
        server = None
        server_id = request.POST.get("server")
        if server_id:
            server = Server.objects.filter(customer=customer, pk=server_id).first()
            if server is None:
                errors.append("Choose one of your servers.")
        if not errors:
            try:
                services.create_discord_webhook(
                    owner=request.user,
                    name=request.POST.get("name", ""),
                    url=request.POST.get("url", ""),
                    server=server,
                    kinds={kind: request.POST.get(kind) == "on" for kind in services.DISCORD_KINDS},
                    message_template=request.POST.get("message_template", ""),
                )
            except SupportError as exc:
                errors.append(exc.message)
            else:
                messages.success(request, "Webhook added. Send a test to check it.")
                return redirect("portal:discord_webhooks")
    context = {
        "webhooks": DiscordWebhook.objects.filter(owner=request.user).select_related("server").order_by("name"),
        "servers": Server.objects.filter(customer=customer).order_by("name"),
        "kinds": services.DISCORD_KINDS,
        "errors": errors,
        "form": request.POST,
    }
    return render(request, "support/discord_webhooks.html", context, status=400 if errors else 200)


@login_required
@require_POST
def discord_webhook_action(request, pk: int, action: str):
    webhook = DiscordWebhook.objects.filter(owner=request.user, pk=pk).first()
    if webhook is None:
        raise Http404("No such webhook.")
    if action == "test":
        services.send_discord_test(webhook=webhook)
        messages.success(request, f"Test message queued for {webhook.name}.")
    elif action == "delete":
        services.delete_discord_webhook(webhook=webhook)
        messages.success(request, f"{webhook.name} removed.")
    else:
        raise Http404("No such action.")
    return redirect("portal:discord_webhooks")
