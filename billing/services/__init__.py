"""Writes of billing: products, invoices, coin packs, payments and their gateways' events,
refunds and disputes, bank transfers, withdrawals, saved cards and auto top-up.

Money settles only through `ledger.services.post_transfer`, each move under an
idempotency key derived from the record's public id, so a retried call (a
double-clicked admin action, a replayed event or task) posts nothing twice.
"""

from billing.services.autotopup import charge_auto_topup, check_auto_topup, configure_auto_topup, record_charge_outcome
from billing.services.bank import approve_bank_payment, record_bank_payment, reject_bank_payment
from billing.services.checkout import buy_coin_pack, sandbox_decide, start_topup
from billing.services.coinpacks import create_coin_pack, update_coin_pack
from billing.services.events import handle_event, receive_gateway_request
from billing.services.invoices import cancel_invoice, create_invoice, mark_invoice_overdue, new_invoice_number
from billing.services.methods import add_sandbox_card, remove_method, start_card_setup
from billing.services.payments import cancel_payment, complete_payment, create_payment, fail_payment
from billing.services.products import create_product, update_product
from billing.services.refunds import open_dispute, refund_payment
from billing.services.withdrawals import (
    approve_withdrawal,
    cancel_withdrawal,
    complete_withdrawal,
    fail_withdrawal,
    pay_out_withdrawal,
    request_withdrawal,
    start_withdrawal_processing,
)

__all__ = [
    "add_sandbox_card",
    "approve_bank_payment",
    "approve_withdrawal",
    "buy_coin_pack",
    "cancel_invoice",
    "cancel_payment",
    "cancel_withdrawal",
    "charge_auto_topup",
    "check_auto_topup",
    "complete_payment",
    "complete_withdrawal",
    "configure_auto_topup",
    "create_coin_pack",
    "create_invoice",
    "create_payment",
    "create_product",
    "fail_payment",
    "fail_withdrawal",
    "handle_event",
    "mark_invoice_overdue",
    "new_invoice_number",
    "open_dispute",
    "pay_out_withdrawal",
    "receive_gateway_request",
    "record_bank_payment",
    "record_charge_outcome",
    "refund_payment",
    "reject_bank_payment",
    "remove_method",
    "request_withdrawal",
    "sandbox_decide",
    "start_card_setup",
    "start_topup",
    "start_withdrawal_processing",
    "update_coin_pack",
    "update_product",
]
