"""Factories for every games model. Accounts objects come from tests.factories.accounts (lazy paths)."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from games import models as m
from games import services
from ledger.models import Asset

CUSTOMER = "tests.factories.accounts.CustomerFactory"
USER = "tests.factories.accounts.UserFactory"


class StudioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Studio
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Studio {n}")


class GameFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Game

    studio = factory.SubFactory(StudioFactory)
    name = factory.Sequence(lambda n: f"Game {n}")
    description = "A test game."
    type = m.GameType.ARCADE


class CreditTypeFactory(factory.django.DjangoModelFactory):
    """Built through games.services.create_credit_type so the ledger Asset exists."""

    class Meta:
        model = m.CreditType

    game = factory.SubFactory(GameFactory)
    name = factory.Sequence(lambda n: f"gems{n}")
    label = factory.Sequence(lambda n: f"Gems {n}")
    exchange_rate = 10
    expiry_days = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.create_credit_type(**kwargs)


class PackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Package

    credit_type = factory.SubFactory(CreditTypeFactory)
    name = factory.Sequence(lambda n: f"pack{n}")
    label = factory.Sequence(lambda n: f"Pack {n}")
    credit_value = 100
    gcoin_value = Decimal("10.00")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kwargs.pop("game", None)
        return services.create_package(**kwargs)


class GameSessionFactory(factory.django.DjangoModelFactory):
    """A free, in-progress session. Metered sessions come from games.services.start_session."""

    class Meta:
        model = m.GameSession

    customer = factory.SubFactory(CUSTOMER)
    game = factory.SubFactory(GameFactory)


class BetFactory(factory.django.DjangoModelFactory):
    """A bet row without ledger movement; games.services.place_bet debits the stake for real."""

    class Meta:
        model = m.Bet

    session = factory.SubFactory(GameSessionFactory)
    asset = factory.LazyFunction(lambda: Asset.objects.get(code="COIN"))
    amount = Decimal("1.00")
    max_payout = Decimal("2.00")
    odds = Decimal("2.00")
    choice = "red"


class BetLimitFactory(factory.django.DjangoModelFactory):
    """Bets in COIN on a game, up to 100 coins per bet and 1,000 coins of house losses a day."""

    class Meta:
        model = m.BetLimit
        django_get_or_create = ("game", "asset")

    game = factory.SubFactory(GameFactory)
    asset = factory.LazyFunction(lambda: Asset.objects.get(code="COIN"))
    max_payout_per_bet = Decimal("100.00")
    exposure_limit = Decimal("1000.00")
    exposure_period = m.ExposurePeriod.DAY


class BetExposureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.BetExposure

    limit = factory.SubFactory(BetLimitFactory)
    period_start = factory.LazyFunction(lambda: m.period_start(m.ExposurePeriod.DAY, timezone.now()))
    net_payout = Decimal("12.00")
    bets_settled = 3


class BetLimitFindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.BetLimitFinding

    bet = factory.SubFactory(BetFactory)
    limit = factory.LazyAttribute(lambda o: BetLimitFactory(game=o.bet.session.game, asset=o.bet.asset))
    reason = m.FindingReason.PER_BET_CAP
    requested_payout = Decimal("150.00")
    cap = Decimal("100.00")
    exposure_before = Decimal("0.00")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Location

    short_code = factory.Sequence(lambda n: f"loc{n}")
    description = "Test location"


class NodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Node

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"node{n}")
    fqdn = factory.Sequence(lambda n: f"node{n}.example.test")
    memory = 16384
    disk = 102400


class NestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Nest

    name = factory.Sequence(lambda n: f"Nest {n}")


class EggFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Egg

    nest = factory.SubFactory(NestFactory)
    name = factory.Sequence(lambda n: f"Egg {n}")
    docker_image = "ghcr.io/example/minecraft:latest"
    startup = "java -jar server.jar"


class EggVariableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.EggVariable

    egg = factory.SubFactory(EggFactory)
    name = factory.Sequence(lambda n: f"Variable {n}")
    env_variable = factory.Sequence(lambda n: f"VAR_{n}")
    default_value = "1"


class EggPropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.EggProperty

    egg = factory.SubFactory(EggFactory)
    key = factory.Sequence(lambda n: f"prop{n}")
    value = "value"


class ServerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Server

    customer = factory.SubFactory(CUSTOMER)
    node = factory.SubFactory(NodeFactory)
    egg = factory.SubFactory(EggFactory)
    name = factory.Sequence(lambda n: f"server{n}")


class AllocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Allocation

    node = factory.SubFactory(NodeFactory)
    server = None
    ip = "10.0.0.1"
    port = factory.Sequence(lambda n: 25565 + (n % 30000))


class ServerVariableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ServerVariable

    server = factory.SubFactory(ServerFactory)
    egg_variable = factory.SubFactory(EggVariableFactory, egg=factory.SelfAttribute("..server.egg"))
    value = "2"


class ServerPropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ServerProperty

    server = factory.SubFactory(ServerFactory)
    key = factory.Sequence(lambda n: f"prop{n}")
    value = "value"


class ServerDatabaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ServerDatabase

    server = factory.SubFactory(ServerFactory)
    database = factory.Sequence(lambda n: f"s_db{n}")
    username = factory.Sequence(lambda n: f"u_db{n}")
    password = "db-secret-password"
    host = "127.0.0.1"


class ServerBackupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ServerBackup

    server = factory.SubFactory(ServerFactory)
    name = factory.Sequence(lambda n: f"backup{n}")
    size_bytes = 1024
    is_successful = True


class IntegrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Integration

    kind = m.IntegrationKind.PTERODACTYL
    name = factory.Sequence(lambda n: f"Panel {n}")
    url = factory.Sequence(lambda n: f"https://panel{n}.example.test")
    api_key = "panel-api-key-secret"
    api_secret = "panel-api-secret"


class SyncLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.SyncLog

    integration = factory.SubFactory(IntegrationFactory)
    sync_type = m.SyncType.SERVERS
    status = m.SyncStatus.COMPLETED
    records_total = 10
    records_synced = 10
    started_at = factory.LazyFunction(timezone.now)
    completed_at = factory.LazyFunction(timezone.now)


class HytaleTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.HytaleToken

    customer = factory.SubFactory(CUSTOMER)
    access_token = "hytale-access-token"
    refresh_token = "hytale-refresh-token"
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))


class HytaleGameSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.HytaleGameSession

    token = factory.SubFactory(HytaleTokenFactory)
    server = None
    session_token = "hytale-session-token"
    identity_token = "hytale-identity-token"
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))


class PanelUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.PanelUser

    integration = factory.SubFactory(IntegrationFactory)
    external_id = factory.Sequence(lambda n: n + 1)
    customer = factory.SubFactory(CUSTOMER)
    username = factory.Sequence(lambda n: f"panel-user-{n}")
    email = factory.Sequence(lambda n: f"panel-user-{n}@example.test")


class DriftFindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.DriftFinding

    integration = factory.SubFactory(IntegrationFactory)
    server = factory.SubFactory(ServerFactory, integration=factory.SelfAttribute("..integration"))
    field = "memory"
    origin = m.DriftOrigin.PANEL
    panel_value = 4096
    our_value = 2048
    synced_value = 2048
