"""The portal's support forms. They only shape input; the rules live in support.services."""

from django import forms

from billing.models import Invoice, Payment
from games.models import Server
from support.models import TicketCategory, TicketPriority


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


PLAYER_PRIORITIES = [(v, label) for v, label in TicketPriority.choices if v != TicketPriority.URGENT]
ATTACHMENT_HELP = "Images (PNG, JPG, GIF, WebP), PDF, ZIP, text or log files; up to 5 per message."


class NewTicketForm(forms.Form):
    subject = forms.CharField(max_length=191)
    category = forms.ChoiceField(choices=TicketCategory.choices)
    priority = forms.ChoiceField(choices=PLAYER_PRIORITIES, initial=TicketPriority.MEDIUM)
    server = forms.ModelChoiceField(queryset=Server.objects.none(), required=False, empty_label="—")
    invoice = forms.ModelChoiceField(queryset=Invoice.objects.none(), required=False, empty_label="—")
    payment = forms.ModelChoiceField(queryset=Payment.objects.none(), required=False, empty_label="—")
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=20000)
    attachments = MultipleFileField(help_text=ATTACHMENT_HELP)

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the player's own records are offered (and the service checks again).
        self.fields["server"].queryset = Server.objects.filter(customer=customer).order_by("name")
        self.fields["invoice"].queryset = Invoice.objects.filter(customer=customer).order_by("-pk")
        self.fields["payment"].queryset = (
            Payment.objects.filter(customer=customer).select_related("currency").order_by("-pk")
        )
        self.fields["payment"].label_from_instance = lambda p: (
            f"{p.amount} {p.currency.code} · {p.get_status_display()}"
        )


class ReplyForm(forms.Form):
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=20000)
    attachments = MultipleFileField(help_text=ATTACHMENT_HELP)
