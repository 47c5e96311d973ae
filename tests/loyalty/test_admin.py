"""The loyalty admin: blocking freezes money, so only a role that may change profiles can; tiers and
rules are saved through loyalty.services; computed records are read-only."""

import pytest
from django.urls import reverse

from accounts.models import StaffRole
from ledger.selectors import freeze_reason
from loyalty.models import AbuseSignal, RewardRule, Tier
from loyalty.services import BLOCK_FREEZE_REASON
from tests.admin_forms import form_data, form_errors
from tests.factories.accounts import staff_user
from tests.factories.loyalty import AbuseSignalFactory, PlayerProfileFactory, RewardRuleFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:loyalty_playerprofile_changelist"


def _run(client, action, profile):
    return client.post(reverse(CHANGELIST), {"action": action, "_selected_action": [profile.pk]}, follow=True)


def test_admin_blocks_and_unblocks_a_player_and_their_wallets(client):
    profile = PlayerProfileFactory()
    client.force_login(staff_user("admin"))
    _run(client, "block_players", profile)
    profile.refresh_from_db()
    assert profile.is_blocked
    assert freeze_reason(user=profile.customer.user) == BLOCK_FREEZE_REASON

    _run(client, "unblock_players", profile)
    profile.refresh_from_db()
    assert not profile.is_blocked
    assert freeze_reason(user=profile.customer.user) is None


@pytest.mark.parametrize("role", ["support", "accounting"])
def test_view_only_roles_are_not_offered_the_block_action(client, role):
    profile = PlayerProfileFactory()
    client.force_login(staff_user(role))
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert "block_players" not in response.context["cl"].model_admin.get_actions(response.wsgi_request)
    _run(client, "block_players", profile)
    profile.refresh_from_db()
    assert not profile.is_blocked
    assert freeze_reason(user=profile.customer.user) is None


def change_url(model, obj):
    return reverse(f"admin:loyalty_{model._meta.model_name}_change", args=[obj.pk])


@pytest.fixture
def admin_client(client):
    client.force_login(staff_user(StaffRole.ADMIN))
    return client


def test_moving_a_tiers_bound_moves_its_neighbours_bound_with_it(admin_client):
    bronze = Tier.objects.get(tier_level="BRONZE")
    url = change_url(Tier, bronze)
    data = {**form_data(admin_client, url, Tier), "lp_max": "1499"}

    response = admin_client.post(url, data, follow=True)

    shown = [str(message) for message in response.context["messages"]]
    assert "Silver now runs from 1500 to 4999 LP." in shown
    ranges = dict((t.tier_level, (t.lp_min, t.lp_max)) for t in Tier.objects.all())
    assert ranges["BRONZE"] == (0, 1499) and ranges["SILVER"] == (1500, 4999)


def test_a_bound_that_would_leave_a_tier_without_points_is_refused(admin_client):
    silver = Tier.objects.get(tier_level="SILVER")
    url = change_url(Tier, silver)
    data = {**form_data(admin_client, url, Tier), "lp_max": "19999"}

    response = admin_client.post(url, data)

    assert form_errors(response) == ["lp_max: That would leave Gold without a range of points. (validation_error)"]
    assert Tier.objects.get(tier_level="GOLD").lp_min == 5000


def test_a_rule_with_an_unknown_reward_or_a_broken_formula_is_refused(admin_client):
    rule = RewardRuleFactory()
    url = change_url(RewardRule, rule)
    data = form_data(admin_client, url, RewardRule)

    broken = admin_client.post(url, {**data, "reward_config": '{"type": "CASHBACK", "formula": "net_loss *"}'})
    assert form_errors(broken) == [
        "reward_config: The formula 'net_loss *' is not an expression (invalid syntax). (validation_error)"
    ]
    unknown = admin_client.post(url, {**data, "reward_config": '{"type": "FREE_MONEY"}'})
    assert "(validation_error)" in form_errors(unknown)[0]
    rule.refresh_from_db()
    assert rule.reward_config["formula"] == "net_loss * 0.10"

    renamed = admin_client.post(url, {**data, "name": "Weekly cashback", "rule_id": "sneaky-new-id"})
    assert renamed.status_code == 302
    rule.refresh_from_db()
    assert rule.name == "Weekly cashback" and rule.rule_id != "sneaky-new-id"


def test_an_abuse_signal_is_a_record_staff_resolve_not_edit(admin_client):
    signal = AbuseSignalFactory(severity=3)
    url = change_url(AbuseSignal, signal)
    assert 'name="_save"' not in admin_client.get(url).content.decode()
    assert admin_client.post(url, {"severity": "1", "signal_type": "nothing"}).status_code == 403

    admin_client.post(
        reverse("admin:loyalty_abusesignal_changelist"),
        {"action": "resolve_signals", "_selected_action": [signal.pk]},
    )
    signal.refresh_from_db()
    assert signal.severity == 3 and signal.is_resolved
