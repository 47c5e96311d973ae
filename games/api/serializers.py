"""Request and response bodies. Requests declare only what a partner may set: any other field is ignored."""

from decimal import Decimal

from rest_framework import serializers

from games.models import BetOutcome, SessionResult

AMOUNT_REGEX = r"^[0-9]{1,16}(\.[0-9]{1,4})?$"


def money(amount, asset) -> str | None:
    """A decimal string with exactly the asset's places (money never travels as a float)."""
    if amount is None:
        return None
    return str(Decimal(amount).quantize(Decimal(1).scaleb(-asset.precision)))


class AmountField(serializers.RegexField):
    """A positive decimal amount sent as a string, e.g. "12.50"; the asset's precision is checked later."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 21)
        super().__init__(AMOUNT_REGEX, **kwargs)
        self.error_messages["invalid"] = 'Send the amount as a decimal string, e.g. "12.50".'

    def to_internal_value(self, data):
        # A JSON number has already passed through a float: only strings carry exact decimals.
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# --- Catalog ------------------------------------------------------------------------


class CreditTypeOut(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    asset = serializers.CharField(source="asset.code")
    exchange_rate = serializers.IntegerField(help_text="Credits per coin.")
    expiry_days = serializers.IntegerField(allow_null=True)


class PackageOut(serializers.Serializer):
    package_id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    label = serializers.CharField()
    credit_type = serializers.CharField(source="credit_type.name")
    credit_value = serializers.IntegerField()
    gcoin_value = serializers.DecimalField(max_digits=20, decimal_places=2, coerce_to_string=True)


class GameOut(serializers.Serializer):
    game_id = serializers.UUIDField(source="guid")
    name = serializers.CharField()
    description = serializers.CharField()
    type = serializers.CharField()
    metadata = serializers.JSONField()
    credit_types = CreditTypeOut(many=True)
    packages = PackageOut(many=True)


# --- Wallets and history ------------------------------------------------------------


class WalletOut(serializers.Serializer):
    asset = serializers.CharField(source="asset.code")
    kind = serializers.CharField(source="asset.kind")
    label = serializers.CharField(source="asset.label")
    precision = serializers.IntegerField(source="asset.precision")
    balance = serializers.SerializerMethodField()

    def get_balance(self, wallet) -> str:
        return money(wallet.balance, wallet.asset)


class TransactionOut(serializers.Serializer):
    transaction_id = serializers.UUIDField(source="transfer.public_id")
    kind = serializers.CharField(source="transfer.kind")
    asset = serializers.CharField(source="wallet.asset.code")
    amount = serializers.SerializerMethodField()
    balance_after = serializers.SerializerMethodField()
    description = serializers.CharField(source="transfer.description")
    reference = serializers.CharField(source="transfer.reference")
    created_at = serializers.DateTimeField()

    def get_amount(self, posting) -> str:
        return money(posting.amount, posting.wallet.asset)

    def get_balance_after(self, posting) -> str | None:
        return money(posting.balance_after, posting.wallet.asset)


# --- Purchases and credits ----------------------------------------------------------


class PurchaseIn(serializers.Serializer):
    package_id = serializers.IntegerField(min_value=1, max_value=2**62)


class PurchaseOut(serializers.Serializer):
    transaction_id = serializers.UUIDField()
    game_id = serializers.UUIDField()
    package_id = serializers.IntegerField()
    credit_type = serializers.CharField()
    coins_spent = serializers.CharField(help_text="Decimal string.")
    credits_received = serializers.CharField(help_text="Decimal string.")
    coin_balance = serializers.CharField(help_text="The player's COIN balance after the purchase.")
    credit_balance = serializers.CharField(help_text="The player's balance of the credit type after the purchase.")
    created_at = serializers.DateTimeField()


class SpendIn(serializers.Serializer):
    credit_type = serializers.CharField(max_length=32)
    amount = AmountField()
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class GrantIn(serializers.Serializer):
    player_id = serializers.UUIDField()
    credit_type = serializers.CharField(max_length=32)
    amount = AmountField()
    reason = serializers.CharField(max_length=500)


class CreditMoveOut(serializers.Serializer):
    transaction_id = serializers.UUIDField()
    player_id = serializers.UUIDField()
    credit_type = serializers.CharField()
    amount = serializers.CharField(help_text="Decimal string.")
    balance = serializers.CharField(help_text="The player's balance of the credit type afterwards.")
    created_at = serializers.DateTimeField()


# --- Sessions and bets --------------------------------------------------------------


class SessionStartIn(serializers.Serializer):
    game_id = serializers.UUIDField()
    price_per_minute = AmountField(required=False, help_text="Makes the session metered: charged per started minute.")
    asset = serializers.CharField(max_length=32, required=False, help_text="Asset of a metered session; COIN if unset.")
    content_id = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    content_title = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    platform = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    metadata = serializers.DictField(required=False, default=dict)


class SessionEndIn(serializers.Serializer):
    result = serializers.ChoiceField(choices=SessionResult.choices, required=False, allow_blank=True, default="")
    score = serializers.DecimalField(max_digits=20, decimal_places=4, required=False, allow_null=True, default=None)
    forfeit = serializers.BooleanField(required=False, default=False)


class SessionOut(serializers.Serializer):
    session_id = serializers.UUIDField(source="public_id")
    game_id = serializers.UUIDField(source="game.guid")
    player_id = serializers.UUIDField(source="customer.player_id")
    status = serializers.CharField()
    metered = serializers.BooleanField(source="is_metered")
    asset = serializers.CharField(source="asset.code", allow_null=True, default=None)
    price_per_minute = serializers.SerializerMethodField()
    reserved_amount = serializers.SerializerMethodField()
    total_cost = serializers.SerializerMethodField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.IntegerField(allow_null=True)
    result = serializers.CharField()
    score = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)

    def get_price_per_minute(self, session) -> str | None:
        return money(session.price_per_minute, session.asset) if session.asset else None

    def get_reserved_amount(self, session) -> str | None:
        return money(session.reserved_amount, session.asset) if session.asset else None

    def get_total_cost(self, session) -> str | None:
        return money(session.total_cost, session.asset) if session.asset else None


ODDS_REGEX = r"^[0-9]{1,5}(\.[0-9]{1,4})?$"


class BetIn(serializers.Serializer):
    amount = AmountField()
    asset = serializers.CharField(max_length=32, required=False, help_text="The session's asset, or COIN, if unset.")
    choice = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    odds = serializers.RegexField(
        ODDS_REGEX,
        max_length=10,
        required=False,
        help_text='Decimal odds, e.g. "2.50": a win pays at most stake x odds. Send odds or max_payout, not both.',
    )
    max_payout = AmountField(
        required=False, help_text="The most a win of this bet pays, stake included. Send odds or max_payout."
    )

    def validate(self, attrs):
        if ("odds" in attrs) == ("max_payout" in attrs):
            raise serializers.ValidationError({"odds": ["Send either odds or max_payout (exactly one)."]})
        return attrs


class BetSettleIn(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=BetOutcome.choices)
    payout = AmountField(
        required=False,
        help_text="Decimal string; required for a win, 0 for a loss, the stake for a push.",
    )


class BetOut(serializers.Serializer):
    bet_id = serializers.UUIDField(source="public_id")
    session_id = serializers.UUIDField(source="session.public_id")
    asset = serializers.CharField(source="asset.code")
    amount = serializers.SerializerMethodField()
    choice = serializers.CharField()
    odds = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True, coerce_to_string=True)
    max_payout = serializers.SerializerMethodField()
    status = serializers.CharField()
    outcome = serializers.CharField()
    payout = serializers.SerializerMethodField()
    placed_at = serializers.DateTimeField()
    settled_at = serializers.DateTimeField(allow_null=True)

    def get_amount(self, bet) -> str:
        return money(bet.amount, bet.asset)

    def get_max_payout(self, bet) -> str:
        return money(bet.max_payout, bet.asset)

    def get_payout(self, bet) -> str:
        return money(bet.payout, bet.asset)
