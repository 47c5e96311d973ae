"""docs/api-walkthrough.md works as written: its shell blocks run with curl against a live server on seed_demo data."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

DOC = Path(__file__).resolve().parents[2] / "docs" / "api-walkthrough.md"


@pytest.mark.slow
@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("curl", "jq", "openssl", "bash")), reason="needs curl, jq, openssl"
)
@pytest.mark.django_db(transaction=True)
def test_walkthrough_gets_a_token_buys_a_package_and_settles_a_bet(live_server, settings):
    # `make run` serves with DEBUG on: plain-http cookies and redirect URIs.
    settings.CSRF_COOKIE_SECURE = settings.SESSION_COOKIE_SECURE = False
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"]}
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(), flags=re.S)
    script = "\n".join(blocks).replace("BASE=http://127.0.0.1:8000", f"BASE={live_server.url}", 1)
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert '"coins_spent": "' in result.stdout and '"credit_balance": "' in result.stdout, result.stdout
    assert '"status": "settled"' in result.stdout and '"payout": "12.50"' in result.stdout, result.stdout
