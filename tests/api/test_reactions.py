"""Reactions to domain events: written with the event, run after commit, never failing the caller,
retried until they succeed, and applied once per event (issue 11, item 5)."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from accounts.services import sync_roles
from games.models import Bet
from games.signals import bet_settled
from nodebyte_platform.events import MAX_ATTEMPTS, DomainEvent, run_reaction
from nodebyte_platform.models import Reaction, ReactionStatus
from nodebyte_platform.tasks import retry_reactions
from tests.factories.accounts import staff_user
from tests.factories.platform import ReactionFactory

pytestmark = pytest.mark.django_db

flaky = {"failures_left": 0, "seen": []}


@bet_settled.reaction("tests.flaky_bonus_counter")
def flaky_bonus_counter(payload):
    """A receiver that fails as often as the test says, then counts the bet."""
    if flaky["failures_left"]:
        flaky["failures_left"] -= 1
        raise ConnectionError("the bonus service is down")
    flaky["seen"].append(payload["bet_id"])


@pytest.fixture(autouse=True)
def _reset():
    flaky.update(failures_left=0, seen=[])


def test_a_failing_reaction_never_fails_the_settlement_and_runs_once_when_retried(
    world, api, django_capture_on_commit_callbacks
):
    a, alice = world.a, world.alice
    token = a.player(alice)
    session = api.post("/api/v1/sessions/", {"game_id": str(a.game.guid)}, token=token).json()["session_id"]
    bet = api.post(f"/api/v1/sessions/{session}/bets/", {"amount": "1.00", "odds": "2"}, token=token).json()
    flaky["failures_left"] = 2
    with django_capture_on_commit_callbacks(execute=True):
        settled = api.post(f"/api/v1/bets/{bet['bet_id']}/settle/", {"outcome": "loss"}, token=a.cc(), key="s1")
    assert settled.status_code == 200 and settled.json()["status"] == "settled"
    row = Reaction.objects.get(reaction="tests.flaky_bonus_counter")
    assert (row.status, row.attempts, row.event_key) == ("pending", 1, f"bet:{bet['bet_id']}")
    assert "ConnectionError: the bonus service is down" in row.last_error and flaky["seen"] == []

    # The partner retries its request: the stored answer, and no second event.
    replay = api.post(f"/api/v1/bets/{bet['bet_id']}/settle/", {"outcome": "loss"}, token=a.cc(), key="s1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert Reaction.objects.filter(reaction="tests.flaky_bonus_counter").count() == 1

    # Not due yet: the retry job leaves it. Due: it fails once more, then succeeds, once.
    retry_reactions.apply()
    assert Reaction.objects.get(pk=row.pk).attempts == 1
    for minutes in (1, 5):
        with time_machine.travel(timezone.now() + timedelta(minutes=minutes)):
            retry_reactions.apply()
    row = Reaction.objects.get(pk=row.pk)
    assert (row.status, row.attempts) == ("done", 3) and row.done_at is not None
    bet_pk = Bet.objects.get(public_id=bet["bet_id"]).pk
    assert flaky["seen"] == [bet_pk]
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        retry_reactions.apply()
    assert run_reaction(reaction_id=row.pk) == "not pending" and flaky["seen"] == [bet_pk]
    # The real reaction of loyalty ran too, once.
    assert Reaction.objects.get(reaction="loyalty.count_wagering", event_key=row.event_key).status == "done"


def test_a_rolled_back_event_leaves_no_reaction_and_a_repeated_one_adds_none():
    event = DomainEvent("tests.something_happened")
    event.reaction("tests.notice")(lambda payload: None)
    with pytest.raises(RuntimeError), transaction.atomic():
        event.emit(key="one", thing=1)
        raise RuntimeError("the cause rolls back")
    assert not Reaction.objects.filter(event="tests.something_happened").exists()
    event.emit(key="two", thing=2)
    event.emit(key="two", thing=2)
    assert Reaction.objects.filter(event="tests.something_happened").count() == 1


def test_a_reaction_gives_up_after_its_attempts_and_staff_retry_it(client, django_capture_on_commit_callbacks):
    sync_roles()
    row = ReactionFactory(reaction="tests.flaky_bonus_counter", payload={"bet_id": 7})
    flaky["failures_left"] = MAX_ATTEMPTS
    for _ in range(MAX_ATTEMPTS):
        Reaction.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        run_reaction(reaction_id=row.pk)
    row = Reaction.objects.get(pk=row.pk)
    assert (row.status, row.attempts) == (ReactionStatus.FAILED, MAX_ATTEMPTS)

    changelist = reverse("admin:nodebyte_platform_reaction_changelist")
    client.force_login(staff_user(StaffRole.SUPPORT))
    assert client.get(changelist).status_code == 403
    client.force_login(staff_user(StaffRole.ADMIN))
    assert client.get(changelist).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(changelist, {"action": "retry_now", "_selected_action": [row.pk]})
    assert response.status_code == 302
    row = Reaction.objects.get(pk=row.pk)
    assert (row.status, row.attempts) == (ReactionStatus.DONE, 1) and flaky["seen"] == [7]
