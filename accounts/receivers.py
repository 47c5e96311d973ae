"""Receivers of other libraries' signals (connected in AccountsConfig.ready)."""

from accounts.services import register_customer


def make_player_on_signup(sender, request, user, **kwargs):
    """Every sign-up (form or social) ends with a Customer and an empty COIN wallet.

    The sign-up form registers the player itself (with the referral code); this covers
    social sign-ups and is a no-op when the form already did it.
    """
    if user.is_staff:
        return
    register_customer(user=user)
