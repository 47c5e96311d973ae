"""notify(): channels by preference under each type's policy, the email after commit (retried,
never the caller's failure), low-balance repeats rate-limited, read marks."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from support import services
from support.errors import ValidationFailed
from support.models import EmailStatus, Notification, NotificationType
from support.tasks import send_queued_emails
from tests.factories.accounts import CustomerFactory

pytestmark = pytest.mark.django_db
T = NotificationType


def test_notify_writes_the_in_app_notice_and_emails_it_after_commit(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notice = services.notify(
            customer=customer, type=T.PAYMENT, context={"amount": "25.00", "asset": "EUR", "action_url": "/"}
        )
    notice.refresh_from_db()
    assert notice.title == "Payment received" and notice.message == "We received your payment of 25.00 EUR."
    assert notice.in_app and not notice.read
    assert notice.email_status == EmailStatus.SENT
    [email] = mail.outbox
    assert email.to == [customer.user.email] and "25.00 EUR" in email.body
    assert "25.00 EUR" in email.alternatives[0][0]


def test_preferences_per_channel_are_followed(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    services.save_notification_settings(
        user=customer.user,
        low_balance_threshold="5.00",
        type_preferences={T.PAYMENT: {"in_app": True, "email": False}, T.TIER_CHANGED: False},
    )
    with django_capture_on_commit_callbacks(execute=True):
        paid = services.notify(customer=customer, type=T.PAYMENT, context={})
        tier = services.notify(customer=customer, type=T.TIER_CHANGED, context={})
    assert paid.email_status == EmailStatus.NOT_SENT and tier is None
    assert mail.outbox == []


def test_off_by_default_types_send_nothing_until_switched_on():
    customer = CustomerFactory()
    assert services.notify(customer=customer, type=T.PROMOTIONAL, context={}) is None
    services.save_notification_settings(
        user=customer.user, low_balance_threshold="0", type_preferences={T.PROMOTIONAL: {"in_app": True}}
    )
    assert services.notify(customer=customer, type=T.PROMOTIONAL, context={"title": "Hi", "message": "x"}).in_app


@pytest.mark.parametrize("forced", [T.SECURITY, T.WITHDRAWAL])
def test_security_and_money_out_notices_cannot_be_switched_off(forced, django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    with pytest.raises(ValidationFailed) as refusal:
        services.save_notification_settings(
            user=customer.user, low_balance_threshold="1", type_preferences={forced: {"email": False}}
        )
    assert refusal.value.details["code"] == "forced"
    # Even a stored choice (written before the policy) does not stop them.
    services.save_notification_settings(user=customer.user, low_balance_threshold="1")
    customer.user.notification_settings.type_preferences = {forced: False}
    customer.user.notification_settings.save()
    with django_capture_on_commit_callbacks(execute=True):
        notice = services.notify(customer=customer, type=forced, context={"message": "New sign-in", "status": "sent"})
    notice.refresh_from_db()
    assert notice.in_app and notice.email_status == EmailStatus.SENT, notice.email_error


def test_low_balance_repeats_are_rate_limited_per_asset():
    customer = CustomerFactory()
    context = {"asset": "EUR", "balance": "3.00", "threshold": "10.00"}
    first = services.notify(customer=customer, type=T.LOW_BALANCE, context=context, topic="EUR")
    assert first is not None
    assert services.notify(customer=customer, type=T.LOW_BALANCE, context=context, topic="EUR") is None
    assert services.notify(customer=customer, type=T.LOW_BALANCE, context={**context, "asset": "USD"}, topic="USD")
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert services.notify(customer=customer, type=T.LOW_BALANCE, context=context, topic="EUR") is not None
    assert Notification.objects.filter(user=customer.user, type=T.LOW_BALANCE).count() == 3


def test_a_failing_mail_server_never_fails_the_caller(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.support.test_notifications.BrokenBackend"
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notice = services.notify(customer=customer, type=T.PAYMENT, context={})
    notice.refresh_from_db()
    # The attempt is recorded and the row stays queued for the task's retry (or the job's).
    assert notice.email_status == EmailStatus.QUEUED and notice.email_attempts == 1
    assert "mail server down" in notice.email_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        send_queued_emails.run()
    notice.refresh_from_db()
    assert notice.email_status == EmailStatus.SENT and len(mail.outbox) == 1


def test_an_email_whose_task_never_ran_is_sent_by_the_job(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=False):  # the broker was down: nothing queued
        notice = services.notify(customer=customer, type=T.PAYMENT, context={})
    send_queued_emails.run()
    assert mail.outbox == []  # too recent: its task may still be on its way
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        send_queued_emails.run()
    notice.refresh_from_db()
    assert notice.email_status == EmailStatus.SENT and len(mail.outbox) == 1


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_erased_players_are_not_notified():
    customer = CustomerFactory(erased_at=timezone.now())
    assert services.notify(customer=customer, type=T.SECURITY, context={}) is None


def test_mark_read_and_mark_all_read():
    customer = CustomerFactory()
    first = services.notify(customer=customer, type=T.PAYMENT, context={})
    services.notify(customer=customer, type=T.REFUND, context={})
    services.mark_notification_read(notification=first)
    assert Notification.objects.filter(user=customer.user, read=False).count() == 1
    assert services.mark_all_notifications_read(user=customer.user) == 1
    assert not Notification.objects.filter(user=customer.user, read=False).exists()


def test_unknown_types_and_bad_preferences_are_refused():
    user = CustomerFactory().user
    with pytest.raises(ValidationFailed):
        services.notify_user(user=user, type="nonsense", context={})
    with pytest.raises(ValidationFailed):
        services.save_notification_settings(
            user=user, low_balance_threshold="1", type_preferences={T.PAYMENT: {"sms": True}}
        )
