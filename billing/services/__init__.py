"""Writes of billing: products, invoices, payments, withdrawals, auto top-up settings.

Money settles only through `ledger.services.post_transfer`, each move under an
idempotency key derived from the record's public id, so a retried call (a
double-clicked admin action, a replayed task) posts nothing twice.

Withdrawal money path: requesting holds the amount (customer wallet -> `payouts`);
failing or cancelling releases it (`payouts` -> customer); completing pays it out
(`payouts` -> the gateway).
"""

from billing.services.invoices import cancel_invoice, create_invoice, mark_invoice_overdue, new_invoice_number
from billing.services.payments import (
    cancel_payment,
    complete_payment,
    configure_auto_topup,
    create_payment,
    fail_payment,
)
from billing.services.products import create_product, update_product
from billing.services.withdrawals import (
    cancel_withdrawal,
    complete_withdrawal,
    fail_withdrawal,
    request_withdrawal,
    start_withdrawal_processing,
)

__all__ = [
    "cancel_invoice",
    "cancel_payment",
    "cancel_withdrawal",
    "complete_payment",
    "complete_withdrawal",
    "configure_auto_topup",
    "create_invoice",
    "create_payment",
    "create_product",
    "fail_payment",
    "fail_withdrawal",
    "mark_invoice_overdue",
    "new_invoice_number",
    "request_withdrawal",
    "start_withdrawal_processing",
    "update_product",
]
