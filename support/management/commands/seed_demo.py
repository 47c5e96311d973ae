"""`manage.py seed_demo`: a small, complete demo data set, safe to run again.

A studio with two games, their credit types and packages; one staff user per
role; players with coin and credit balances; a studio partner with an OAuth2
client-credentials application. Every row is looked up before it is created and
every balance is issued under a fixed idempotency key, so a second run changes
nothing. Prints the demo logins at the end.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services as account_services
from accounts.models import Customer, PartnerApplication, StaffProfile, StaffRole
from games import services as game_services
from games.models import CreditType, Game, Package, Studio
from games.services.catalog import create_studio
from ledger.models import Asset, TransferKind
from ledger.services import issue
from nodebyte_platform.schedule import sync_beat_schedule

INITIATOR = "system:seed_demo"
STUDIO_NAME = "Pixel Forge"

# name, type, description, credit type (name, label, credits per coin), packages (name, label, credits, coins)
GAMES = [
    (
        "Starfall Arena",
        "arcade",
        "Fast arena shooter in low orbit.",
        ("gems", "Gems", 10),
        [("gems-small", "100 Gems", 100, "10.00"), ("gems-large", "550 Gems", 550, "50.00")],
    ),
    (
        "Quiz Quest",
        "quiz",
        "Daily trivia with a leaderboard.",
        ("hints", "Hints", 5),
        [("hints-small", "25 Hints", 25, "5.00"), ("hints-large", "140 Hints", 140, "25.00")],
    ),
]

# username, role; the password is "<username>-demo". Demo only: set directly, never through a form.
STAFF = [
    ("admin", StaffRole.ADMIN),
    ("support", StaffRole.SUPPORT),
    ("accounting", StaffRole.ACCOUNTING),
    ("studio", StaffRole.STUDIO),
]

# username, nickname, coins, {credit type name: credits}
PLAYERS = [
    ("alice", "Alice", "500.00", {"gems": 250, "hints": 40}),
    ("bob", "Bob", "120.50", {"gems": 30}),
    ("carol", "Carol", "0.00", {}),
]

PARTNER_CLIENT_ID = "demo-pixel-forge"
PARTNER_CLIENT_SECRET = "demo-pixel-forge-secret"  # noqa: S105 - a published demo credential
# The same partner's player-facing client: authorization code + PKCE (docs/api-walkthrough.md).
PLAYER_APP_CLIENT_ID = "demo-pixel-forge-web"
PLAYER_APP_CLIENT_SECRET = "demo-pixel-forge-web-secret"  # noqa: S105 - a published demo credential
PLAYER_APP_REDIRECT_URI = "http://127.0.0.1:8000/demo/callback"
PLAYER_APP_SCOPES = [s for s in settings.OAUTH2_SCOPES if s != "credits:grant"]


@dataclass(frozen=True)
class Login:
    door: str
    username: str
    password: str
    what: str


def demo_password(username: str) -> str:
    return f"{username}-demo"


def demo_email(username: str) -> str:
    return f"{username}@demo.nodebyte.example"


class Command(BaseCommand):
    help = "Create (or complete) the demo data set and print the demo logins. Safe to run again."

    def handle(self, *args, **options):
        with transaction.atomic():
            studio = self.seed_catalog()
            logins = self.seed_staff(studio) + self.seed_players() + self.seed_partner(studio)
            entries = sync_beat_schedule()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({entries} scheduled jobs)."))
        self.print_logins(logins)

    # --- catalog -------------------------------------------------------------------

    def seed_catalog(self) -> Studio:
        studio = Studio.objects.filter(name=STUDIO_NAME).first() or create_studio(name=STUDIO_NAME)
        for name, game_type, description, (ct_name, ct_label, rate), packages in GAMES:
            game = Game.objects.filter(name=name).first() or game_services.create_game(
                studio=studio, name=name, description=description, type=game_type
            )
            credit_type = CreditType.objects.filter(game=game, name=ct_name).first()
            if credit_type is None:
                credit_type = game_services.create_credit_type(
                    game=game, name=ct_name, label=ct_label, exchange_rate=rate
                )
            for pkg_name, pkg_label, credits, coins in packages:
                if not Package.objects.filter(game=game, name=pkg_name).exists():
                    game_services.create_package(
                        credit_type=credit_type,
                        name=pkg_name,
                        label=pkg_label,
                        credit_value=credits,
                        gcoin_value=Decimal(coins),
                    )
        return studio

    # --- people --------------------------------------------------------------------

    def seed_staff(self, studio: Studio) -> list[Login]:
        logins = []
        for username, role in STAFF:
            profile = StaffProfile.objects.filter(user__username__iexact=username).select_related("user").first()
            if profile is None:
                profile = account_services.create_staff(
                    username=username,
                    email=demo_email(username),
                    password=demo_password(username),
                    role=role,
                    studio=studio if role == StaffRole.STUDIO else None,
                )
            account_services.mark_email_verified(user=profile.user)
            if role == StaffRole.ADMIN:
                account_services.grant_superuser(user=profile.user)
            what = f"staff: {role.label.lower()}"
            if role == StaffRole.ADMIN:
                what += " (superuser)"
            elif role == StaffRole.STUDIO:
                what += f" ({STUDIO_NAME} only)"
            logins.append(Login("admin", username, demo_password(username), what))
        return logins

    def seed_players(self) -> list[Login]:
        coin = Asset.objects.get(code="COIN")
        credit_types = {ct.name: ct for ct in CreditType.objects.select_related("asset")}
        logins = []
        for username, nickname, coins, credits in PLAYERS:
            customer = Customer.objects.filter(user__username__iexact=username).select_related("user").first()
            if customer is None:
                customer = account_services.create_player(
                    username=username,
                    email=demo_email(username),
                    password=demo_password(username),
                    nickname=nickname,
                )
            user = customer.user
            grants = [(coin, Decimal(coins))] + [(credit_types[name].asset, amount) for name, amount in credits.items()]
            for asset, amount in grants:
                if amount > 0:
                    issue(
                        user=user,
                        asset=asset,
                        amount=amount,
                        kind=TransferKind.DEPOSIT if asset.code == "COIN" else TransferKind.GRANT,
                        initiator=INITIATOR,
                        idempotency_key=f"seed_demo:{username}:{asset.code}",
                        description="Demo opening balance",
                    )
            balance = ", ".join(f"{amount} {asset.label}" for asset, amount in grants if amount > 0) or "no balance yet"
            logins.append(Login("portal", username, demo_password(username), f"player: {balance}"))
        return logins

    def seed_partner(self, studio: Studio) -> list[Login]:
        if not PartnerApplication.objects.filter(client_id=PARTNER_CLIENT_ID).exists():
            account_services.create_partner_application(
                partner=account_services.create_partner(name=f"{STUDIO_NAME} game server", studio=studio),
                name=f"{STUDIO_NAME} backend",
                client_id=PARTNER_CLIENT_ID,
                client_secret=PARTNER_CLIENT_SECRET,
                allowed_scopes=list(settings.OAUTH2_SCOPES),
            )
        if not PartnerApplication.objects.filter(client_id=PLAYER_APP_CLIENT_ID).exists():
            account_services.create_partner_application(
                partner=PartnerApplication.objects.get(client_id=PARTNER_CLIENT_ID).partner,
                name=f"{STUDIO_NAME} web (players)",
                client_id=PLAYER_APP_CLIENT_ID,
                client_secret=PLAYER_APP_CLIENT_SECRET,
                allowed_scopes=PLAYER_APP_SCOPES,
                grant_type=PartnerApplication.GRANT_AUTHORIZATION_CODE,
                redirect_uris=PLAYER_APP_REDIRECT_URI,
            )
        return [
            Login("api", PARTNER_CLIENT_ID, PARTNER_CLIENT_SECRET, "partner: client credentials, all scopes"),
            Login(
                "api", PLAYER_APP_CLIENT_ID, PLAYER_APP_CLIENT_SECRET, "partner: authorization code + PKCE (players)"
            ),
        ]

    # --- output --------------------------------------------------------------------

    def print_logins(self, logins: list[Login]) -> None:
        headers = Login("door", "username / client_id", "password / secret", "who")
        rows = [headers, *logins]
        widths = [max(len(getattr(row, field)) for row in rows) for field in ("door", "username", "password")]
        self.stdout.write("")
        self.stdout.write("Demo logins (admin: /admin/, portal: /, API token: POST /o/token/):")
        for index, row in enumerate(rows):
            cells = [row.door.ljust(widths[0]), row.username.ljust(widths[1]), row.password.ljust(widths[2]), row.what]
            self.stdout.write("  " + "  ".join(cells).rstrip())
            if index == 0:
                what_width = max(len(row.what) for row in rows)
                self.stdout.write("  " + "  ".join("-" * w for w in [*widths, what_width]))
        self.stdout.write("")
