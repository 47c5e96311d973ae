"""A player's support in a real browser: open a ticket with a file, an agent answers (the
service the admin calls), the bell shows it, the player reads the reply and answers, marks all read."""

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture
def player_page(live_server, browser_settings):
    from django.conf import settings
    from django.test import Client
    from playwright.sync_api import sync_playwright

    from tests.factories.accounts import CustomerFactory

    customer = CustomerFactory(nickname="ada")
    client = Client()
    client.force_login(customer.user)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        page.set_default_timeout(15000)
        page.customer = customer
        yield page
        context.close()
        browser.close()


def test_player_opens_a_ticket_reads_the_reply_in_the_bell_and_answers(player_page, live_server, tmp_path):
    from support import services
    from support.models import Ticket, TicketStatus
    from tests.factories.accounts import staff_user

    page = player_page
    SCREENSHOTS.mkdir(exist_ok=True)
    log = tmp_path / "crash.log"
    log.write_text("Exception in server tick loop\n")

    page.goto(live_server.url + "/support/")
    page.get_by_role("link", name="Open a ticket").click()
    page.fill("input[name=subject]", "Server crashes on start")
    page.select_option("select[name=category]", "technical")
    page.select_option("select[name=priority]", "high")
    page.fill("textarea[name=message]", "It crashed after the update.")
    page.set_input_files("input[name=attachments]", str(log))
    page.get_by_role("button", name="Open ticket").click()
    page.wait_for_url(re.compile(r"/support/tickets/[0-9a-f-]+/$"))
    assert page.get_by_test_id("ticket-subject").inner_text() == "Server crashes on start"
    assert page.get_by_role("link", name="crash.log").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "support-ticket-opened.png"), full_page=True)

    ticket = Ticket.objects.get(customer=page.customer)
    agent = staff_user("support")
    services.add_ticket_reply(ticket=ticket, author=agent, message="Internal: check node 4", is_internal=True)
    services.add_ticket_reply(
        ticket=ticket, author=agent, message="Fixed the mod version. Try again?", await_customer=True
    )

    page.goto(live_server.url + "/")
    assert page.get_by_test_id("unread-count").inner_text() == "1"
    page.get_by_test_id("notification-bell").click()
    page.wait_for_url(re.compile(r"/notifications/$"))
    page.screenshot(path=str(SCREENSHOTS / "support-notifications.png"), full_page=True)
    page.get_by_role("button", name="Open").first.click()
    page.wait_for_url(re.compile(r"/support/tickets/"))
    assert "Fixed the mod version" in page.content() and "check node 4" not in page.content()
    assert page.get_by_test_id("unread-count").count() == 0
    page.fill("textarea[name=message]", "Works now, thank you!")
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_url(re.compile(r"/support/tickets/"))
    assert page.get_by_test_id("reply").count() == 2
    page.screenshot(path=str(SCREENSHOTS / "support-thread.png"), full_page=True)
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.IN_PROGRESS

    page.get_by_role("button", name="Close ticket").click()
    assert page.get_by_test_id("ticket-status").inner_text() == "Closed"


def test_preferences_page_in_the_browser(player_page, live_server):
    page = player_page
    page.goto(live_server.url + "/notifications/settings/")
    assert page.get_by_label("Security by email").is_disabled()
    page.get_by_label("Ticket reply by email").uncheck()
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url(re.compile(r"/notifications/settings/$"))
    assert not page.get_by_label("Ticket reply by email").is_checked()
    assert page.get_by_label("Ticket reply in the portal").is_checked()
    page.screenshot(path=str(SCREENSHOTS / "support-preferences.png"), full_page=True)
