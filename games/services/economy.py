"""The game economy: packages bought with coins, credits spent in a game and granted by its studio."""

from django.db import transaction

from games.errors import InvalidState, NotAllowed
from games.models import CreditType, Package
from games.signals import package_purchased
from ledger import selectors as ledger_selectors
from ledger.models import SystemWallet, Transfer, TransferKind
from ledger.services import Leg, post_transfer, system_wallet, to_amount, user_wallet, user_wallets


def initiator_for(application) -> str:
    """Who a transfer is posted for; it scopes idempotency keys (one partner's key never meets another's)."""
    return f"app:{application.pk}" if application is not None else "system:games"


def require_own_studio(*, application, studio_id) -> None:
    """A partner application acts only on its own studio's games (what the API checks by token, again here)."""
    partner = getattr(application, "partner", None)
    if partner is None or partner.studio_id is None or partner.studio_id != studio_id:
        raise NotAllowed("Only the game's own studio may do this.", details={"studio": "not yours"})


@transaction.atomic
def buy_package(*, customer, package: Package, idempotency_key: str | None = None, application=None) -> Transfer:
    """One transfer: the package's coins leave the player, its credits arrive (seed 000: one event, two legs).

    `idempotency_key` is for callers that retry on their own (the ledger replays the transfer);
    the partner API makes a request happen once with its own record and passes none.
    """
    if not package.is_active or not package.game.is_active:
        raise InvalidState("This package is not on sale.", details={"package_id": package.pk})
    if application is not None:
        require_own_studio(application=application, studio_id=package.game.studio_id)
    coin = ledger_selectors.asset(code="COIN")
    credit_asset = package.credit_type.asset
    price = package.gcoin_value
    credits = to_amount(package.credit_value, asset=credit_asset)
    wallets = user_wallets(user=customer.user, assets=[coin, credit_asset])
    transfer = post_transfer(
        kind=TransferKind.PURCHASE,
        legs=[
            Leg(wallets[coin.pk], -price),
            Leg(system_wallet(code=SystemWallet.REVENUE, asset=coin), price),
            Leg(system_wallet(code=SystemWallet.ISSUANCE, asset=credit_asset), -credits),
            Leg(wallets[credit_asset.pk], credits),
        ],
        initiator=initiator_for(application),
        idempotency_key=idempotency_key,
        description=f"Bought {package.label}",
        reference=f"package:{package.pk}",
        metadata={"package": package.pk, "game": package.game_id, "credit_type": package.credit_type_id},
        application=application,
    )
    package_purchased.emit(
        key=f"purchase:{transfer.public_id}", package_id=package.pk, customer_id=customer.pk, transfer_id=transfer.pk
    )
    return transfer


@transaction.atomic
def spend_credits(
    *,
    customer,
    credit_type: CreditType,
    amount,
    idempotency_key: str | None = None,
    application=None,
    reference: str = "",
    description: str = "",
) -> Transfer:
    """Debit the player's credits of a game (they go to the game's revenue wallet); a partner spends
    only the credits of its own studio's games."""
    if application is not None:
        require_own_studio(application=application, studio_id=credit_type.game.studio_id)
    asset = credit_type.asset
    amount = to_amount(amount, asset=asset)
    return post_transfer(
        kind=TransferKind.SPEND,
        legs=[
            Leg(user_wallet(user=customer.user, asset=asset), -amount),
            Leg(system_wallet(code=SystemWallet.REVENUE, asset=asset), amount),
        ],
        initiator=initiator_for(application),
        idempotency_key=idempotency_key,
        description=description or f"Spent {credit_type.label}",
        reference=reference,
        metadata={"credit_type": credit_type.pk},
        application=application,
    )


@transaction.atomic
def grant_credits(
    *, application, customer, credit_type: CreditType, amount, reason: str, idempotency_key: str | None = None
) -> Transfer:
    """Credit a player with a game's credits. Only a partner of the game's own studio may grant."""
    require_own_studio(application=application, studio_id=credit_type.game.studio_id)
    asset = credit_type.asset
    amount = to_amount(amount, asset=asset)
    return post_transfer(
        kind=TransferKind.GRANT,
        legs=[
            Leg(system_wallet(code=SystemWallet.ISSUANCE, asset=asset), -amount),
            Leg(user_wallet(user=customer.user, asset=asset), amount),
        ],
        initiator=initiator_for(application),
        idempotency_key=idempotency_key,
        description=reason,
        metadata={"credit_type": credit_type.pk, "partner": application.partner_id},
        application=application,
    )
