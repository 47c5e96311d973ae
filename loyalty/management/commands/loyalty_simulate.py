"""`manage.py loyalty_simulate RULE_ID [--player PLAYER_ID] [--since YYYY-MM-DD]`: what a rule would do.

Without options: the simulation over every player now. With --player: Explain for that player
(a player_id UUID). With --since: the backtest from that day to today. Nothing is written.
"""

import uuid
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Customer
from loyalty.models import RewardRule
from loyalty.services.simulation import backtest_rule, explain_rule, simulate_rule
from nodebyte_platform.errors import DomainError


class Command(BaseCommand):
    help = "Simulate a reward rule over current metrics, explain it for one player, or backtest it."

    def add_arguments(self, parser):
        parser.add_argument("rule_id")
        parser.add_argument("--player", help="player_id (UUID): explain the rule for this player")
        parser.add_argument("--since", help="YYYY-MM-DD: backtest from this day to today")

    def handle(self, *args, rule_id, player=None, since=None, **options):
        rule = RewardRule.objects.filter(rule_id=rule_id).first()
        if rule is None:
            raise CommandError(f"No rule {rule_id!r}.")
        try:
            if player:
                self._explain(rule, player)
            elif since:
                self._backtest(rule, since)
            else:
                self._simulate(rule)
        except DomainError as exc:
            raise CommandError(f"{exc} ({exc.code})")

    def _simulate(self, rule):
        result = simulate_rule(rule=rule)
        out = self.stdout.write
        out(f"Rule {rule.rule_id} ({'active' if rule.is_active else 'inactive'}), period {result.period_key}")
        out(f"Matching players: {result.matched}; already granted this period: {result.already_granted}")
        out(f"Would grant: {result.grants} for a total of {result.total}; held for review: {result.held}")
        out(f"Pays nothing: {result.zero_amount}; taken by higher exclusive rules: {result.taken_by_higher}")
        for entry in result.higher:
            out(f"  higher {entry['rule'].rule_id}: overlap {entry['overlap']}, takes {entry['taken']}")
        for entry in result.lower:
            out(f"  lower {entry['rule'].rule_id}: overlap {entry['overlap']}, this rule keeps {entry['left']} from it")
        if result.histogram:
            out("Amounts:")
            for bucket in result.histogram:
                out(
                    f"  {bucket['from']:>10} - {bucket['to']:<10} {bucket['count']:>6} {'#' * (bucket['percent'] // 5)}"
                )
        if result.top:
            out("Top recipients:")
            for row in result.top:
                flag = " (held)" if row["held"] else ""
                out(f"  {row['customer'].player_id} {row['customer'].nickname:<20} {row['amount']}{flag}")

    def _explain(self, rule, player):
        try:
            customer = Customer.objects.get(player_id=uuid.UUID(player))
        except (ValueError, Customer.DoesNotExist):
            raise CommandError(f"No player {player!r} (give a player_id UUID).")
        result = explain_rule(rule=rule, customer=customer)
        self.stdout.write(f"Rule {rule.rule_id} for {customer.nickname} ({customer.player_id})")
        for check in result.checks:
            verdict = "pass" if check["passes"] else "FAIL"
            self.stdout.write(f"  {check['key']:<32} wants {check['wants']:<16} has {check['value']}  {verdict}")
        for reason in result.reasons:
            self.stdout.write(f"  the player {reason}")
        self.stdout.write(f"Amount: {result.amount}; qualifies: {'yes' if result.qualifies else 'no'}")

    def _backtest(self, rule, since):
        try:
            start = date.fromisoformat(since)
        except ValueError:
            raise CommandError(f"--since is a date YYYY-MM-DD, not {since!r}.")
        self.stdout.write(f"Backtest of {rule.rule_id} from {start}")
        for day in backtest_rule(rule=rule, since=start):
            self.stdout.write(
                f"  {day['day']}  matched {day['matched']:>6}  paid {day['paid']:>6}  total {day['total']}"
            )
