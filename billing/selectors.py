"""Reads of billing shared by the portal, the admin and the API."""

from django.db.models import QuerySet

from billing.models import CoinPack, Payment, SavedPaymentMethod, Withdrawal


def coin_packs_on_sale() -> QuerySet[CoinPack]:
    return CoinPack.objects.filter(is_active=True).select_related("currency")


def payments_of(*, customer) -> QuerySet[Payment]:
    """The player's payments, top-ups and refunds, newest first, with what each needs to show."""
    return (
        Payment.objects.filter(customer=customer)
        .select_related("currency", "coin_pack", "refund_of")
        .order_by("-created_at", "-id")
    )


def withdrawals_of(*, customer) -> QuerySet[Withdrawal]:
    return Withdrawal.objects.filter(customer=customer).select_related("currency").order_by("-created_at", "-id")


def saved_methods_of(*, customer) -> QuerySet[SavedPaymentMethod]:
    return SavedPaymentMethod.objects.filter(customer=customer, is_active=True).order_by("-created_at", "-id")
