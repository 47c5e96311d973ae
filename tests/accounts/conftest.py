import pytest


@pytest.fixture(autouse=True)
def _clear_cache():
    from tests.caching import clear_cache

    clear_cache()
    yield
    clear_cache()
