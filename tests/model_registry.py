"""Discovery shared by the cross-project tests: the project's models and the factory of each.

Models come from django.apps (the six project apps, concrete, not auto-created, not
simple_history's Historical* copies); factories from every module of tests/factories/.
"""

import importlib
import inspect
import pkgutil

import factory
from django.apps import apps

import tests.factories

PROJECT_APPS = ("nodebyte_platform", "accounts", "ledger", "games", "loyalty", "billing", "support")


def is_history_model(model) -> bool:
    return model.__name__.startswith("Historical") and hasattr(model, "history_object")


def project_models() -> list:
    found = []
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models():
            meta = model._meta
            if meta.abstract or meta.proxy or meta.auto_created or meta.swapped or is_history_model(model):
                continue
            found.append(model)
    return found


def _factory_model(factory_class):
    model = factory_class._meta.model
    if isinstance(model, str):
        app_label, _, name = model.partition(".")
        model = apps.get_model(app_label, name)
    return model


def factories_by_model() -> dict:
    """Model -> its factory. When several factories build one model (UserFactory, SuperUserFactory),
    the one named `<Model>Factory` wins, then the most general (fewest ancestors)."""
    candidates: dict = {}
    for info in pkgutil.iter_modules(tests.factories.__path__):
        module = importlib.import_module(f"tests.factories.{info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if not issubclass(obj, factory.django.DjangoModelFactory) or obj._meta.abstract:
                continue
            if obj._meta.model is None:
                continue
            candidates.setdefault(_factory_model(obj), set()).add(obj)
    chosen = {}
    for model, classes in candidates.items():
        chosen[model] = sorted(
            classes, key=lambda c: (c.__name__ != f"{model.__name__}Factory", len(c.__mro__), c.__name__)
        )[0]
    return chosen


def label(model) -> str:
    return model._meta.label
