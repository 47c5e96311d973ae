"""A player in a real browser sees their game servers: status, location, address, limits, subscription."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from games.hosting.models import ServerStatus
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import games as gf
from tests.factories.accounts import CustomerFactory
from tests.factories.billing import ProductFactory, SubscriptionFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]

PASSWORD = "Browser-made-passphrase-31"
SCREENSHOT = Path(__file__).parent / "screenshots" / "my_servers.png"


@pytest.fixture
def page(live_server, browser_settings):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()
        browser.close()


def _player():
    from allauth.account.models import EmailAddress

    customer = CustomerFactory(user__username="serverplayer", user__email="server.player@example.com")
    customer.user.set_password(PASSWORD)
    customer.user.save()
    EmailAddress.objects.update_or_create(
        user=customer.user, email=customer.user.email, defaults={"verified": True, "primary": True}
    )
    return customer


def test_my_servers_shows_each_server_with_its_address_and_subscription(page, live_server):
    customer = _player()
    location = gf.LocationFactory(short_code="eu-west", description="Amsterdam")
    node = gf.NodeFactory(location=location, name="ams-1")
    running = gf.ServerFactory(customer=customer, node=node, name="survival", memory=4096, disk=20480, cpu=200)
    gf.AllocationFactory(node=node, server=running, ip="203.0.113.7", port=25565)
    type(running).objects.filter(pk=running.pk).update(
        status=ServerStatus.RUNNING, default_allocation=running.allocations.get()
    )
    SubscriptionFactory(
        server=running,
        product=ProductFactory(name="Minecraft 4 GB", price=Decimal("9.99")),
        next_due_at=date(2027, 1, 1),
    )
    gf.ServerFactory(customer=customer, node=None, name="creative")  # still installing, no address yet
    gf.ServerFactory(name="someone-elses")

    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=login]", "server.player@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(live_server.url + "/")
    page.get_by_role("link", name="My servers").click()
    page.wait_for_url(live_server.url + "/servers/")

    row = page.locator(f'tr[data-server="{running.uuid}"]')
    assert row.get_by_test_id("status").inner_text() == "Running"
    assert row.get_by_test_id("address").inner_text() == "203.0.113.7:25565"
    assert "Amsterdam" in row.inner_text() and "4096\xa0MiB" in row.inner_text()
    assert "Minecraft 4 GB" in row.inner_text() and "next due 2027-01-01" in row.inner_text()
    assert "Installing" in page.content() and "None yet" in page.content()
    assert "someone-elses" not in page.content()
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
