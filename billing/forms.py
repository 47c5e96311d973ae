"""Portal forms of billing: they parse what the player typed; billing.services decides."""

from django import forms

from billing.models import WithdrawalMethod


class TopUpForm(forms.Form):
    currency = forms.ChoiceField(choices=[("EUR", "EUR"), ("USD", "USD"), ("INR", "INR")], initial="EUR")
    amount = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2, initial="20.00")


class SandboxCheckoutForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("pay", "Pay"), ("decline", "Decline")])
    card_number = forms.CharField(max_length=23, required=False, initial="4242 4242 4242 4242")


class WithdrawalForm(forms.Form):
    currency = forms.ChoiceField(choices=[("EUR", "EUR"), ("USD", "USD"), ("INR", "INR")], initial="EUR")
    amount = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2)
    method = forms.ChoiceField(choices=WithdrawalMethod.choices)
    iban = forms.CharField(max_length=42, required=False, label="IBAN")
    account_holder = forms.CharField(max_length=100, required=False)
    paypal_email = forms.CharField(max_length=255, required=False, label="PayPal email")
    crypto_address = forms.CharField(max_length=100, required=False, label="Wallet address")


class SandboxCardForm(forms.Form):
    card_number = forms.CharField(max_length=23, initial="4242 4242 4242 4242")
    exp_month = forms.IntegerField(min_value=1, max_value=12, initial=12)
    exp_year = forms.IntegerField(min_value=2000, max_value=2100, initial=2030)


class AutoTopUpForm(forms.Form):
    enabled = forms.BooleanField(required=False)
    currency = forms.ChoiceField(choices=[("EUR", "EUR"), ("USD", "USD"), ("INR", "INR")], initial="EUR")
    threshold = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2, initial="10.00")
    amount = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2, initial="25.00")
    low_balance_threshold = forms.DecimalField(
        min_value=0, max_digits=12, decimal_places=2, required=False, label="Tell me when under"
    )
    saved_method = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Card to charge")

    def __init__(self, *args, methods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["saved_method"].choices = [("", "Choose a saved card")] + [(m.pk, str(m)) for m in methods]
