"""The Content-Security-Policy, in Chromium: the portal, the OAuth consent page, the admin and
Swagger UI each load and work under it, with no violation reported.

Every page is watched two ways: `securitypolicyviolation` events (reported from the page to the
test) and Chromium's console, where a refused script, style, image or connection is logged. A
probe then injects an inline script into each page and checks that the policy refuses it and that
the refusal is seen: a page without a policy, or a watcher that sees nothing, fails the test.
Requests to anything but the live server are refused and recorded, so nothing leaves the machine.
"""

import base64
import hashlib
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories.accounts import DEFAULT_PASSWORD

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]

PARTNER_CALLBACK = "https://partner.example/callback"
# E2E_SCREENSHOTS=<folder> keeps a full-page screenshot of every page checked, to look at.
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")

WATCH_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation({
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    sample: event.sample,
    source: event.sourceFile,
    line: event.lineNumber,
    page: document.location.href,
  });
});
"""

INLINE_SCRIPT_PROBE = """() => {
  window.cspProbeRan = false;
  const script = document.createElement("script");
  script.textContent = "window.cspProbeRan = true;";
  document.head.appendChild(script);
  return window.cspProbeRan;
}"""


@dataclass
class Watched:
    page: object
    live_url: str
    violations: list = field(default_factory=list)
    console: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    off_site: list = field(default_factory=list)
    responses: dict = field(default_factory=dict)

    def on_console(self, message) -> None:
        if message.type in ("error", "warning"):
            self.console.append(message.text)

    def goto(self, url: str):
        response = self.page.goto(url)
        assert response is not None and response.status == 200, (url, response and response.status)
        return response

    def assert_clean(self, name: str) -> None:
        """No violation, no console error, no uncaught error so far; then prove the watch works."""
        self.page.wait_for_load_state("networkidle")
        if SCREENSHOTS:
            self.page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)
        assert self.violations == [], self.violations
        assert self.console == [], self.console
        assert self.errors == [], self.errors
        assert self.off_site == [], self.off_site

        assert self.page.evaluate(INLINE_SCRIPT_PROBE) is False, "an injected inline script ran"
        self.page.wait_for_function("() => true")  # let the violation event be delivered
        assert [v["directive"] for v in self.violations] == ["script-src-elem"], self.violations
        assert any("Content Security Policy" in line for line in self.console), self.console
        self.violations.clear()
        self.console.clear()


@pytest.fixture
def browser(live_server, browser_settings):
    from playwright.sync_api import sync_playwright

    port = urlparse(live_server.url).port
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context()
        watched = Watched(page=None, live_url=live_server.url)
        context.expose_binding("reportCspViolation", lambda source, violation: watched.violations.append(violation))
        context.add_init_script(WATCH_VIOLATIONS)

        def route(route):
            url = urlparse(route.request.url)
            if url.hostname in ("localhost", "127.0.0.1") and url.port == port:
                return route.continue_()
            if route.request.url.startswith(PARTNER_CALLBACK):
                return route.fulfill(status=200, content_type="text/plain", body="partner callback")
            watched.off_site.append(route.request.url)
            return route.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.set_default_timeout(20000)
        page.on("console", watched.on_console)
        page.on("pageerror", lambda error: watched.errors.append(str(error)))
        page.on("response", lambda response: watched.responses.update({response.url: response}))
        watched.page = page
        yield watched
        context.close()
        chromium.close()


def policy_of(response) -> dict[str, list[str]]:
    header = response.headers.get("content-security-policy")
    assert header, f"no Content-Security-Policy on {response.url}"
    policy = {}
    for directive in header.split(";"):
        name, *values = directive.split()
        policy[name] = values
    return policy


def sign_in(browser, user, next_path: str = "") -> None:
    query = f"?{urlencode({'next': next_path})}" if next_path else ""
    browser.goto(f"{browser.live_url}/accounts/login/{query}")
    browser.page.fill("input[name=login]", user.username)
    browser.page.fill("input[name=password]", DEFAULT_PASSWORD)
    browser.page.locator("form button[type=submit]", has_text=re.compile("sign in", re.I)).click()
    browser.page.wait_for_url(f"{browser.live_url}{next_path or '/'}")


def test_the_portal_works_under_the_policy(browser):
    from accounts.models import Customer
    from tests.factories.accounts import CustomerFactory

    customer = CustomerFactory(user__username="csp-player")
    page = browser.page

    policy = policy_of(browser.goto(browser.live_url + "/"))
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"], policy
    assert page.get_by_role("link", name="Create an account").is_visible()
    browser.assert_clean("portal-landing")

    sign_in(browser, customer.user)
    assert page.locator('[data-asset="COIN"]').inner_text() == "0.00"
    # htmx is loaded and configured not to need inline styles or eval.
    assert page.evaluate("() => [htmx.config.includeIndicatorStyles, htmx.config.allowEval]") == [False, False]
    browser.assert_clean("portal-home")

    page.get_by_role("link", name="Account", exact=True).click()
    page.wait_for_url(re.compile(r"/account/$"))
    assert page.get_by_test_id("referral-code").inner_text() == Customer.objects.get(pk=customer.pk).referral_code
    browser.assert_clean("portal-account")

    # The TOTP set-up page (after allauth asks for the password again) shows its QR code as a data: image.
    browser.goto(browser.live_url + "/accounts/2fa/totp/activate/")
    assert urlparse(page.url).path == "/accounts/reauthenticate/"
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    qr = page.locator("img[src^='data:']").first
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    browser.assert_clean("portal-totp")


def test_the_oauth_consent_page_works_and_sends_the_player_back_to_the_partner(browser):
    from accounts.models import PartnerApplication
    from tests.factories.accounts import CustomerFactory, PartnerApplicationFactory

    customer = CustomerFactory(user__username="csp-consent")
    app = PartnerApplicationFactory(
        authorization_grant_type=PartnerApplication.GRANT_AUTHORIZATION_CODE, redirect_uris=PARTNER_CALLBACK
    )
    sign_in(browser, customer.user)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": PARTNER_CALLBACK,
        "scope": "profile:read",
        "state": "csp",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    browser.goto(f"{browser.live_url}/o/authorize/?{urlencode(params)}")
    assert browser.page.locator("#authorizationForm").is_visible()
    browser.assert_clean("oauth-consent")

    # The form posts to the platform, which redirects to the partner: form-action must allow that.
    browser.page.locator("input[name=allow]").click()
    browser.page.wait_for_url(re.compile(re.escape(PARTNER_CALLBACK)))
    query = parse_qs(urlparse(browser.page.url).query)
    assert query["state"] == ["csp"] and query["code"][0]
    assert browser.violations == [], browser.violations


def test_the_admin_works_under_the_policy(browser):
    from accounts.services import sync_roles
    from tests.factories.accounts import StaffProfileFactory

    sync_roles()
    staff = StaffProfileFactory(role="admin", user__username="csp-admin").user
    page = browser.page

    sign_in(browser, staff, next_path="/admin/")
    response = browser.responses[f"{browser.live_url}/admin/"]
    policy = policy_of(response)
    assert "'unsafe-inline'" not in policy["script-src"], policy
    # Alpine (shipped by unfold) started: it removes x-cloak from what it has set up.
    page.wait_for_function("() => window.Alpine && !document.documentElement.hasAttribute('x-cloak')")
    assert page.locator("#nav-sidebar, nav").first.is_visible()
    browser.assert_clean("admin-index")

    browser.goto(f"{browser.live_url}/admin/accounts/user/")
    assert page.locator("#result_list").is_visible()
    assert page.locator("#result_list", has_text="csp-admin").is_visible()
    browser.assert_clean("admin-changelist")

    page.locator("#result_list a", has_text="csp-admin").first.click()
    page.wait_for_url(re.compile(rf"/admin/accounts/user/{staff.pk}/change/$"))
    assert page.locator("input[name=username]").input_value() == "csp-admin"
    browser.assert_clean("admin-change")


def test_swagger_ui_works_under_the_policy(browser):
    response = browser.goto(f"{browser.live_url}/api/docs/")
    policy = policy_of(response)
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"], policy
    page = browser.page
    page.wait_for_selector(".opblock", state="visible")
    assert page.locator(".opblock").count() >= 10
    assert page.locator(".info .title", has_text="NodeByte Platform partner API").is_visible()
    browser.assert_clean("swagger-ui")
