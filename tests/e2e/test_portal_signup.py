"""A new player in a real browser: sign up, verify by the emailed link, log in, see the account page."""

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]

PASSWORD = "Browser-made-passphrase-31"


@pytest.fixture
def page(live_server, browser_settings):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()
        browser.close()


def test_sign_up_verify_log_in_and_see_account(page, live_server):
    from django.core import mail

    from accounts.models import Customer

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Create an account").click()
    page.fill("input[name=username]", "browserplayer")
    page.fill("input[name=email]", "browser.player@example.com")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("form button[type=submit]", has_text=re.compile("sign up", re.I)).click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))

    assert len(mail.outbox) == 1
    # Links are built for https (ACCOUNT_DEFAULT_HTTP_PROTOCOL outside DEBUG); the live server is plain http.
    path = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[0].body).group(1)
    page.goto(live_server.url + path)
    page.locator("form button[type=submit]").click()
    # Confirming logs the player in (ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION); sign out to log in by hand.
    page.wait_for_url(live_server.url + "/")
    page.get_by_role("button", name="Sign out").click()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=login]", "browser.player@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]", has_text=re.compile("sign in", re.I)).click()
    page.wait_for_url(live_server.url + "/")
    assert page.locator('[data-asset="COIN"]').inner_text() == "0.00"

    page.get_by_role("link", name="Account", exact=True).click()
    page.wait_for_url(re.compile(r"/account/$"))
    customer = Customer.objects.get(user__username="browserplayer")
    assert page.get_by_test_id("referral-code").inner_text() == customer.referral_code
    assert "verified" in page.content()
