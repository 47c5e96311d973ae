"""Benchmark of the partner API under gunicorn on this machine (not collected by pytest).

    .venv/bin/python tests/bench/bench_api.py [--seconds 10] [--concurrency 8] [--workers 3]

It creates its own PostgreSQL database (nb_bench_api), migrates it, seeds a studio, a game,
a package, a partner application and a player, mints a player token through the real OAuth2
authorization-code flow (PKCE S256), starts gunicorn on 127.0.0.1, and measures for a fixed
duration each: a minimal Django JSON view (baseline), GET /api/v1/me/wallets/ and
POST /api/v1/games/{game_id}/purchases/. It prints requests per second, the ratios to the
baseline (targets: wallets >= 0.5, purchases >= 0.3) and each endpoint's query count at two
history lengths (they must be equal).
"""

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DB_NAME = "nb_bench_api"
ENV = {
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    "DJANGO_SETTINGS_MODULE": "tests.bench.api_settings",
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "EMAIL_URL": "dummymail://",
    "SECURE_SSL_REDIRECT": "false",
    "API_THROTTLE_RATE": "100000000/min",
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
    "LOG_LEVEL": "WARNING",
    "STAFF_REQUIRE_MFA": "false",
}
TARGETS = {"wallets": 0.5, "purchases": 0.3}


def recreate_database():
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB_NAME], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB_NAME], check=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, **ENV},
        check=True,
    )


def seed():
    """Seed through the services and mint a token through /o/authorize/ and /o/token/; returns the fixture."""
    from decimal import Decimal

    from accounts.models import PartnerApplication
    from ledger.models import Asset
    from ledger.services import issue
    from tests.api.conftest import REDIRECT, player_token
    from tests.factories.accounts import CustomerFactory, PartnerApplicationFactory, PartnerFactory
    from tests.factories.games import CreditTypeFactory, GameFactory, PackageFactory, StudioFactory

    studio = StudioFactory(name="Bench studio")
    game = GameFactory(studio=studio, name="Bench game")
    credit_type = CreditTypeFactory(game=game, name="gems", label="Gems")
    package = PackageFactory(credit_type=credit_type, credit_value=10, gcoin_value=Decimal("0.01"))
    app = PartnerApplicationFactory(
        partner=PartnerFactory(name="Bench partner", studio=studio),
        authorization_grant_type=PartnerApplication.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT,
    )
    customer = CustomerFactory(user__username="bench-player")
    issue(user=customer.user, asset=Asset.objects.get(code="COIN"), amount="1000000000.00", initiator="bench:fund")
    token = player_token(app, customer, "wallet:read purchases:write")
    return {"token": token, "game_id": str(game.guid), "package_id": package.pk}


def query_counts(fixture) -> dict:
    """Queries per request at a short and at a long purchase history (through Django's test client)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {fixture['token']}"}
    purchase = f"/api/v1/games/{fixture['game_id']}/purchases/"
    body = json.dumps({"package_id": fixture["package_id"]})

    def buy():
        return client.post(
            purchase, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()), **auth
        )

    def measure():
        counts = {}
        for name, call in [("wallets", lambda: client.get("/api/v1/me/wallets/", **auth)), ("purchases", buy)]:
            with CaptureQueriesContext(connection) as queries:
                response = call()
            assert response.status_code in (200, 201), response.content
            counts[name] = len(queries)
        return counts

    buy()  # the first purchase opens the credit wallet; every later one is alike
    short = measure()
    for _ in range(300):
        buy()
    return {"short": short, "long": measure()}


def load(port: int, method: str, path: str, body: bytes | None, headers: dict, seconds: float, concurrency: int):
    """Keep-alive clients in threads for `seconds`; returns (requests per second, errors)."""
    done = [0] * concurrency
    errors = [0] * concurrency
    stop = time.monotonic() + seconds

    def worker(index):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            request_headers = dict(headers)
            if method == "POST":
                request_headers["Idempotency-Key"] = str(uuid.uuid4())
            try:
                connection.request(method, path, body=body, headers=request_headers)
                response = connection.getresponse()
                response.read()
                if response.status >= 300:
                    errors[index] += 1
                done[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started), sum(errors)


def wait_for(port: int):
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/bench/baseline/")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    args = parser.parse_args()
    if not args.port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]

    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    recreate_database()
    import django

    django.setup()
    fixture = seed()
    counts = query_counts(fixture)

    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "nodebyte_platform.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **ENV},
    )
    try:
        wait_for(args.port)
        auth = {"Authorization": f"Bearer {fixture['token']}"}
        runs = {
            "baseline": ("GET", "/bench/baseline/", None, {}),
            "wallets": ("GET", "/api/v1/me/wallets/", None, auth),
            "purchases": (
                "POST",
                f"/api/v1/games/{fixture['game_id']}/purchases/",
                json.dumps({"package_id": fixture["package_id"]}).encode(),
                {**auth, "Content-Type": "application/json"},
            ),
        }
        results = {}
        for name, (method, path, body, headers) in runs.items():
            load(args.port, method, path, body, headers, min(2.0, args.seconds), args.concurrency)  # warm up
            results[name] = load(args.port, method, path, body, headers, args.seconds, args.concurrency)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)

    baseline = results["baseline"][0]
    print(
        f"\nAPI benchmark: gunicorn {args.workers} workers, {args.concurrency} keep-alive clients, "
        f"{args.seconds:g} s each"
    )
    print(
        f"{'endpoint':<12}{'req/s':>10}{'÷ baseline':>12}{'target':>8}{'errors':>8}{'queries (short/long history)':>32}"
    )
    ok = True
    for name, (rps, errors) in results.items():
        ratio = rps / baseline if baseline else 0
        target = TARGETS.get(name)
        queries = "" if name == "baseline" else f"{counts['short'][name]} / {counts['long'][name]}"
        flag = "" if target is None else f">= {target:.1f}"
        print(f"{name:<12}{rps:>10.1f}{ratio:>12.2f}{flag:>8}{errors:>8}{queries:>32}")
        if target is not None and ratio < target:
            ok = False
        if errors:
            ok = False
    flat = counts["short"] == counts["long"]
    print(f"query counts independent of history length: {'yes' if flat else 'NO'}")
    print("targets met" if ok and flat else "TARGETS NOT MET")
    return 0 if ok and flat else 1


if __name__ == "__main__":
    sys.exit(main())
