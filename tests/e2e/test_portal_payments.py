"""A player in a real browser buys a coin pack through the sandbox gateway: the hosted page's
choice travels as a signed event over HTTP to our own endpoint, and the result page shows the
coins once that event has settled the payment; a declining test card shows the decline."""

import re
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]

# Screenshots of the pages, for a person to look at (outside the repository).
SCREENSHOTS = Path(tempfile.gettempdir()) / "nodebyte-screenshots"


@pytest.fixture
def player_page(live_server, browser_settings):
    from playwright.sync_api import sync_playwright

    from tests.factories.accounts import DEFAULT_PASSWORD, CustomerFactory
    from tests.factories.billing import CoinPackFactory

    customer = CustomerFactory(user__username="buyer", user__email="buyer@example.com")
    CoinPackFactory(name="Starter pack", price=Decimal("4.99"), coins=Decimal("500.00"), bonus_coins=Decimal("50.00"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(20000)
        page.goto(live_server.url + "/accounts/login/")
        page.fill("input[name=login]", "buyer@example.com")
        page.fill("input[name=password]", DEFAULT_PASSWORD)
        page.locator("form button[type=submit]", has_text=re.compile("sign in", re.I)).click()
        page.wait_for_url(live_server.url + "/")
        page.customer = customer
        yield page
        context.close()
        browser.close()


def shot(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_buy_a_coin_pack_through_the_sandbox(player_page, live_server):
    from ledger.models import Wallet

    page = player_page
    page.get_by_role("link", name="Buy GCoins").first.click()
    page.wait_for_url(re.compile(r"/pay/coins/$"))
    shot(page, "coin_shop")
    page.get_by_role("button", name=re.compile(r"Buy for 4\.99 EUR")).click()
    page.wait_for_url(re.compile(r"/pay/sandbox/[0-9a-f-]+/$"))
    shot(page, "sandbox_checkout")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(re.compile(r"/pay/payments/[0-9a-f-]+/$"))
    page.wait_for_selector('[data-result="success"]')
    shot(page, "payment_success")
    assert "550.00 GCoins" in page.content()
    assert Wallet.objects.get(owner=page.customer.user, asset__code="COIN").balance == Decimal("550.00")
    page.get_by_role("link", name="Receipt").click()
    page.wait_for_url(re.compile(r"/receipt/$"))
    shot(page, "receipt")
    assert "Starter pack" in page.content()


def test_a_declining_test_card_shows_the_decline(player_page, live_server):
    from ledger.models import Wallet

    page = player_page
    page.goto(live_server.url + "/pay/coins/")
    page.get_by_role("button", name=re.compile(r"Buy for 4\.99 EUR")).click()
    page.wait_for_url(re.compile(r"/pay/sandbox/"))
    page.fill("input[name=card_number]", "4000 0000 0000 0002")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_selector('[data-result="declined"]')
    shot(page, "payment_declined")
    assert "Your card was declined." in page.content()
    assert not Wallet.objects.filter(owner=page.customer.user, asset__code="COIN", balance__gt=0).exists()


def test_request_a_withdrawal_and_follow_its_steps(player_page, live_server):
    from billing.models import Withdrawal
    from tests.factories.billing import fund

    page = player_page
    fund(page.customer, "80.00")
    page.goto(live_server.url + "/pay/withdrawals/")
    page.fill("input[name=amount]", "25.00")
    page.select_option("select[name=method]", "bank")
    page.fill("input[name=iban]", "DE89 3704 0044 0532 0130 00")
    page.fill("input[name=account_holder]", "Buyer Example")
    page.get_by_role("button", name="Request withdrawal").click()
    page.wait_for_url(re.compile(r"/pay/withdrawals/[0-9a-f-]+/$"))
    shot(page, "withdrawal_status")
    assert page.get_by_test_id("withdrawal-status").inner_text() == "Pending"
    assert "Requested" in page.content() and "waiting for approval" in page.content()
    withdrawal = Withdrawal.objects.get(customer=page.customer)
    assert withdrawal.bank_details["iban"] == "DE89370400440532013000"
    page.get_by_role("button", name="Cancel this withdrawal").click()
    page.wait_for_selector("text=Withdrawal cancelled")
    assert page.get_by_test_id("withdrawal-status").inner_text() == "Cancelled"
