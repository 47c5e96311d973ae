"""Staff pages of identity: players, users, staff, partners and their OAuth2 clients, the audit trail.

Studio staff see none of these (no `studio_lookup`): players' personal data stays with
support, accounting and admin. The admin login goes through allauth's login, so staff
pass their TOTP step and django-axes counts the attempts.
"""

from allauth.account.decorators import secure_admin_login
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from unfold.decorators import action
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from accounts import services
from accounts.admin_base import (
    AuditedAdminMixin,
    PlatformModelAdmin,
    ReadOnlyAdmin,
    SaveOnlyWhatCanChangeMixin,
    StudioScopedMixin,
    action_confirmation_page,
    action_confirmed,
    run_service,
    service_form_page,
    show_saved,
)
from accounts.impersonation import StartImpersonationView
from accounts.models import AuditEntry, Customer, Impersonation, Partner, PartnerApplication, StaffProfile, User
from accounts.services.impersonation import MIN_REASON_LENGTH, impersonation_minutes

admin.site.login = secure_admin_login(admin.site.login)

PROJECT_APPS = {"accounts", "ledger", "games", "loyalty", "billing", "support"}


def audit_third_party_admins(site=admin.site) -> None:
    """Give the libraries' admins (allauth, axes, OAuth tokens, schedules, groups...) the audit
    trail, the studio scoping (they name no `studio_lookup`: hidden from studio staff, and each
    of their object URLs answers them 404) and no Save button where nothing can be changed.

    Their apps come before accounts in INSTALLED_APPS, so they are registered by now; each is
    re-registered as a subclass with those mixins, behaviour otherwise unchanged.
    """
    from django.db.models import Model

    for model, model_admin in list(site._registry.items()):
        if model._meta.app_label in PROJECT_APPS or isinstance(model_admin, AuditedAdminMixin):
            continue
        if not (isinstance(model, type) and issubclass(model, Model)):
            continue  # settings pages dressed as models (constance) keep their own logging
        audited = type(
            f"Audited{type(model_admin).__name__}",
            (AuditedAdminMixin, SaveOnlyWhatCanChangeMixin, StudioScopedMixin, type(model_admin)),
            {},
        )
        site.unregister(model)
        site.register(model, audited)


audit_third_party_admins()


@admin.register(User)
class UserAdmin(DjangoUserAdmin, PlatformModelAdmin):
    """Accounts are created and edited through accounts.services.create_user / update_user (unique
    usernames and addresses, a changed address unverified, roles through the staff profile)."""

    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ("username", "email", "is_active", "is_staff", "date_joined", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    search_fields = ("username", "email")
    date_hierarchy = "date_joined"
    ordering = ("-date_joined",)
    readonly_fields = ("last_login", "date_joined")
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "email", "usable_password", "password1", "password2")}),
    )

    def save_model(self, request, obj, form, change):
        """Through accounts.services; groups and permissions are set there too (see save_related)."""
        data = form.cleaned_data
        if change:
            saved = services.update_user(
                user=obj,
                actor=request.user,
                username=data["username"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                is_active=data["is_active"],
                is_staff=data["is_staff"],
                is_superuser=data["is_superuser"],
                groups=data["groups"],
                user_permissions=data["user_permissions"],
            )
        else:
            password = data.get("password1") if data.get("usable_password", "true") != "false" else None
            saved = services.create_user(username=data["username"], email=data["email"], password=password)
        show_saved(obj, saved)

    def save_related(self, request, form, formsets, change):
        """update_user has set the groups and permissions: only inline rows remain (there are none)."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(Customer)
class CustomerAdmin(PlatformModelAdmin):
    """Players leave through archive (reversible) or erasure (personal data gone, ledger kept),
    never through a hard delete, which would take their history with them."""

    list_display = ("nickname", "username", "email", "vip", "referral_code", "is_archived", "created_at")
    list_filter = ("vip", "is_archived", "gender", "onboarding_completed")
    search_fields = ("nickname", "user__username", "user__email", "referral_code", "=player_id")
    list_select_related = ("user",)
    autocomplete_fields = ("user", "inviter")
    date_hierarchy = "created_at"
    readonly_fields = ("player_id", "referral_code", "is_archived", "archived_at", "erased_at", "created_at")
    fields = (
        "user",
        "player_id",
        "nickname",
        "full_name",
        "gender",
        "avatar",
        "vip",
        "referral_code",
        "inviter",
        "onboarding_completed",
        "pterodactyl_id",
        "virtfusion_id",
        "is_archived",
        "archived_at",
        "erased_at",
        "created_at",
    )
    actions = ("archive_customers", "unarchive_customers", "send_password_reset", "erase_customers")
    actions_detail = ["view_as_player"]

    @admin.display(ordering="user__username")
    def username(self, obj):
        return obj.user.username

    @admin.display(ordering="user__email")
    def email(self, obj):
        return obj.user.email

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        # Who a player is cannot be re-pointed once created.
        return (*readonly, "user") if obj is not None else readonly

    def has_delete_permission(self, request, obj=None):
        """Nobody, superusers included: archive or erase instead."""
        return False

    def has_erase_permission(self, request, obj=None):
        return request.user.has_perm("accounts.erase_customer")

    def has_impersonate_permission(self, request, obj=None):
        return request.user.has_perm("accounts.impersonate_customer")

    def get_urls(self):
        return [
            path(
                "<path:object_id>/view-as-player/",
                self.admin_site.admin_view(self.view_as_player_view),
                name="accounts_customer_impersonate",
            ),
            *super().get_urls(),
        ]

    @action(description="View as player", url_path="view-as-player-detail", permissions=["impersonate"])
    def view_as_player(self, request, object_id):
        return redirect("admin:accounts_customer_impersonate", object_id)

    def view_as_player_view(self, request, object_id):
        """Ask why, then hand over to django-hijack (StartImpersonationView) with the reason."""
        if not self.has_impersonate_permission(request):
            raise PermissionDenied
        customer = get_object_or_404(self.get_queryset(request).select_related("user"), pk=object_id)
        form = ImpersonationForm(request.POST or None, initial={"user_pk": customer.user_id, "next": "/"})
        refusal = services.impersonation_refusal(staff=request.user, customer=customer)
        if request.method == "POST":
            if request.POST.get("user_pk") != str(customer.user_id):
                return HttpResponseBadRequest("The player in the form is not the player of this page.")
            if refusal:
                messages.error(request, refusal)
                return redirect("admin:accounts_customer_change", customer.pk)
            if form.is_valid():
                return StartImpersonationView.as_view()(request)
        elif refusal:
            messages.warning(request, refusal)
        summary = [
            f"You will see the portal exactly as {customer} sees it, for {impersonation_minutes()} minutes at most.",
            "Read-only: any change you try is refused. Your reason, the start and the end go into the audit trail.",
        ]
        return service_form_page(
            self, request, title=f"View as {customer}", form=form, summary=summary, submit="Start viewing", obj=customer
        )

    def save_model(self, request, obj, form, change):
        """A new player through register_customer (a referral code; the ledger opens its COIN wallet);
        edits through update_customer (an erased player stays erased, inviter and panel-id rules)."""
        data = form.cleaned_data
        profile = {
            "full_name": data["full_name"],
            "gender": data["gender"],
            "avatar": obj.avatar,
            "vip": data["vip"],
            "inviter": data["inviter"],
            "onboarding_completed": data["onboarding_completed"],
            "pterodactyl_id": data["pterodactyl_id"],
            "virtfusion_id": data["virtfusion_id"],
        }
        if change:
            saved = services.update_customer(customer=obj, nickname=data["nickname"], **profile)
        else:
            saved = services.register_customer(user=data["user"], nickname=data["nickname"], **profile)
        show_saved(obj, saved)

    @admin.action(description="Archive: block login and money moves", permissions=["change"])
    def archive_customers(self, request, queryset):
        for customer in queryset:
            services.archive_customer(customer=customer, actor=request.user)
        self.message_user(request, f"{queryset.count()} player(s) archived.", messages.SUCCESS)

    @admin.action(description="Unarchive", permissions=["change"])
    def unarchive_customers(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda customer: services.unarchive_customer(customer=customer, actor=request.user),
            "player(s) unarchived",
        )

    @admin.action(description="Send a password-reset email", permissions=["change"])
    def send_password_reset(self, request, queryset):
        sent = 0
        for customer in queryset.select_related("user"):
            if customer.erased_at is None and customer.user.is_active:
                services.send_password_reset(user=customer.user, request=request, actor=request.user)
                sent += 1
        self.message_user(request, f"{sent} password-reset email(s) sent.", messages.SUCCESS)

    @admin.action(description="Erase personal data (cannot be undone)", permissions=["erase"])
    def erase_customers(self, request, queryset):
        customers = list(queryset.select_related("user"))
        if not action_confirmed(request):
            return action_confirmation_page(
                self,
                request,
                customers,
                title="Erase players' personal data",
                intro="Email, username, names, nickname, avatar, social logins, MFA devices and sessions of "
                "these players are removed for good. Their wallets and ledger history stay as they are.",
                headers=["Player", "Player id", "Joined", "Archived"],
                rows=[
                    [c, c.player_id, f"{c.created_at:%Y-%m-%d}", "yes" if c.is_archived else "no"] for c in customers
                ],
                submit="Erase personal data",
                danger=True,
            )
        for customer in customers:
            services.erase_customer(customer=customer, actor=request.user)
        self.message_user(request, f"{len(customers)} player(s) erased; ledger history kept.", messages.SUCCESS)


class ImpersonationForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        min_length=MIN_REASON_LENGTH,
        max_length=2000,
        help_text="For example the ticket you are answering. Kept in the audit trail.",
    )
    user_pk = forms.CharField(widget=forms.HiddenInput)
    next = forms.CharField(widget=forms.HiddenInput)


@admin.register(Impersonation)
class ImpersonationAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "staff", "customer", "reason_short", "expires_at", "ended_at", "ending")
    list_filter = ("ending", "started_at")
    search_fields = ("staff__username", "customer__nickname", "customer__user__username", "reason")
    list_select_related = ("staff", "customer")
    date_hierarchy = "started_at"
    readonly_fields = ("staff", "customer", "reason", "started_at", "expires_at", "ended_at", "ending")
    fields = readonly_fields

    @admin.display(description="Reason")
    def reason_short(self, obj):
        return obj.reason[:80]


@admin.register(StaffProfile)
class StaffProfileAdmin(PlatformModelAdmin):
    list_display = ("user", "role", "studio", "is_archived", "created_at")
    list_filter = ("role", "is_archived", "studio")
    search_fields = ("user__username", "user__email", "studio__name")
    list_select_related = ("user", "studio")
    autocomplete_fields = ("user",)
    raw_id_fields = ("studio",)
    date_hierarchy = "created_at"
    actions = ("resync_role_groups",)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        # A profile belongs to its user for good; a new role is a change of this profile.
        return (*readonly, "user") if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        """One call of set_staff_role: the profile, the role Group and `is_staff` change together."""
        data = form.cleaned_data
        saved = services.set_staff_role(
            user=obj.user, role=data["role"], studio=data["studio"], is_archived=data["is_archived"]
        )
        show_saved(obj, saved)

    @admin.action(description="Put users in their role's group again", permissions=["change"])
    def resync_role_groups(self, request, queryset):
        for profile in queryset.select_related("user"):
            services.assign_staff_role(profile=profile)


@admin.register(Partner)
class PartnerAdmin(PlatformModelAdmin):
    list_display = ("name", "kind", "studio", "type", "status", "created_at")
    list_filter = ("kind", "type", "status")
    search_fields = ("name", "studio__name")
    list_select_related = ("studio",)
    autocomplete_fields = ("user",)
    raw_id_fields = ("studio",)
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        # A partner's clients act on its studio's games: it never moves to another studio.
        return (*readonly, "studio") if obj is not None and obj.studio_id else readonly

    def save_model(self, request, obj, form, change):
        """Through accounts.services: a studio partner is bound to its studio for good, choices are checked."""
        data = form.cleaned_data
        values = {
            "name": data["name"],
            "kind": data["kind"],
            "studio": data.get("studio", obj.studio),
            "user": data["user"],
            "type": data["type"],
            "description": data["description"],
            "status": data["status"],
        }
        saved = services.update_partner(partner=obj, **values) if change else services.create_partner(**values)
        show_saved(obj, saved)


# django-oauth-toolkit registers a plain admin for the application model; ours replaces it.
if admin.site.is_registered(PartnerApplication):
    admin.site.unregister(PartnerApplication)


@admin.register(PartnerApplication)
class PartnerApplicationAdmin(PlatformModelAdmin):
    list_display = ("name", "partner", "client_id", "authorization_grant_type", "allowed_scopes", "created")
    list_filter = ("authorization_grant_type", "client_type")
    search_fields = ("name", "client_id", "partner__name")
    list_select_related = ("partner",)
    autocomplete_fields = ("partner", "user")
    date_hierarchy = "created"
    fields = (
        "name",
        "partner",
        "user",
        "client_id",
        "client_secret",
        "client_type",
        "authorization_grant_type",
        "redirect_uris",
        "post_logout_redirect_uris",
        "allowed_origins",
        "allowed_scopes",
        "default_scopes",
        "skip_authorization",
    )

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        # The stored secret is a hash: shown once on creation by the form's initial value.
        return (*readonly, "client_id", "client_secret") if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        """Through accounts.services: known scopes only, defaults within the ceiling, confidential
        client-credentials clients; narrowing the ceiling revokes tokens beyond it."""
        data = form.cleaned_data
        values = {
            "name": data["name"],
            "partner": data["partner"],
            "user": data["user"],
            "client_type": data["client_type"],
            "grant_type": data["authorization_grant_type"],
            "redirect_uris": data["redirect_uris"],
            "post_logout_redirect_uris": data["post_logout_redirect_uris"],
            "allowed_origins": data["allowed_origins"],
            "allowed_scopes": data["allowed_scopes"],
            "default_scopes": data["default_scopes"],
            "skip_authorization": data["skip_authorization"],
        }
        if change:
            saved = services.update_partner_application(application=obj, **values)
        else:
            saved = services.create_partner_application(
                client_id=data["client_id"], client_secret=data["client_secret"], **values
            )
        show_saved(obj, saved)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor", "action", "content_type", "object_repr")
    list_filter = ("action", "content_type")
    search_fields = ("object_repr", "actor__username", "=object_id")
    list_select_related = ("actor", "content_type")
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "actor", "action", "content_type", "object_id", "object_repr", "before", "after")
