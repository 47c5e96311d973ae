"""One transition helper (nodebyte_platform.fsm) for every django-fsm record: a refused transition is
the calling app's InvalidState and the kernel's, with code `invalid_state`, status 409 and the state."""

import pytest

from billing import services as billing_services
from billing.errors import BillingError
from nodebyte_platform import errors as platform_errors
from nodebyte_platform.fsm import transition
from support import services as support_services
from support.errors import InvalidState as SupportInvalidState
from tests.factories.billing import InvoiceFactory
from tests.factories.support import TicketFactory

pytestmark = pytest.mark.django_db


def test_a_refused_transition_is_the_apps_invalid_state_and_the_kernels():
    invoice = billing_services.cancel_invoice(invoice=InvoiceFactory())
    with pytest.raises(BillingError) as refused:
        billing_services.mark_invoice_overdue(invoice=invoice)
    assert isinstance(refused.value, platform_errors.InvalidState)
    assert (refused.value.code, refused.value.http_status) == ("invalid_state", 409)
    assert refused.value.message == "Cannot mark overdue this invoice: it is cancelled."
    assert refused.value.details == {"status": "cancelled"}

    ticket = support_services.close_ticket(ticket=TicketFactory())
    with pytest.raises(platform_errors.InvalidState) as refused:
        support_services.close_ticket(ticket=ticket)
    assert type(refused.value) is SupportInvalidState
    assert refused.value.message == "Cannot close this ticket: it is closed."


def test_without_an_app_error_the_kernels_invalid_state_is_raised():
    ticket = support_services.close_ticket(ticket=TicketFactory())
    with pytest.raises(platform_errors.InvalidState) as refused:
        transition(ticket, "close")
    assert type(refused.value) is platform_errors.InvalidState
