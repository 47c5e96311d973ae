"""What a browser sends when staff press Save: every input of an admin change form with its value.

`form_data(client, url, model)` opens the page and reads its form (`<form id="<model>_form">`) as a
browser submits it: text inputs, hidden inputs (inline management forms included), ticked
checkboxes, selected options, textareas. Tests then change the values a person would change and
post the whole form.
"""

from html.parser import HTMLParser

SKIPPED_INPUTS = ("submit", "button", "reset", "image", "file")


class _FormReader(HTMLParser):
    def __init__(self, form_ids: tuple[str, ...]):
        super().__init__(convert_charrefs=True)
        self.form_ids, self.inside = form_ids, False
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._multiple = False
        self._first_option: str | None = None
        self._option: str | None = None
        self._option_selected = False
        self._option_text: list[str] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def _add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") in self.form_ids:
            self.inside = True
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and "disabled" not in attrs:
            kind = (attrs.get("type") or "text").lower()
            if kind in SKIPPED_INPUTS:
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._add(name, attrs.get("value", "on"))
                return
            self._add(name, attrs.get("value") or "")
        elif tag == "select" and name and "disabled" not in attrs:
            self._select, self._multiple, self._first_option = name, "multiple" in attrs, None
            self.data.setdefault(name, [])
        elif tag == "option" and self._select:
            self._option = attrs.get("value")
            self._option_selected = "selected" in attrs
            self._option_text = []
        elif tag == "textarea" and name and "disabled" not in attrs:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)
        elif self._option is not None or self._select:
            self._option_text.append(data)

    def handle_endtag(self, tag):
        if tag == "option" and self._select:
            value = self._option if self._option is not None else "".join(self._option_text).strip()
            if self._first_option is None:
                self._first_option = value
            if self._option_selected:
                self._add(self._select, value)
            self._option = None
        elif tag == "select" and self._select:
            # A single choice with nothing selected submits its first option, as a browser does.
            if not self._multiple and not self.data[self._select] and self._first_option is not None:
                self._add(self._select, self._first_option)
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text)
            self._add(self._textarea, text[1:] if text.startswith("\n") else text)
            self._textarea = None
        elif tag == "form" and self.inside:
            self.inside = False


def form_data(client, url: str, model) -> dict:
    """The values the change, add or version (revert) form at `url` would submit as it stands."""
    response = client.get(url)
    assert response.status_code == 200, f"GET {url} answered {response.status_code}"
    name = model._meta.model_name
    reader = _FormReader((f"{name}_form", f"historical{name}_form"))
    reader.feed(response.content.decode())
    assert reader.data, f"no form {model._meta.model_name}_form on {url}"
    return {name: values if len(values) != 1 else values[0] for name, values in reader.data.items()}


def form_errors(response) -> list[str]:
    """Every error the re-rendered admin form shows (its own and each field's), as text."""
    errors = response.context["adminform"].form.errors
    return [f"{field}: {message}" for field, messages in errors.items() for message in messages]
