"""Staff adjustments of a wallet, with maker-checker above a configurable threshold.

Every adjustment is an AdjustmentRequest (the audit trail). At or below
constance ADJUSTMENT_APPROVAL_THRESHOLD (absolute amount) it posts at once;
above it waits for a second user to approve it. Nobody approves their own.
"""

from decimal import Decimal, InvalidOperation

from constance import config
from django.db import IntegrityError, transaction
from django.utils import timezone

from ledger.errors import IdempotencyConflict, InvalidAmount, InvalidState, SelfApproval
from ledger.models import AdjustmentRequest, AdjustmentStatus, Asset, SystemWallet, Transfer, TransferKind, Wallet
from ledger.services.transfers import Leg, post_transfer, to_amount
from ledger.services.wallets import system_wallet, user_wallet
from nodebyte_platform.fsm import transition


def approval_threshold() -> Decimal:
    try:
        return Decimal(str(config.ADJUSTMENT_APPROVAL_THRESHOLD))
    except (InvalidOperation, ValueError):
        # A mistyped setting must not let large adjustments through unapproved.
        return Decimal(0)


def adjust_balance(
    *,
    user=None,
    asset: Asset | None = None,
    amount,
    reason: str,
    created_by,
    idempotency_key: str | None = None,
    wallet: Wallet | None = None,
) -> AdjustmentRequest:
    """Adjust `user`'s `asset` wallet (or `wallet`) by a signed `amount`, against the adjustments wallet.

    Returns the AdjustmentRequest: `posted` (with its transfer) at or below the threshold,
    `pending` above it. The same `idempotency_key` from the same staff user returns the
    original request; with a different wallet or amount it raises IdempotencyConflict.
    """
    if wallet is None:
        if user is None or asset is None:
            raise InvalidAmount("An adjustment needs a wallet, or a user and an asset.")
        wallet = user_wallet(user=user, asset=asset)
    asset = wallet.asset
    amount = to_amount(amount, asset=asset, positive=False)
    if amount == 0:
        raise InvalidAmount("An adjustment cannot be zero.")
    if not (reason or "").strip():
        raise InvalidAmount("An adjustment needs a reason.")
    if created_by is None:
        raise InvalidAmount("An adjustment needs the staff user who makes it.")
    if wallet.system_code == SystemWallet.ADJUSTMENTS:
        raise InvalidAmount("The adjustments wallet is the counterpart of every adjustment; pick another wallet.")

    if idempotency_key:
        existing = _replay(requested_by=created_by, idempotency_key=idempotency_key, wallet=wallet, amount=amount)
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            request = AdjustmentRequest.objects.create(
                wallet=wallet,
                amount=amount,
                reason=reason.strip(),
                requested_by=created_by,
                idempotency_key=idempotency_key or None,
            )
            if abs(amount) <= approval_threshold():
                _post(request=request, approved_by=None)
            return request
    except IntegrityError:
        if idempotency_key:
            existing = _replay(requested_by=created_by, idempotency_key=idempotency_key, wallet=wallet, amount=amount)
            if existing is not None:
                return existing
        raise


def _replay(*, requested_by, idempotency_key: str, wallet: Wallet, amount: Decimal) -> AdjustmentRequest | None:
    existing = AdjustmentRequest.objects.filter(requested_by=requested_by, idempotency_key=idempotency_key).first()
    if existing is not None and (existing.wallet_id != wallet.pk or existing.amount != amount):
        raise IdempotencyConflict(
            "This idempotency key was already used for a different adjustment.",
            details={"idempotency_key": idempotency_key},
        )
    return existing


def _post(*, request: AdjustmentRequest, approved_by) -> Transfer:
    wallet = Wallet.objects.select_related("asset").get(pk=request.wallet_id)
    counterpart = system_wallet(code=SystemWallet.ADJUSTMENTS, asset=wallet.asset)
    transfer = post_transfer(
        kind=TransferKind.ADJUSTMENT,
        legs=[Leg(counterpart, -request.amount), Leg(wallet, request.amount)],
        initiator=f"user:{request.requested_by_id}",
        idempotency_key=f"adjustment:{request.pk}",
        description=request.reason,
        metadata={
            "adjustment_request": request.pk,
            "requested_by": request.requested_by_id,
            "approved_by": approved_by.pk if approved_by else None,
        },
        created_by=approved_by or request.requested_by,
        # A correction must be possible on a frozen account (e.g. clawing back abuse); it is audited.
        allow_frozen=True,
    )
    request.mark_posted(transfer=transfer)
    request.decided_at = request.decided_at or timezone.now()
    request.save()
    return transfer


def _locked(request: AdjustmentRequest) -> AdjustmentRequest:
    return AdjustmentRequest.objects.select_for_update().get(pk=request.pk)


def approve_adjustment(*, request: AdjustmentRequest, approved_by) -> AdjustmentRequest:
    """Approve a pending adjustment and post it. The maker cannot approve their own request."""
    with transaction.atomic():
        request = _locked(request)
        if approved_by is None or approved_by.pk == request.requested_by_id:
            raise SelfApproval("An adjustment must be approved by someone other than the person who asked for it.")
        transition(request, "approve", error=InvalidState, by=approved_by)
        request.decided_at = timezone.now()
        request.save()
        _post(request=request, approved_by=approved_by)
        return request


def reject_adjustment(*, request: AdjustmentRequest, rejected_by, note: str) -> AdjustmentRequest:
    """Reject a pending adjustment; nothing is posted. The maker may withdraw their own request."""
    if not (note or "").strip():
        raise InvalidAmount("A rejection needs a note.")
    with transaction.atomic():
        request = _locked(request)
        transition(request, "reject", error=InvalidState, by=rejected_by, note=note.strip())
        request.decided_at = timezone.now()
        request.save()
        return request


__all__ = ["AdjustmentStatus", "adjust_balance", "approval_threshold", "approve_adjustment", "reject_adjustment"]
