"""Bet limits (issue 10): a bet declares its odds or maximum payout; games cap payouts and exposure per asset.

Bets placed before this migration declared nothing. They get the only bound that is safe for
them: a settled bet keeps what it was paid (or its stake, if more), an open bet may return at
most its stake. Staff can void an open legacy bet whose game meant to pay more.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill_max_payout(apps, schema_editor):
    Bet = apps.get_model("games", "Bet")
    Bet.objects.filter(max_payout__isnull=True, payout__gt=models.F("amount")).update(max_payout=models.F("payout"))
    Bet.objects.filter(max_payout__isnull=True).update(max_payout=models.F("amount"))


class Migration(migrations.Migration):

    dependencies = [
        ('games', '0003_admin_filter_indexes'),
        ('ledger', '0008_wallet_fillfactor'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        migrations.swappable_dependency(settings.OAUTH2_PROVIDER_APPLICATION_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='BetExposure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period_start', models.DateTimeField()),
                ('net_payout', models.DecimalField(decimal_places=4, default=0, help_text='Payouts minus stakes; positive: the house lost.', max_digits=20)),
                ('bets_settled', models.PositiveIntegerField(default=0)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'ordering': ['-period_start'],
            },
        ),
        migrations.CreateModel(
            name='BetLimit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('max_payout_per_bet', models.DecimalField(decimal_places=4, help_text='The largest payout one bet may declare (and be paid), stake included.', max_digits=20)),
                ('exposure_limit', models.DecimalField(decimal_places=4, help_text='The most the house may lose net (payouts minus stakes) on this game per period.', max_digits=20)),
                ('exposure_period', models.CharField(choices=[('hour', 'Hour (UTC)'), ('day', 'Day (UTC)'), ('week', 'Week (UTC, from Monday)'), ('month', 'Month (UTC)')], default='day', max_length=8)),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'ordering': ['game__name', 'asset__code'],
            },
        ),
        migrations.CreateModel(
            name='BetLimitFinding',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.CharField(choices=[('per_bet_cap', "Payout above the game's per-bet cap"), ('exposure_limit', 'House exposure limit for the period reached')], max_length=16)),
                ('requested_payout', models.DecimalField(decimal_places=4, max_digits=20)),
                ('cap', models.DecimalField(decimal_places=4, help_text='The limit that refused it.', max_digits=20)),
                ('exposure_before', models.DecimalField(blank=True, decimal_places=4, max_digits=20, null=True)),
                ('resolved', models.BooleanField(default=False)),
                ('resolved_at', models.DateTimeField(blank=True, null=True)),
                ('resolution_note', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='bet',
            name='max_payout',
            field=models.DecimalField(decimal_places=4, max_digits=20, null=True),
        ),
        migrations.RunPython(backfill_max_payout, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='bet',
            name='max_payout',
            field=models.DecimalField(decimal_places=4, max_digits=20),
        ),
        migrations.AddField(
            model_name='bet',
            name='odds',
            field=models.DecimalField(blank=True, decimal_places=4, max_digits=12, null=True),
        ),
        migrations.AddConstraint(
            model_name='bet',
            constraint=models.CheckConstraint(condition=models.Q(('max_payout__gt', 0)), name='games_bet_max_payout_positive'),
        ),
        migrations.AddConstraint(
            model_name='bet',
            constraint=models.CheckConstraint(condition=models.Q(('odds__isnull', True), ('odds__gt', 1), _connector='OR'), name='games_bet_odds_above_one'),
        ),
        migrations.AddConstraint(
            model_name='bet',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('outcome', 'win'), _negated=True), ('payout__lte', models.F('max_payout')), _connector='OR'), name='games_bet_win_within_max_payout'),
        ),
        migrations.AddField(
            model_name='betlimit',
            name='asset',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.asset'),
        ),
        migrations.AddField(
            model_name='betlimit',
            name='game',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='bet_limits', to='games.game'),
        ),
        migrations.AddField(
            model_name='betexposure',
            name='limit',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='exposures', to='games.betlimit'),
        ),
        migrations.AddField(
            model_name='betlimitfinding',
            name='application',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.OAUTH2_PROVIDER_APPLICATION_MODEL),
        ),
        migrations.AddField(
            model_name='betlimitfinding',
            name='bet',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='limit_findings', to='games.bet'),
        ),
        migrations.AddField(
            model_name='betlimitfinding',
            name='limit',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='findings', to='games.betlimit'),
        ),
        migrations.AddField(
            model_name='betlimitfinding',
            name='resolved_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='betlimit',
            index=models.Index(fields=['exposure_period'], name='games_bet_limit_period_idx'),
        ),
        migrations.AddConstraint(
            model_name='betlimit',
            constraint=models.UniqueConstraint(fields=('game', 'asset'), name='games_bet_limit_game_asset_unique'),
        ),
        migrations.AddConstraint(
            model_name='betlimit',
            constraint=models.CheckConstraint(condition=models.Q(('max_payout_per_bet__gt', 0)), name='games_bet_limit_max_payout_positive'),
        ),
        migrations.AddConstraint(
            model_name='betlimit',
            constraint=models.CheckConstraint(condition=models.Q(('exposure_limit__gt', 0)), name='games_bet_limit_exposure_positive'),
        ),
        migrations.AddIndex(
            model_name='betexposure',
            index=models.Index(fields=['period_start'], name='games_bet_exposure_period_idx'),
        ),
        migrations.AddConstraint(
            model_name='betexposure',
            constraint=models.UniqueConstraint(fields=('limit', 'period_start'), name='games_bet_exposure_once_per_period'),
        ),
        migrations.AddIndex(
            model_name='betlimitfinding',
            index=models.Index(fields=['resolved', 'created_at'], name='games_bet_finding_open_idx'),
        ),
        migrations.AddIndex(
            model_name='betlimitfinding',
            index=models.Index(fields=['reason'], name='games_bet_finding_reason_idx'),
        ),
        migrations.AddConstraint(
            model_name='betlimitfinding',
            constraint=models.CheckConstraint(condition=models.Q(('resolved', False), ('resolved_at__isnull', False), _connector='OR'), name='games_bet_finding_resolved_has_time'),
        ),
    ]
