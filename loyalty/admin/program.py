"""The program: tiers and reward rules. A rule's page offers Simulate, Explain and Backtest,
which run loyalty.services.simulation and write nothing."""

import uuid
from datetime import date, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from unfold.decorators import action

from accounts.admin_base import PlatformHistoryAdmin, show_saved
from accounts.models import Customer
from loyalty import services
from loyalty.models import RewardRule, Tier
from loyalty.services.simulation import backtest_rule, explain_rule, simulate_rule
from nodebyte_platform.errors import DomainError


@admin.register(Tier)
class TierAdmin(PlatformHistoryAdmin):
    """The four tiers always exist (loyalty.tiers): staff move their LP ranges and benefits, never add
    or delete one. A new range moves the neighbouring tier's bound with it (set_tier_range)."""

    list_display = ("tier_level", "lp_min", "lp_max")
    list_filter = ("tier_level",)
    search_fields = ("tier_level",)
    readonly_fields = ("tier_level",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Through loyalty.services.set_tier_range; says which neighbouring tiers moved with it."""
        data = form.cleaned_data
        changed = services.set_tier_range(
            tier=obj, lp_min=data["lp_min"], lp_max=data["lp_max"], benefits=data["benefits"]
        )
        show_saved(obj, changed[0])
        for neighbour in changed[1:]:
            upper = neighbour.lp_max if neighbour.lp_max is not None else "and up"
            self.message_user(request, f"{neighbour} now runs from {neighbour.lp_min} to {upper} LP.", messages.WARNING)


@admin.register(RewardRule)
class RewardRuleAdmin(PlatformHistoryAdmin):
    """Reward rules as data, checked by compiling them (loyalty.rules) when saved; the evaluation
    job runs the active ones. Simulate, Explain and Backtest show what a rule would do first."""

    list_display = ("rule_id", "name", "priority", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("rule_id", "name", "description")
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "updated_at")
    actions_detail = ["simulate_detail", "explain_detail", "backtest_detail"]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        # Grants and ledger transfers name the rule by its rule_id.
        return (*readonly, "rule_id") if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        """Through loyalty.services: the rule must compile (known keys, a safe formula, numbers)."""
        data = form.cleaned_data
        values = {
            "name": data["name"],
            "description": data["description"],
            "priority": data["priority"],
            "is_active": data["is_active"],
            "conditions": data["conditions"],
            "reward_config": data["reward_config"],
        }
        if change:
            saved = services.update_reward_rule(rule=obj, **values)
        else:
            saved = services.create_reward_rule(rule_id=data["rule_id"], **values)
        show_saved(obj, saved)

    def get_urls(self):
        """The three read-only pages of a rule."""
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/simulate/", view(self.simulate_view), name="loyalty_rewardrule_simulate"),
            path("<path:object_id>/explain/", view(self.explain_view), name="loyalty_rewardrule_explain"),
            path("<path:object_id>/backtest/", view(self.backtest_view), name="loyalty_rewardrule_backtest"),
            *super().get_urls(),
        ]

    @action(description="Simulate", url_path="simulate-rule", permissions=["view"])
    def simulate_detail(self, request, object_id):
        return redirect("admin:loyalty_rewardrule_simulate", object_id)

    @action(description="Explain for a player", url_path="explain-rule", permissions=["view"])
    def explain_detail(self, request, object_id):
        return redirect("admin:loyalty_rewardrule_explain", object_id)

    @action(description="Backtest", url_path="backtest-rule", permissions=["view"])
    def backtest_detail(self, request, object_id):
        return redirect("admin:loyalty_rewardrule_backtest", object_id)

    def _rule(self, request, object_id) -> RewardRule:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=object_id)

    def _page(self, request, rule, *, title, **context):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "original": rule,
            "rule": rule,
            "change_url": reverse("admin:loyalty_rewardrule_change", args=[rule.pk]),
            "links": {
                "simulate": reverse("admin:loyalty_rewardrule_simulate", args=[rule.pk]),
                "explain": reverse("admin:loyalty_rewardrule_explain", args=[rule.pk]),
                "backtest": reverse("admin:loyalty_rewardrule_backtest", args=[rule.pk]),
            },
            **context,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/loyalty/rule_simulation.html", context)

    def _refused(self, request, rule, exc: DomainError):
        messages.error(request, f"{exc.message} ({exc.code})")
        return redirect("admin:loyalty_rewardrule_change", rule.pk)

    def simulate_view(self, request, object_id):
        rule = self._rule(request, object_id)
        try:
            result = simulate_rule(rule=rule)
        except DomainError as exc:
            return self._refused(request, rule, exc)
        return self._page(request, rule, title=f"Simulate {rule.rule_id}", mode="simulate", result=result)

    def explain_view(self, request, object_id):
        rule = self._rule(request, object_id)
        form = ExplainForm(request.GET or None)
        explanation = None
        if form.is_valid():
            customer = form.cleaned_data["customer"]
            try:
                explanation = explain_rule(rule=rule, customer=customer)
            except DomainError as exc:
                return self._refused(request, rule, exc)
        return self._page(
            request, rule, title=f"Explain {rule.rule_id}", mode="explain", form=form, explanation=explanation
        )

    def backtest_view(self, request, object_id):
        rule = self._rule(request, object_id)
        form = BacktestForm(request.GET or {"since": (timezone.localdate() - timedelta(days=13)).isoformat()})
        days = None
        if form.is_valid():
            try:
                days = backtest_rule(rule=rule, since=form.cleaned_data["since"])
            except DomainError as exc:
                form.add_error("since", f"{exc.message} ({exc.code})")
        peak = max((d["total"] for d in days or []), default=0) or 1
        rows = [{**d, "percent": int(d["total"] * 100 / peak)} for d in days or []]
        return self._page(request, rule, title=f"Backtest {rule.rule_id}", mode="backtest", form=form, days=rows)


class ExplainForm(forms.Form):
    player = forms.CharField(
        label="Player", help_text="The player's player_id, nickname or email.", max_length=254, required=True
    )

    def clean(self):
        value = (self.cleaned_data.get("player") or "").strip()
        customer = None
        try:
            customer = Customer.objects.filter(player_id=uuid.UUID(value)).first()
        except ValueError:
            customer = (
                Customer.objects.filter(nickname__iexact=value).first()
                or Customer.objects.filter(user__email__iexact=value).first()
            )
        if customer is None:
            raise forms.ValidationError("No player with that player_id, nickname or email.")
        self.cleaned_data["customer"] = customer
        return self.cleaned_data


class BacktestForm(forms.Form):
    since = forms.DateField(label="From", help_text="YYYY-MM-DD; the backtest runs to today.")

    def clean_since(self):
        since = self.cleaned_data["since"]
        if since > date.today():
            raise forms.ValidationError("The backtest starts today at the latest.")
        return since
