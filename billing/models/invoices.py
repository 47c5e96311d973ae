"""Seed 004 products, subscriptions, invoices and invoice items."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from ledger.models import AMOUNT


class BillingCycle(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    SEMI_ANNUALLY = "semi_annually", "Semi-annually"
    ANNUALLY = "annually", "Annually"
    ONE_TIME = "one_time", "One time"


class ProductType(models.TextChoices):
    GAME_SERVER = "game_server", "Game server"
    VPS = "vps", "Virtual server"
    ADDON = "addon", "Add-on"


class Product(models.Model):
    """Seed 004 products: a hosting offer with its price, billing cycle and resources (history kept)."""

    name = models.CharField(max_length=191)
    slug = models.SlugField(max_length=191, unique=True)
    description = models.TextField(blank=True)
    product_type = models.CharField(max_length=16, choices=ProductType.choices, default=ProductType.GAME_SERVER)
    nest = models.ForeignKey("games.Nest", on_delete=models.PROTECT, null=True, blank=True, related_name="products")
    egg = models.ForeignKey("games.Egg", on_delete=models.PROTECT, null=True, blank=True, related_name="products")
    currency = models.ForeignKey("ledger.Asset", on_delete=models.PROTECT, related_name="+")
    price = models.DecimalField(**AMOUNT)
    setup_fee = models.DecimalField(**AMOUNT, default=0)
    billing_cycle = models.CharField(max_length=16, choices=BillingCycle.choices, default=BillingCycle.MONTHLY)
    memory = models.PositiveIntegerField(default=1024, help_text="MiB")
    disk = models.PositiveIntegerField(default=5120, help_text="MiB")
    cpu = models.PositiveIntegerField(default=100, help_text="Percent of one core")
    databases_limit = models.PositiveIntegerField(default=0)
    backups_limit = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["is_active", "product_type"], name="billing_product_active_idx"),
            models.Index(fields=["billing_cycle"], name="billing_product_cycle_idx"),
            models.Index(fields=["product_type"], name="billing_product_type_idx"),
            models.Index(fields=["created_at"], name="billing_product_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="billing_product_price_non_negative"),
            models.CheckConstraint(condition=Q(setup_fee__gte=0), name="billing_product_setup_fee_non_negative"),
        ]

    def __str__(self):
        return self.name


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CANCELLED = "cancelled", "Cancelled"


class Subscription(models.Model):
    """What a server is billed as. Lives here, not on Server, because games sits below billing."""

    server = models.OneToOneField("games.Server", on_delete=models.PROTECT, related_name="subscription")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="subscriptions")
    price = models.DecimalField(**AMOUNT, help_text="Price agreed at order time, per cycle.")
    billing_cycle = models.CharField(max_length=16, choices=BillingCycle.choices)
    status = models.CharField(max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE)
    next_due_at = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_due_at"], name="billing_subscription_due_idx"),
            models.Index(fields=["next_due_at"], name="billing_subscription_next_idx"),
            models.Index(fields=["billing_cycle"], name="billing_subscription_cycle_idx"),
        ]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="billing_subscription_price_ok")]

    def __str__(self):
        return f"{self.server} on {self.product}"


class InvoiceStatus(models.TextChoices):
    UNPAID = "unpaid", "Unpaid"
    PAID = "paid", "Paid"
    OVERDUE = "overdue", "Overdue"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"


class Invoice(models.Model):
    """Seed 004 invoices: what a customer owes; `public_id` leaves the server, totals are computed."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=32, unique=True)
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="invoices")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    currency = models.ForeignKey("ledger.Asset", on_delete=models.PROTECT, related_name="+")
    subtotal = models.DecimalField(**AMOUNT, default=0)
    tax = models.DecimalField(**AMOUNT, default=0)
    total = models.DecimalField(**AMOUNT, default=0)
    status = FSMField(max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.UNPAID, protected=True)
    due_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="billing_invoice_status_due_idx"),
            models.Index(fields=["created_at"], name="billing_invoice_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(subtotal__gte=0) & Q(tax__gte=0) & Q(total__gte=0),
                name="billing_invoice_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(total=models.F("subtotal") + models.F("tax")), name="billing_invoice_total_is_sum"
            ),
            models.UniqueConstraint(
                fields=["subscription", "period_start"],
                condition=Q(subscription__isnull=False),
                name="billing_invoice_once_per_period",
            ),
        ]

    def __str__(self):
        return self.number

    @transition(field=status, source=[InvoiceStatus.UNPAID, InvoiceStatus.OVERDUE], target=InvoiceStatus.PAID)
    def mark_paid(self, *, when=None):
        self.paid_at = when or timezone.now()

    @transition(field=status, source=InvoiceStatus.UNPAID, target=InvoiceStatus.OVERDUE)
    def mark_overdue(self):
        pass

    @transition(field=status, source=[InvoiceStatus.UNPAID, InvoiceStatus.OVERDUE], target=InvoiceStatus.CANCELLED)
    def cancel(self):
        pass

    @transition(field=status, source=InvoiceStatus.PAID, target=InvoiceStatus.REFUNDED)
    def refund(self):
        pass


class InvoiceItem(models.Model):
    """Seed 004 invoice_items: one line of an invoice (amount = unit_price x quantity)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    server = models.ForeignKey("games.Server", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    description = models.CharField(max_length=255)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(**AMOUNT)
    amount = models.DecimalField(**AMOUNT)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="billing_item_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="billing_item_unit_price_non_negative"),
            models.CheckConstraint(
                condition=Q(amount=models.F("unit_price") * models.F("quantity")),
                name="billing_item_amount_is_product",
            ),
        ]

    def __str__(self):
        return self.description
