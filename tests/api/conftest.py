"""OAuth2 fixtures for the partner API: real tokens from DOT's /o/authorize/ and /o/token/.

`world` builds two studios, each with a partner, a client-credentials app, an authorization-code
app, a game with a credit type and a package; and two funded players. Tokens are minted through
the real endpoints: client credentials with HTTP Basic, player tokens through authorize (consent
form posted by the logged-in player) + token exchange with PKCE S256.
"""

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client

from accounts.models import PartnerApplication
from ledger.models import Asset, SystemWallet
from ledger.services import issue
from tests.caching import clear_cache
from tests.factories.accounts import CustomerFactory, PartnerApplicationFactory, PartnerFactory
from tests.factories.games import BetLimitFactory, CreditTypeFactory, GameFactory, PackageFactory, StudioFactory

ALL_SCOPES = (
    "catalog:read profile:read wallet:read purchases:write credits:spend credits:grant sessions:write bets:settle"
    " loyalty:read"
)
PLAYER_SCOPES = "catalog:read profile:read wallet:read purchases:write credits:spend sessions:write loyalty:read"
REDIRECT = "https://partner.example/callback"


def client_credentials_token(app, scope: str = ALL_SCOPES) -> str:
    basic = base64.b64encode(f"{app.client_id}:{app.raw_client_secret}".encode()).decode()
    response = Client().post(
        "/o/token/", {"grant_type": "client_credentials", "scope": scope}, HTTP_AUTHORIZATION=f"Basic {basic}"
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def player_token(app, customer, scope: str = PLAYER_SCOPES, full: bool = False):
    """The authorization-code flow with PKCE S256, as a partner's server and the player's browser run it.

    Returns the access token, or with `full` the token endpoint's whole answer (refresh token included).
    """
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    browser = Client()
    browser.force_login(customer.user)
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    consent = browser.get("/o/authorize/", params)
    assert consent.status_code == 200, consent.content
    answer = browser.post("/o/authorize/", {**params, "allow": "Authorize"})
    assert answer.status_code == 302, answer.content
    code = parse_qs(urlparse(answer["Location"]).query)["code"][0]
    response = Client().post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": app.client_id,
            "client_secret": app.raw_client_secret,
        },
    )
    assert response.status_code == 200, response.content
    return response.json() if full else response.json()["access_token"]


@dataclass
class Partner:
    studio: object
    partner: object
    cc_app: object
    code_app: object
    game: object
    credit_type: object
    package: object
    _tokens: dict = field(default_factory=dict)

    def cc(self, scope: str = ALL_SCOPES) -> str:
        if scope not in self._tokens:
            self._tokens[scope] = client_credentials_token(self.cc_app, scope)
        return self._tokens[scope]

    def player(self, customer, scope: str = PLAYER_SCOPES) -> str:
        key = (customer.pk, scope)
        if key not in self._tokens:
            self._tokens[key] = player_token(self.code_app, customer, scope)
        return self._tokens[key]


def make_partner(name: str) -> Partner:
    studio = StudioFactory(name=f"{name} studio")
    partner = PartnerFactory(name=name, studio=studio)
    cc_app = PartnerApplicationFactory(partner=partner, name=f"{name} server", allowed_scopes=ALL_SCOPES)
    code_app = PartnerApplicationFactory(
        partner=partner,
        name=f"{name} player app",
        authorization_grant_type=PartnerApplication.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT,
        allowed_scopes=PLAYER_SCOPES,
    )
    game = GameFactory(studio=studio, name=f"{name} game")
    credit_type = CreditTypeFactory(game=game, name="gems", label="Gems")
    package = PackageFactory(credit_type=credit_type, credit_value=100, gcoin_value=Decimal("10.00"))
    # The game takes COIN bets up to 100 coins paid per bet and 1,000 coins of house losses a day.
    BetLimitFactory(game=game)
    return Partner(studio, partner, cc_app, code_app, game, credit_type, package)


def fund(customer, amount="100.00", code="COIN"):
    issue(
        user=customer.user,
        asset=Asset.objects.get(code=code),
        amount=Decimal(amount),
        source=SystemWallet.ISSUANCE,
        initiator="test:fund",
        idempotency_key=f"fund-{uuid.uuid4()}",
    )


@dataclass
class World:
    a: Partner
    b: Partner
    alice: object
    bob: object


@pytest.fixture
def world(db):
    clear_cache()
    alice = CustomerFactory(user__username="alice")
    bob = CustomerFactory(user__username="bob")
    fund(alice)
    fund(bob)
    return World(make_partner("Alpha"), make_partner("Beta"), alice, bob)


class Api:
    """A thin client: bearer token, JSON bodies, a fresh Idempotency-Key unless one is given."""

    def __init__(self):
        self.client = Client()

    def get(self, path, token=None, **params):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        return self.client.get(path, params, **headers)

    def post(self, path, body=None, token=None, key="auto"):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        if key == "auto":
            key = str(uuid.uuid4())
        if key:
            headers["HTTP_IDEMPOTENCY_KEY"] = key
        return self.client.post(path, body or {}, content_type="application/json", **headers)


@pytest.fixture
def api():
    return Api()


def error_code(response) -> str:
    return response.json()["error"]["code"]
