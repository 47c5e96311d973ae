"""Tickets in the back office. State moves only through actions and saves that call
support.services; support staff never delete a ticket or a reply (their Group has no delete
permission, and these admins offer none)."""

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.admin_base import (
    CUSTOMER_SEARCH,
    PlatformModelAdmin,
    PlatformTabularInline,
    run_service,
    show_saved,
)
from support import selectors, services
from support.models import CannedReply, Department, Ticket, TicketAttachment, TicketReply, TicketStatus


class AssignmentFilter(admin.SimpleListFilter):
    """ "My tickets" and "Unassigned": the two queues an agent starts the day with."""

    title = "assignment"
    parameter_name = "assignment"

    def lookups(self, request, model_admin):
        return (("mine", "My tickets"), ("unassigned", "Unassigned"))

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "unassigned":
            return queryset.filter(assigned_to__isnull=True).exclude(status=TicketStatus.CLOSED)
        return queryset


class SlaFilter(admin.SimpleListFilter):
    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return (("breached", "Past its target"), ("today", "Due within 24 h"))

    def queryset(self, request, queryset):
        now = timezone.now()
        active = queryset.filter(status__in=[TicketStatus.OPEN, TicketStatus.IN_PROGRESS])
        if self.value() == "breached":
            return active.filter(
                Q(first_responded_at__isnull=True, first_response_due_at__lt=now) | Q(resolution_due_at__lt=now)
            )
        if self.value() == "today":
            return active.filter(resolution_due_at__lt=now + timezone.timedelta(hours=24))
        return queryset


class TicketReplyInline(PlatformTabularInline):
    """The conversation so far, internal notes included; replies are never edited afterwards."""

    model = TicketReply
    fields = ("created_at", "author", "is_internal", "message")
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = "conversation"

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class NewReplyForm(forms.ModelForm):
    canned_reply = forms.ModelChoiceField(
        queryset=CannedReply.objects.order_by("title"),
        required=False,
        help_text="Used as the message when the message is left empty; its placeholders are filled in.",
    )
    await_customer = forms.BooleanField(
        required=False, initial=True, label="Wait on the customer", help_text="Auto-close counts from this reply."
    )

    class Meta:
        model = TicketReply
        fields = ("message", "is_internal")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["message"].required = False

    def has_changed(self):
        # A form with only the "wait" box at its initial value is the blank row, not a reply.
        return bool(self.data.get(self.add_prefix("message")) or self.data.get(self.add_prefix("canned_reply")))


class NewTicketReplyInline(PlatformTabularInline):
    """A blank row to write a reply or an internal note; saved through add_ticket_reply."""

    model = TicketReply
    form = NewReplyForm
    fields = ("message", "canned_reply", "is_internal", "await_customer")
    extra = 1
    max_num = 1
    can_delete = False
    verbose_name = "new reply"
    verbose_name_plural = "write a reply (tick internal for a staff-only note)"

    def get_queryset(self, request):
        return super().get_queryset(request).none()


@admin.register(Ticket)
class TicketAdmin(PlatformModelAdmin):
    change_form_template = "admin/support/ticket/change_form.html"
    list_display = (
        "subject",
        "customer",
        "department",
        "category",
        "priority",
        "status",
        "assigned_to",
        "sla_time_left",
        "updated_at",
    )
    list_filter = (AssignmentFilter, SlaFilter, "status", "priority", "department", "category")
    search_fields = ("subject", "=public_id", *CUSTOMER_SEARCH)
    list_select_related = ("customer__user", "assigned_to", "department")
    autocomplete_fields = ("customer", "assigned_to")
    raw_id_fields = ("server", "invoice", "payment")
    date_hierarchy = "created_at"
    inlines = (TicketReplyInline, NewTicketReplyInline)
    actions = ("assign_to_me", "wait_on_customer", "close_tickets", "reopen_tickets")

    def get_readonly_fields(self, request, obj=None):
        always = (
            "public_id",
            "status",
            "closed_at",
            "first_response_due_at",
            "resolution_due_at",
            "first_responded_at",
            "waiting_since",
            "escalated_at",
            "created_at",
            "updated_at",
        )
        if obj is None:
            return (*always, "assigned_to")
        return (*always, "customer", "server", "invoice", "payment", "message")

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "assigned_to" in form.base_fields:
            form.base_fields["assigned_to"].queryset = form.base_fields["assigned_to"].queryset.filter(
                is_staff=True, is_active=True
            )
        return form

    @admin.display(description="SLA left")
    def sla_time_left(self, obj):
        left = selectors.sla_left(obj)
        if left is None:
            return "—"
        hours = left.total_seconds() / 3600
        if hours < 0:
            return format_html('<span style="color:#b42318;font-weight:600">{} h over</span>', f"{-hours:.1f}")
        return f"{hours:.1f} h"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Beside the thread, the customer's context (balances, ledger, servers, invoices, tier...)."""
        extra_context = extra_context or {}
        if object_id:
            ticket = self.get_object(request, object_id)
            if ticket is not None:
                extra_context["customer_context"] = selectors.customer_context(customer=ticket.customer)
                extra_context["ticket_attachments"] = list(ticket.attachments.select_related("uploaded_by"))
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        """A new ticket through open_ticket (the server, invoice and payment must be the customer's);
        edits through update_ticket, and a new assignee through assign_ticket."""
        data = form.cleaned_data
        if change:
            saved = services.update_ticket(
                ticket=obj,
                subject=data["subject"],
                category=data["category"],
                priority=data["priority"],
                department=data.get("department"),
                by=request.user,
            )
            assignee = data.get("assigned_to")
            if "assigned_to" in form.changed_data and assignee is not None:
                saved = services.assign_ticket(ticket=saved, assignee=assignee, by=request.user)
        else:
            saved = services.open_ticket(
                customer=data["customer"],
                subject=data["subject"],
                message=data["message"],
                category=data["category"],
                priority=data["priority"],
                server=data["server"],
                invoice=data["invoice"],
                payment=data.get("payment"),
                department=data.get("department"),
            )
        show_saved(obj, saved)

    def save_formset(self, request, form, formset, change):
        """A new reply through add_ticket_reply; a refusal (a closed ticket) rolls the whole save back
        and comes back on the form. The conversation's rows are never written here."""
        if formset.model is not TicketReply:
            return
        # The admin's change message reads these; replies are only ever added, never edited.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for reply_form in formset.forms:
            data = getattr(reply_form, "cleaned_data", None)
            if reply_form.instance.pk or not data:
                continue
            message = data.get("message") or ""
            if not message.strip() and data.get("canned_reply"):
                message = services.render_canned_reply(
                    canned=data["canned_reply"], ticket=form.instance, agent=request.user
                )
            if not message.strip():
                continue
            reply = services.add_ticket_reply(
                ticket=form.instance,
                author=request.user,
                message=message,
                is_internal=data.get("is_internal", False),
                await_customer=data.get("await_customer", False),
            )
            formset.new_objects.append(reply)

    @admin.action(description="Assign selected tickets to me")
    def assign_to_me(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda t: services.assign_ticket(ticket=t, assignee=request.user, by=request.user),
            "tickets assigned",
        )

    @admin.action(description="Wait on the customer")
    def wait_on_customer(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda t: services.wait_on_customer(ticket=t, by=request.user),
            "tickets waiting on the customer",
        )

    @admin.action(description="Close selected tickets")
    def close_tickets(self, request, queryset):
        run_service(
            self, request, queryset, lambda t: services.close_ticket(ticket=t, by=request.user), "tickets closed"
        )

    @admin.action(description="Reopen selected tickets")
    def reopen_tickets(self, request, queryset):
        run_service(
            self, request, queryset, lambda t: services.reopen_ticket(ticket=t, by=request.user), "tickets reopened"
        )


@admin.register(Department)
class DepartmentAdmin(PlatformModelAdmin):
    plain_save = "A queue's name and the categories routed to it are reference data with no rule behind them."
    list_display = ("name", "slug", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "slug")
    list_select_related = ()
    prepopulated_fields = {"slug": ("name",)}
    date_hierarchy = "created_at"

    def has_delete_permission(self, request, obj=None):
        # Tickets keep their queue; a queue no longer used is switched off instead.
        return False


@admin.register(CannedReply)
class CannedReplyAdmin(PlatformModelAdmin):
    plain_save = "A canned reply is prepared text; placeholders are filled only when an agent uses it."
    list_display = ("title", "department", "updated_at")
    list_filter = ("department",)
    search_fields = ("title", "body")
    list_select_related = ("department",)
    date_hierarchy = "created_at"


@admin.register(TicketAttachment)
class TicketAttachmentAdmin(PlatformModelAdmin):
    # The file itself has no public URL: it is downloaded through the view that checks who asks.
    fields = ("download", "ticket", "reply", "size", "content_type", "uploaded_by", "created_at")
    readonly_fields = fields
    list_display = ("original_name", "ticket", "size", "content_type", "uploaded_by", "created_at")
    list_filter = ("created_at",)
    search_fields = ("original_name", "ticket__subject", "=public_id")
    list_select_related = ("ticket", "uploaded_by")
    raw_id_fields = ("ticket", "reply", "uploaded_by")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="file")
    def download(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("portal:ticket_attachment", args=[obj.public_id]), obj.original_name
        )
