"""Portal forms: the player sign-up (allauth's form plus an optional referral code)."""

from allauth.account.forms import SignupForm
from django import forms

from accounts.models import Customer
from accounts.services import register_customer


class PlayerSignupForm(SignupForm):
    """Username, email, password and an optional referral code naming the inviter."""

    referral_code = forms.CharField(
        max_length=64,
        required=False,
        label="Referral code (optional)",
        widget=forms.TextInput(attrs={"placeholder": "A friend's code", "autocomplete": "off"}),
    )

    def clean_referral_code(self):
        code = self.cleaned_data.get("referral_code", "").strip().upper()
        if code and not Customer.objects.filter(referral_code__iexact=code, is_archived=False).exists():
            raise forms.ValidationError("No player has this referral code.", code="unknown_referral_code")
        return code

    def custom_signup(self, request, user):
        super().custom_signup(request, user)
        register_customer(user=user, referral_code=self.cleaned_data.get("referral_code", ""))
