"""The player-profile admin: blocking freezes money, so only a role that may change profiles can."""

import pytest
from django.urls import reverse

from ledger.selectors import freeze_reason
from loyalty.services import BLOCK_FREEZE_REASON
from tests.factories.accounts import staff_user
from tests.factories.loyalty import PlayerProfileFactory

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
