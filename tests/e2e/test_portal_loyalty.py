"""A player follows the loyalty programme in a real browser: tier progress, balances, a bonus whose
wagering advances as they bet, and an LP redemption."""

import re
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


@pytest.fixture
def player(db):
    from games import services as games_services
    from ledger.models import Asset, TransferKind
    from ledger.services import issue
    from loyalty import services
    from loyalty.models import CurrencyType, RewardType
    from tests.factories.accounts import CustomerFactory
    from tests.factories.games import BetLimitFactory, GameFactory

    customer = CustomerFactory(nickname="lucia")
    services.ensure_player_profile(customer=customer)
    issue(user=customer.user, asset=Asset.objects.get(code="COIN"), amount="200.00", initiator="system:test")
    issue(
        user=customer.user,
        asset=Asset.objects.get(code="LP"),
        amount="400.00",
        kind=TransferKind.REWARD,
        initiator="system:test",
        description="LP earned",
    )
    services.issue_reward(
        customer=customer,
        reward_type=RewardType.BONUS_BALANCE,
        amount="20.00",
        currency_type=CurrencyType.BONUS,
        wagering_required="50.00",
        eligible_games=["arcade"],
        expiry_hours=48,
    )
    game = GameFactory(name="Starfall Arena", type="arcade")
    BetLimitFactory(game=game)
    session = games_services.start_session(customer=customer, game=game)
    return customer, session


@pytest.fixture
def page(live_server, browser_settings, player):
    from playwright.sync_api import sync_playwright

    client = Client()
    client.force_login(player[0].user)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 1400})
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()
        browser.close()


def bet(session, amount, key):
    """Bet and settle as the game's server would, in a thread of its own: Playwright's event loop
    runs in the test's thread, where constance would answer Config reads with async proxies."""
    from django.db import connection

    from games import services as games_services
    from games.models import BetOutcome

    errors = []

    def play():
        try:
            placed = games_services.place_bet(session=session, amount=Decimal(amount), odds="2", idempotency_key=key)
            games_services.settle_bet(bet=placed, outcome=BetOutcome.LOSS)
        except Exception as exc:  # re-raised in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=play)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def test_a_player_follows_their_bonus_and_redeems_lp(page, live_server, player, tmp_path):
    customer, session = player
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Loyalty").click()
    page.wait_for_url(re.compile(r"/loyalty/$"))
    assert page.get_by_test_id("tier").inner_text() == "Bronze"
    assert "600.00 LP to Silver" in page.content()
    assert page.locator('[data-asset="LP"]').inner_text() == "400.00"
    assert page.locator('[data-asset="BONUS"]').inner_text() == "20.00"
    assert "Wagered 0.00 of 50.00 (0%)" in page.get_by_test_id("wagering").inner_text()

    bet(session, "20.00", "e2e-1")  # its reactions (wagering, LP, metrics) run as it commits
    page.reload()
    assert "Wagered 20.00 of 50.00 (40%)" in page.get_by_test_id("wagering").inner_text()
    assert page.locator('[data-asset="LP"]').inner_text() == "402.00"  # 20 staked x 0.10

    page.fill("input[name=lp_amount]", "100")
    page.select_option("select[name=target]", "RP")
    page.get_by_role("button", name="Redeem").click()
    page.wait_for_url(re.compile(r"/loyalty/$"))
    assert "100.00 LP redeemed for 50.00 RP" in page.locator(".messages").inner_text(), page.locator(
        "main"
    ).inner_text()[:400]
    assert page.locator('[data-asset="RP"]').inner_text() == "50.00"
    assert page.locator('[data-asset="LP"]').inner_text() == "302.00"
    page.screenshot(path=str(tmp_path / "loyalty.png"), full_page=True)  # for a person to look at

    bet(session, "30.00", "e2e-2")
    page.reload()
    assert "No active bonus right now." in page.content()  # wagering met: converted to coins
    assert page.locator('[data-asset="BONUS"]').inner_text() == "0.00"
