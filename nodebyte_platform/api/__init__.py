"""The partner API's plumbing, one place for every app's endpoints: authentication and scopes
(`auth`), the error body (`errors`), request parsing (`parsers`), pagination (`pagination`),
throttling (`throttling`), and the base views, reads and writes done once per Idempotency-Key
(`views`). Each app keeps its endpoints beside its services (games/api/, loyalty/api.py, ...);
nodebyte_platform/api_urls.py composes them under /api/v1/.

Import from the submodules: DRF's settings name classes in them, and DRF loads those while
rest_framework.views itself is being imported, so this package's __init__ imports nothing.
"""
