"""Writes of the accounts app: players, staff roles, archive and erasure, audit, partners.

Split by use case; everything is importable from `accounts.services`.
"""

from accounts.services.audit import record_audit
from accounts.services.impersonation import (
    end_expired_impersonations,
    end_impersonation,
    impersonation_refusal,
    start_impersonation,
)
from accounts.services.partners import (
    clear_expired_oauth_tokens,
    create_partner,
    create_partner_application,
    update_partner,
    update_partner_application,
)
from accounts.services.players import (
    REFERRAL_ALPHABET,
    create_player,
    mark_email_verified,
    new_referral_code,
    register_customer,
    update_customer,
)
from accounts.services.privacy import (
    ERASED_NICKNAME,
    archive_customer,
    erase_customer,
    send_password_reset,
    unarchive_customer,
)
from accounts.services.staff import (
    assign_staff_role,
    create_staff,
    grant_superuser,
    role_permissions,
    set_staff_role,
    sync_roles,
)
from accounts.services.users import create_user, update_user

__all__ = [
    "ERASED_NICKNAME",
    "REFERRAL_ALPHABET",
    "archive_customer",
    "assign_staff_role",
    "clear_expired_oauth_tokens",
    "create_partner",
    "create_partner_application",
    "create_player",
    "create_staff",
    "create_user",
    "end_expired_impersonations",
    "end_impersonation",
    "erase_customer",
    "grant_superuser",
    "impersonation_refusal",
    "mark_email_verified",
    "new_referral_code",
    "record_audit",
    "register_customer",
    "role_permissions",
    "send_password_reset",
    "set_staff_role",
    "start_impersonation",
    "sync_roles",
    "unarchive_customer",
    "update_customer",
    "update_partner",
    "update_partner_application",
    "update_user",
]
