"""Reads of the loyalty app shared by the portal page and the API's /me/loyalty/."""

from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from ledger.models import Posting, Wallet
from loyalty.models import PlayerProfile, RewardGrant, RewardStatus, Segment, TierChange
from loyalty.services.points import REDEEM_TARGETS, redemption_rate
from loyalty.services.standing import tier_progress

LOYALTY_ASSETS = ["LP", "RP", "BONUS", "TICKETS"]
HISTORY = 20


def balances(*, customer) -> dict[str, str]:
    wallets = Wallet.objects.filter(owner_id=customer.user_id, asset__code__in=LOYALTY_ASSETS).select_related("asset")
    shown = {code: "0" for code in LOYALTY_ASSETS}
    for wallet in wallets:
        shown[wallet.asset.code] = wallet.asset.format_amount(wallet.balance)
    return shown


def active_bonuses(*, customer) -> list[dict]:
    """Active grants with wagering to do, soonest expiry first, with their progress in percent."""
    now = timezone.now()
    grants = (
        RewardGrant.objects.filter(customer=customer, status=RewardStatus.ACTIVE)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("expires_at", "pk")[:50]
    )
    out = []
    for grant in grants:
        required = grant.wagering_required
        percent = int(min(grant.wagering_completed / required * 100, 100)) if required else 100
        out.append(
            {
                "bonus_id": grant.public_id,
                "reward_type": grant.reward_type,
                "label": grant.get_reward_type_display(),
                "amount": grant.amount,
                "currency": grant.currency_type,
                "wagering_required": required,
                "wagering_completed": grant.wagering_completed,
                "wagering_percent": percent,
                "max_bet": grant.max_bet,
                "eligible_games": grant.eligible_games,
                "expires_at": grant.expires_at,
            }
        )
    return out


def history(*, customer, limit: int = HISTORY) -> list[Posting]:
    """The latest movements on the player's loyalty wallets (seed 001 `transactions`)."""
    return list(
        Posting.objects.filter(wallet__owner_id=customer.user_id, wallet__asset__code__in=LOYALTY_ASSETS)
        .select_related("transfer", "wallet__asset")
        .order_by("-created_at", "-id")[:limit]
    )


def loyalty_overview(*, customer) -> dict:
    """Everything the player's loyalty page shows: standing, balances, bonuses, history, redemption."""
    profile = PlayerProfile.objects.filter(customer=customer).only("tier", "segment").first()
    return {
        "segment": profile.segment if profile else Segment.NEW,
        "progress": tier_progress(customer=customer),
        "balances": balances(customer=customer),
        "bonuses": active_bonuses(customer=customer),
        "history": history(customer=customer),
        "tier_changes": list(TierChange.objects.filter(customer=customer)[:5]),
        "redemption_rates": {target: redemption_rate(target) for target in REDEEM_TARGETS},
        "zero": Decimal(0),
    }
