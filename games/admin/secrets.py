"""Secrets in admin forms are write-only: the stored value is never sent to the browser."""

from django import forms


class WriteOnlySecretsForm(forms.ModelForm):
    """Fields named in `secret_fields` render empty; left empty on save, the stored value stays."""

    secret_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.secret_fields:
            if name in self.fields:
                field = self.fields[name]
                field.widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
                field.required = False
                if self.instance.pk and getattr(self.instance, name):
                    field.help_text = "Stored. Leave empty to keep it; type a new value to replace it."

    def clean(self):
        cleaned = super().clean()
        for name in self.secret_fields:
            if not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        for name in self.secret_fields:
            if name in self.cleaned_data:
                setattr(self.instance, name, self.cleaned_data[name])
