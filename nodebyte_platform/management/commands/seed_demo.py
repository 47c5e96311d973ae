"""`manage.py seed_demo`: a small, complete demo data set, safe to run again.

A studio with two games, their credit types and packages; one staff user per
role; players with coin and credit balances; a studio partner with an OAuth2
client-credentials application. Every row is looked up before it is created and
every balance is issued under a fixed idempotency key, so a second run changes
nothing. Prints the demo logins at the end.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Customer, PartnerApplication, StaffProfile, StaffRole
from billing import services as billing_services
from billing.models import Invoice, Payment, PaymentKind, Withdrawal, WithdrawalMethod
from games import services as game_services
from games.hosting import integrations as hosting_connections
from games.hosting.models import (
    Allocation,
    DriftFinding,
    DriftOrigin,
    Egg,
    EggVariable,
    Integration,
    IntegrationKind,
    IntegrationStatus,
    Location,
    Nest,
    Node,
    PanelUser,
    Server,
    ServerStatus,
    SyncLog,
    SyncStatus,
    SyncType,
)
from games.models import Bet, BetLimit, BetOutcome, CreditType, Game, Package, Studio
from games.services.catalog import create_studio
from ledger import selectors as ledger_selectors
from ledger.models import TransferKind
from ledger.services import issue
from loyalty import services as loyalty_services
from loyalty.models import AbuseSignal, CurrencyType, RewardGrant, RewardRule, RewardType
from nodebyte_platform.celery import sync_beat_schedule
from support import services as support_services
from support.models import (
    CannedReply,
    DeliveryStatus,
    Department,
    Notification,
    NotificationType,
    Ticket,
    TicketCategory,
    TicketPriority,
    WebhookDelivery,
    WebhookEndpoint,
)

INITIATOR = "system:seed_demo"
HOSTING_PANEL_NAME = "Demo Pterodactyl panel"
HOSTING_PANEL_URL = "https://panel.demo.invalid"
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
# What only the game's server may do (grant credits, settle bets) stays off the player-facing client.
PLAYER_APP_SCOPES = [s for s in settings.OAUTH2_SCOPES if s not in ("credits:grant", "bets:settle")]
# Bets in COIN on the arena game: at most 500 coins paid per bet, the house loses at most 5,000 a day.
BET_LIMITS = [("Starfall Arena", "COIN", "500.00", "5000.00", "day")]


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
            self.seed_activity()
            _seed_payments()
            self.seed_loyalty()
            self.seed_support()
            self._seed_hosting()
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
        for game_name, asset_code, max_payout, exposure, period in BET_LIMITS:
            game = Game.objects.get(name=game_name)
            if not BetLimit.objects.filter(game=game, asset__code=asset_code).exists():
                game_services.set_bet_limit(
                    game=game,
                    asset=ledger_selectors.asset(code=asset_code),
                    max_payout_per_bet=Decimal(max_payout),
                    exposure_limit=Decimal(exposure),
                    exposure_period=period,
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
        coin = ledger_selectors.asset(code="COIN")
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

    # --- loyalty, billing and support activity ---------------------------------------

    def seed_activity(self) -> None:
        """A little of everything staff handle, so each back-office list has rows to show.

        Each step runs only when its rows are absent, so a second run adds nothing.
        """
        eur = ledger_selectors.asset(code="EUR")
        players = {
            c.user.username: c
            for c in Customer.objects.select_related("user").filter(
                user__username__in=[username for username, *_ in PLAYERS]
            )
        }
        alice, bob = players["alice"], players["bob"]
        support_user = StaffProfile.objects.select_related("user").get(user__username="support").user

        for customer in players.values():
            loyalty_services.ensure_player_profile(customer=customer)
        if not RewardGrant.objects.filter(customer=alice).exists():
            loyalty_services.issue_reward(
                customer=alice,
                reward_type=RewardType.LOYALTY_POINTS,
                amount=Decimal("250"),
                currency_type=CurrencyType.LP,
                metadata={"source": "seed_demo", "why": "welcome bonus"},
            )
        if not AbuseSignal.objects.filter(customer=bob).exists():
            loyalty_services.record_abuse_signal(
                customer=bob,
                signal_type="shared_device",
                severity=4,
                description="Two accounts signed in from one device within an hour.",
            )

        if not Payment.objects.filter(customer=alice).exists():
            payment = billing_services.create_payment(
                customer=alice,
                amount=Decimal("50.00"),
                currency=eur,
                type=PaymentKind.TOPUP,
                gateway_reference="seed-demo-alice-topup",
                description="Demo top-up",
            )
            _confirm_at_sandbox(payment)
        if not Withdrawal.objects.filter(customer=alice).exists():
            billing_services.request_withdrawal(
                customer=alice,
                amount=Decimal("10.00"),
                currency=eur,
                method=WithdrawalMethod.PAYPAL,
                paypal_email=demo_email("alice"),
            )
        if not Invoice.objects.filter(customer=bob).exists():
            billing_services.create_invoice(
                customer=bob,
                currency=eur,
                items=[{"description": "Game server, 4 GiB (monthly)", "unit_price": Decimal("9.99")}],
                due_at=timezone.now() + timedelta(days=7),
            )

        if not Ticket.objects.filter(customer=bob).exists():
            ticket = support_services.open_ticket(
                customer=bob,
                subject="My invoice shows the wrong plan",
                message="I ordered the 2 GiB server but the invoice says 4 GiB.",
                category=TicketCategory.BILLING,
            )
            support_services.add_ticket_reply(
                ticket=ticket,
                author=support_user,
                message="Checked the order: it was 4 GiB. Explain the upgrade path to the customer.",
                is_internal=True,
            )

    # --- support: queues, canned replies, tickets, notifications, a partner endpoint ---

    def seed_support(self) -> None:
        """Tickets in several states (open, waiting on the customer with a staff reply, closed), an
        internal note, canned replies, notifications for alice, and the demo partner's webhook
        endpoint with its delivery log (one delivered, one failed). Each step only when absent."""
        for slug, name, categories in (
            ("billing", "Billing", [TicketCategory.BILLING, TicketCategory.ACCOUNT]),
            ("technical", "Technical", [TicketCategory.TECHNICAL, TicketCategory.GENERAL]),
        ):
            Department.objects.get_or_create(slug=slug, defaults={"name": name, "categories": categories})
        for title, body in (
            (
                "Restart first",
                "Hello {{customer_name}}, please restart the server from the panel and tell us if "
                "“{{ticket_subject}}” still happens. — {{agent_name}}",
            ),
            (
                "Refund on its way",
                "Hello {{customer_name}}, we refunded the payment; it shows in 3–5 days. — {{agent_name}}",
            ),
        ):
            CannedReply.objects.get_or_create(title=title, defaults={"body": body})

        alice = Customer.objects.select_related("user").get(user__username="alice")
        support_user = StaffProfile.objects.select_related("user").get(user__username="support").user
        if not Ticket.objects.filter(customer=alice).exists():
            waiting = support_services.open_ticket(
                customer=alice,
                subject="Server lags every evening",
                message="Between 8 and 10 pm the tick rate drops to 5.",
                category=TicketCategory.TECHNICAL,
                priority=TicketPriority.HIGH,
            )
            support_services.add_ticket_reply(
                ticket=waiting, author=support_user, message="Same node as the backup job: move her.", is_internal=True
            )
            support_services.add_ticket_reply(
                ticket=waiting,
                author=support_user,
                message="We moved your server to a quieter node. Does the lag still happen?",
                await_customer=True,
            )
            closed = support_services.open_ticket(
                customer=alice, subject="How do I add a friend?", message="Where is the invite link?"
            )
            support_services.add_ticket_reply(
                ticket=closed, author=support_user, message="Account > Invite friends has your link."
            )
            support_services.close_ticket(ticket=closed, by=support_user)
            support_services.open_ticket(
                customer=alice,
                subject="Refund for a double top-up",
                message="I was charged twice.",
                category=TicketCategory.BILLING,
            )
        if not Notification.objects.filter(user=alice.user).exists():
            support_services.notify(
                customer=alice, type=NotificationType.PAYMENT, context={"amount": "50.00", "asset": "EUR"}
            )
            support_services.notify(
                customer=alice,
                type=NotificationType.LOW_BALANCE,
                context={"asset": "COIN", "balance": "4.00", "threshold": "10.00"},
                topic="COIN",
            )

        application = PartnerApplication.objects.get(client_id=PARTNER_CLIENT_ID)
        if not WebhookEndpoint.objects.filter(application=application).exists():
            endpoint, _secret = support_services.create_endpoint(
                application=application,
                url="https://partner.example/nodebyte/webhooks",
                event_types=["payment.completed", "bet.settled"],
                description="Demo receiver (not reachable: the demo never sends to it)",
            )
            # The endpoint's past deliveries, as its log shows them; written as history, nothing is sent.
            now = timezone.now()
            for n, (status, attempts, code, error) in enumerate(
                [(DeliveryStatus.DELIVERED, 2, 200, ""), (DeliveryStatus.FAILED, 7, 503, "HTTP 503")]
            ):
                WebhookDelivery.objects.create(
                    endpoint=endpoint,
                    event="payment.completed",
                    dedupe_key=f"seed-demo:payment.completed:{n}",
                    message_id=f"msg_seeddemo{n}",
                    payload={"type": "payment.completed", "data": {"payment_id": f"demo-{n}", "amount": "50.00"}},
                    status=status,
                    attempts=attempts,
                    response_status=code,
                    last_error=error,
                    delivered_at=now if status == DeliveryStatus.DELIVERED else None,
                )

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

    # --- hosting (issue 13) ----------------------------------------------------------

    def _seed_hosting(self) -> None:
        """A Pterodactyl connection and what a sync of it would have mirrored, for the hosting pages.

        The demo has no panel: the connection is honestly "error / not reachable", its one sync log
        is the failed run that says so, and "Test connection" or "Sync now" in the admin answers
        the same. The mirrors below are demo rows as a sync of a real panel would write them.
        """
        panel = Integration.objects.filter(name=HOSTING_PANEL_NAME).first()
        if panel is None:
            panel = hosting_connections.create_integration(
                kind=IntegrationKind.PTERODACTYL,
                name=HOSTING_PANEL_NAME,
                url=HOSTING_PANEL_URL,
                api_key="ptla_demo_key_not_valid_anywhere",  # a demo value: no panel accepts it
                sync_interval_minutes=0,  # no scheduled sync against a panel that does not exist
            )
        not_reachable = f"Not reachable: the demo has no panel at {HOSTING_PANEL_URL}."
        Integration.objects.filter(pk=panel.pk).update(status=IntegrationStatus.ERROR, last_error=not_reachable)
        mirror = {"integration": panel, "panel_type": panel.kind}

        def upsert(model, external_id, **values):
            row, _ = model.objects.get_or_create(external_id=external_id, **mirror, defaults=values)
            return row

        amsterdam = upsert(Location, 1, short_code="eu-west", description="Amsterdam")
        new_york = upsert(Location, 2, short_code="us-east", description="New York")
        nodes = [
            upsert(
                Node, 1, location=amsterdam, name="ams-1", fqdn="ams-1.panel.demo.invalid", memory=32768, disk=512000
            ),
            upsert(
                Node, 2, location=new_york, name="nyc-1", fqdn="nyc-1.panel.demo.invalid", memory=16384, disk=256000
            ),
        ]
        allocations = [
            upsert(Allocation, index + 1, node=node, ip=ip, port=port)
            for index, (node, ip, port) in enumerate(
                [
                    (nodes[0], "203.0.113.10", 25565),
                    (nodes[0], "203.0.113.10", 25566),
                    (nodes[1], "198.51.100.20", 25565),
                ]
            )
        ]
        minecraft = upsert(Nest, 1, name="Minecraft", author="support@pterodactyl.io", description="Minecraft servers")
        eggs = [
            upsert(
                Egg,
                number,
                nest=minecraft,
                name=name,
                docker_image="ghcr.io/pterodactyl/yolks:java_17",
                docker_images={"Java 17": "ghcr.io/pterodactyl/yolks:java_17"},
                startup="java -Xms128M -Xmx{{SERVER_MEMORY}}M -jar {{SERVER_JARFILE}}",
            )
            for number, name in ((1, "Paper"), (2, "Vanilla Minecraft"))
        ]
        for egg in eggs:
            upsert(
                EggVariable,
                egg.external_id,
                egg=egg,
                name="Server Jar File",
                env_variable="SERVER_JARFILE",
                default_value="server.jar",
                rules="required|string|max:20",
            )
        customers = {
            c.user.username: c
            for c in Customer.objects.filter(user__username__in=["alice", "bob"]).select_related("user")
        }
        for number, username in ((1, "alice"), (2, "bob")):
            PanelUser.objects.get_or_create(
                integration=panel,
                external_id=number,
                defaults={
                    "customer": customers[username],
                    "username": username,
                    "email": customers[username].user.email,
                    "panel_external_id": str(customers[username].player_id),
                },
            )
        synced = {"swap": 0, "io": 500, "cpu": 200, "databases_limit": 1, "backups_limit": 2, "allocations_limit": 1}
        servers = []
        for number, username, name, egg, node, allocation, memory in (
            (1, "alice", "alice-survival", eggs[0], nodes[0], allocations[0], 4096),
            (2, "alice", "alice-creative", eggs[1], nodes[0], allocations[1], 2048),
            (3, "bob", "bob-smp", eggs[0], nodes[1], allocations[2], 2048),
        ):
            values = {"memory": memory, "disk": 20480, **synced}
            server = Server.objects.filter(external_id=number, **mirror).first()
            if server is None:
                server = Server.objects.create(
                    **mirror,
                    external_id=number,
                    customer=customers[username],
                    name=name,
                    identifier=f"demo{number:04d}",
                    egg=egg,
                    node=node,
                    status=ServerStatus.RUNNING,
                    installed_at=timezone.now(),
                    default_allocation=allocation,
                    synced_values={
                        **values,
                        "egg": egg.external_id,
                        "node": node.external_id,
                        "owner": number if username == "alice" else 2,
                        "status": "active",
                    },
                    **values,
                )
                Allocation.objects.filter(pk=allocation.pk).update(server=server)
            servers.append(server)
        if not SyncLog.objects.filter(integration=panel).exists():
            now = timezone.now()
            SyncLog.objects.create(
                integration=panel,
                sync_type=SyncType.FULL,
                status=SyncStatus.FAILED,
                error_message=f"locations: {not_reachable}",
                started_at=now,
                completed_at=now,
                duration_ms=0,
                metadata={"entities": {}, "failures": [], "changes": [], "drift_findings": 0},
            )
        # What a sync would record if someone raised bob-smp's memory on the panel by hand.
        DriftFinding.objects.get_or_create(
            server=servers[2],
            field="memory",
            status="open",
            defaults={
                "integration": panel,
                "origin": DriftOrigin.PANEL,
                "panel_value": 4096,
                "our_value": 2048,
                "synced_value": 2048,
            },
        )

    # --- the loyalty engine (issue 15) ------------------------------------------------

    def seed_loyalty(self) -> None:
        """Bob plays and loses (so seed 001's example rule, left inactive, has a player to
        simulate), Alice has a bonus whose wagering her next bets advance, Carol is flagged and
        her reward waits in the review queue; metrics, segments and tiers are then computed."""
        players = {
            c.user.username: c
            for c in Customer.objects.select_related("user").filter(user__username__in=["alice", "bob", "carol"])
        }
        alice, bob, carol = players["alice"], players["bob"], players["carol"]
        arena = Game.objects.get(name="Starfall Arena")
        if not RewardRule.objects.filter(rule_id="losing-cashback").exists():
            loyalty_services.create_reward_rule(
                rule_id="losing-cashback",
                name="Cashback for losing players",
                description="Seed 001's example: 10% of the net loss back as bonus money. Simulate, then activate.",
                priority=10,
                is_active=False,
                conditions={
                    "segment": "LOSING",
                    "net_loss_min": 100,
                    "session_count_min": 3,
                    "days_since_last_deposit": {"max": 7},
                },
                reward_config={
                    "type": "BONUS_BALANCE",
                    "formula": "net_loss * 0.10",
                    "max_amount": 500,
                    "wagering_requirement": 10,
                    "expiry_hours": 48,
                    "eligible_games": ["slots", "roulette"],
                },
            )
        if not Bet.objects.filter(session__customer=bob).exists():
            # Three sessions of four bets: eleven lost, one won; a net loss of 105.00 COIN.
            for round_ in range(3):
                session = game_services.start_session(customer=bob, game=arena)
                for n in range(4):
                    won = round_ == 0 and n == 0
                    bet = game_services.place_bet(
                        session=session,
                        amount=Decimal("5.00" if won else "10.00"),
                        odds="2",
                        idempotency_key=f"seed_demo:bob:{round_}:{n}",
                    )
                    game_services.settle_bet(
                        bet=bet,
                        outcome=BetOutcome.WIN if won else BetOutcome.LOSS,
                        payout=Decimal("10.00") if won else None,
                    )
                game_services.end_session(session=session)
        if not RewardGrant.objects.filter(customer=alice, reward_type=RewardType.BONUS_BALANCE).exists():
            loyalty_services.issue_reward(
                customer=alice,
                reward_type=RewardType.BONUS_BALANCE,
                amount=Decimal("20.00"),
                currency_type=CurrencyType.BONUS,
                wagering_required=Decimal("100.00"),
                max_bet=Decimal("25.00"),
                eligible_games=["arcade"],
                expiry_hours=7 * 24,
                metadata={"source": "seed_demo", "why": "welcome bonus, 5x wagering in arcade games"},
            )
            # A deposit of 25 and her first wager of it towards the bonus (counted by loyalty's
            # reaction once this commits), so her opening 500 coins stay as printed.
            issue(
                user=alice.user,
                asset=ledger_selectors.asset(code="COIN"),
                amount=Decimal("25.00"),
                kind=TransferKind.DEPOSIT,
                initiator=INITIATOR,
                idempotency_key="seed_demo:alice:bonus-deposit",
                description="Demo deposit",
            )
            session = game_services.start_session(customer=alice, game=arena)
            bet = game_services.place_bet(
                session=session, amount=Decimal("25.00"), odds="2", idempotency_key="seed_demo:alice:bonus"
            )
            game_services.settle_bet(bet=bet, outcome=BetOutcome.LOSS)
            game_services.end_session(session=session)
        if not AbuseSignal.objects.filter(customer=carol).exists():
            loyalty_services.record_abuse_signal(
                customer=carol,
                signal_type="referral_ring",
                severity=7,
                description="Six accounts registered through Carol's referral code within a day.",
                metadata={"key": "seed_demo", "invitees": 6},
            )
        if not RewardGrant.objects.filter(customer=carol).exists():
            loyalty_services.issue_reward(
                customer=carol,
                reward_type=RewardType.TICKETS,
                amount=Decimal("5"),
                currency_type=CurrencyType.TICKETS,
                metadata={"source": "seed_demo", "why": "tournament prize"},
            )  # held: pending in the review queue
        loyalty_services.recompute_all_metrics()
        loyalty_services.recompute_segments()
        loyalty_services.recompute_tiers()


# --- payments (issue 12) --------------------------------------------------------------

# name, price (EUR), coins, bonus coins
COIN_PACKS = [
    ("Starter pack", "4.99", "500.00", "0.00"),
    ("Player pack", "9.99", "1000.00", "100.00"),
    ("Champion pack", "49.99", "5000.00", "1000.00"),
]


def _confirm_at_sandbox(payment, *, declined: str = "") -> None:
    """Settle a seeded payment the way every payment settles: by its gateway's event (here built
    as the sandbox's hosted page would send it), never by a direct call."""
    from billing.gateways import ProviderEvent

    key = f"evt_seed_{payment.public_id.hex[:16]}"
    if declined:
        obj = {
            "id": f"pi_seed_{payment.public_id.hex[:12]}",
            "object": "payment_intent",
            "metadata": {"payment": str(payment.public_id)},
            "last_payment_error": {"code": "card_declined", "message": declined},
        }
        event = ProviderEvent(id=key, type="payment_intent.payment_failed", object=obj)
    else:
        obj = {
            "id": payment.gateway_reference or f"cs_seed_{payment.public_id.hex[:12]}",
            "object": "checkout.session",
            "mode": "payment",
            "client_reference_id": str(payment.public_id),
            "payment_intent": f"pi_seed_{payment.public_id.hex[:12]}",
            "payment_status": "paid",
        }
        event = ProviderEvent(id=key, type="checkout.session.completed", object=obj)
    billing_services.handle_event(gateway=payment.gateway, event=event)


def _seed_payments() -> None:
    """Coin packs on sale; carol's payments: a pack bought, one declined, a top-up refunded; and
    bob's withdrawal, flagged (it follows a deposit) so it needs two accounting approvers, waiting
    in the review queue."""
    from billing.models import CoinPack
    from ledger.models import Wallet

    eur = ledger_selectors.asset(code="EUR")
    for order, (name, price, coins, bonus) in enumerate(COIN_PACKS):
        if not CoinPack.objects.filter(name=name).exists():
            billing_services.create_coin_pack(
                name=name, currency=eur, price=price, coins=coins, bonus_coins=bonus, sort_order=order
            )
    players = {
        c.user.username: c for c in Customer.objects.select_related("user").filter(user__username__in=["bob", "carol"])
    }
    carol, bob = players.get("carol"), players.get("bob")
    accounting = StaffProfile.objects.select_related("user").get(user__username="accounting").user
    if carol is not None and not Payment.objects.filter(customer=carol).exists():
        pack = CoinPack.objects.get(name="Player pack")
        bought = billing_services.create_payment(
            customer=carol, amount=pack.price, currency=eur, coin_pack=pack, description=f"{pack.name} (demo)"
        )
        _confirm_at_sandbox(bought)
        declined = billing_services.create_payment(
            customer=carol, amount=pack.price, currency=eur, coin_pack=pack, description=f"{pack.name} (demo)"
        )
        _confirm_at_sandbox(declined, declined="Your card was declined.")
        topped = billing_services.create_payment(
            customer=carol, amount=Decimal("20.00"), currency=eur, type=PaymentKind.TOPUP, description="Demo top-up"
        )
        _confirm_at_sandbox(topped)
        billing_services.refund_payment(
            payment=topped, amount=Decimal("20.00"), reason="Demo: topped up by mistake", by=accounting
        )
    if bob is not None and not Withdrawal.objects.filter(customer=bob).exists():
        wallet = Wallet.objects.filter(owner=bob.user, asset=eur).first()
        if wallet is None or wallet.balance < Decimal("150.00"):
            topup = billing_services.create_payment(
                customer=bob, amount=Decimal("300.00"), currency=eur, type=PaymentKind.TOPUP, description="Demo top-up"
            )
            _confirm_at_sandbox(topup)
        billing_services.request_withdrawal(
            customer=bob,
            amount=Decimal("150.00"),
            currency=eur,
            method=WithdrawalMethod.BANK,
            bank_details={"iban": "DE89 3704 0044 0532 0130 00", "account_holder": "Bob Demo"},
        )
