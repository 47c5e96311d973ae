"""The accounts admin saves through accounts.services, as the roles that use it: admins add players,
accounts, staff and partners, support edits players. Each rule refuses on the form, never a 500."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.models import Customer, PartnerApplication, StaffRole, User
from accounts.selectors import can_move_money
from accounts.services import erase_customer, sync_roles
from ledger.models import Wallet
from nodebyte_platform.roles import group_name
from tests.admin_forms import form_data, form_errors
from tests.factories.accounts import CustomerFactory, PartnerApplicationFactory, UserFactory, staff_user

pytestmark = pytest.mark.django_db


def admin_url(model, view, *args):
    return reverse(f"admin:accounts_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def admin_client(client):
    client.force_login(staff_user(StaffRole.ADMIN))
    return client


@pytest.fixture
def support_client(client):
    client.force_login(staff_user(StaffRole.SUPPORT))
    return client


def test_a_player_added_in_the_admin_is_registered_with_a_referral_code_and_a_coin_wallet(
    admin_client, django_capture_on_commit_callbacks
):
    user = UserFactory()
    data = {**form_data(admin_client, admin_url(Customer, "add"), Customer), "user": user.pk, "nickname": "Newbie"}

    with django_capture_on_commit_callbacks(execute=True):  # the ledger opens the wallet after commit
        response = admin_client.post(admin_url(Customer, "add"), data)

    assert response.status_code == 302, form_errors(response)
    customer = Customer.objects.get(user=user)
    assert len(customer.referral_code) == 10 and customer.nickname == "Newbie"
    assert Wallet.objects.filter(owner=user, asset__code="COIN").exists()


def test_an_erased_player_is_not_edited_back(support_client):
    customer = CustomerFactory()
    erase_customer(customer=customer)
    url = admin_url(Customer, "change", customer.pk)
    data = {**form_data(support_client, url, Customer), "nickname": "Back again", "full_name": "Real Name"}

    response = support_client.post(url, data)

    assert response.status_code == 200
    assert form_errors(response) == [
        "__all__: This player's personal data was erased; the record is not edited any more. (customer_erased)"
    ]
    customer.refresh_from_db()
    assert customer.full_name == "" and customer.nickname != "Back again"


def test_a_player_is_never_invited_by_their_own_invitee(support_client):
    host = CustomerFactory()
    guest = CustomerFactory(inviter=host)
    url = admin_url(Customer, "change", host.pk)
    data = {**form_data(support_client, url, Customer), "inviter": guest.pk}

    response = support_client.post(url, data)

    assert form_errors(response) == [
        "inviter: A player cannot be invited by themselves or by their own invitees. (validation_error)"
    ]
    host.refresh_from_db()
    assert host.inviter is None


def test_unarchiving_an_erased_player_shows_the_refusal_through_the_shared_runner(support_client):
    customer = CustomerFactory()
    erase_customer(customer=customer)
    response = support_client.post(
        admin_url(Customer, "changelist"),
        {"action": "unarchive_customers", "_selected_action": [customer.pk]},
        follow=True,
    )
    shown = [str(message) for message in response.context["messages"]]
    assert shown == ["Erased player: An erased player cannot come back. (customer_erased)"]


def test_an_account_added_in_the_admin_needs_an_address_of_its_own(admin_client):
    UserFactory(email="taken@example.com")
    url = admin_url(User, "add")
    data = {
        "username": "newcomer",
        "email": "Taken@Example.com",
        "usable_password": "true",
        "password1": "a-long-new-password-42",
        "password2": "a-long-new-password-42",
    }

    refused = admin_client.post(url, data)

    assert refused.status_code == 200
    assert form_errors(refused) == ["__all__: Constraint “accounts_user_email_ci_unique” is violated."]
    assert not User.objects.filter(username="newcomer").exists()
    assert admin_client.post(url, {**data, "email": "newcomer@example.com"}).status_code == 302
    assert User.objects.get(username="newcomer").check_password("a-long-new-password-42")


def test_a_new_address_set_by_staff_is_unverified_until_its_owner_confirms_it(admin_client):
    player = CustomerFactory(user__email="old@example.com").user
    assert can_move_money(player)
    url = admin_url(User, "change", player.pk)
    data = {**form_data(admin_client, url, User), "email": "new@example.com"}

    assert admin_client.post(url, data).status_code == 302

    addresses = list(EmailAddress.objects.filter(user=player).values_list("email", "primary", "verified"))
    assert addresses == [("new@example.com", True, False)]
    assert not can_move_money(player)


def test_role_groups_are_never_given_by_hand_on_the_account(admin_client):
    sync_roles()
    user = UserFactory()
    url = admin_url(User, "change", user.pk)
    data = {**form_data(admin_client, url, User), "groups": [str(_group_pk(group_name(StaffRole.ADMIN)))]}

    response = admin_client.post(url, data)

    assert form_errors(response) == [
        "groups: Role groups follow the staff profile: change the role there. (validation_error)"
    ]
    assert not user.groups.exists()


def _group_pk(name):
    from django.contrib.auth.models import Group

    return Group.objects.get(name=name).pk


def test_a_staff_role_change_moves_the_user_to_the_new_role_group(admin_client):
    member = staff_user(StaffRole.SUPPORT)
    profile = member.staff_profile
    url = admin_url(type(profile), "change", profile.pk)
    data = {**form_data(admin_client, url, type(profile)), "role": StaffRole.ACCOUNTING}

    assert admin_client.post(url, data).status_code == 302

    assert list(member.groups.values_list("name", flat=True)) == [group_name(StaffRole.ACCOUNTING)]
    archived = {**data, "role": StaffRole.ACCOUNTING, "is_archived": "on"}
    assert admin_client.post(url, archived).status_code == 302
    member.refresh_from_db()
    assert not member.is_staff


def test_a_partner_application_with_an_unknown_scope_is_refused_with_a_clear_message(admin_client):
    app = PartnerApplicationFactory()
    url = reverse("admin:accounts_partnerapplication_add")
    data = {
        **form_data(admin_client, url, PartnerApplication),
        "name": "New client",
        "partner": app.partner.pk,
        "authorization_grant_type": PartnerApplication.GRANT_CLIENT_CREDENTIALS,
        "allowed_scopes": "catalog:read nope:write",
        "default_scopes": "catalog:read",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert form_errors(response) == ["allowed_scopes: Unknown scopes: nope:write. (invalid_scope)"]
    assert not PartnerApplication.objects.filter(name="New client").exists()


def test_narrowing_a_clients_ceiling_revokes_its_tokens_beyond_it(admin_client):
    from oauth2_provider.models import get_access_token_model

    app = PartnerApplicationFactory(allowed_scopes="catalog:read credits:grant", default_scopes="catalog:read")
    tokens = get_access_token_model().objects
    kept = tokens.create(application=app, token="kept", scope="catalog:read", expires="2999-01-01T00:00Z")
    tokens.create(application=app, token="beyond", scope="catalog:read credits:grant", expires="2999-01-01T00:00Z")
    url = admin_url(PartnerApplication, "change", app.pk)

    outside = {**form_data(admin_client, url, PartnerApplication), "default_scopes": "credits:grant"}
    outside["allowed_scopes"] = "catalog:read"
    refused = admin_client.post(url, outside)
    assert form_errors(refused) == ["default_scopes: Default scopes must be among the allowed scopes. (invalid_scope)"]

    narrowed = {**outside, "default_scopes": "catalog:read"}
    assert admin_client.post(url, narrowed).status_code == 302
    app.refresh_from_db()
    assert app.allowed_scopes == "catalog:read"
    assert list(tokens.filter(application=app).values_list("token", flat=True)) == [kept.token]


def test_an_address_is_unique_whatever_its_case_in_every_door():
    from accounts.errors import EmailTaken
    from accounts.services import create_user, update_user

    UserFactory(email="taken@example.com")
    with pytest.raises(EmailTaken):
        create_user(username="other", email="TAKEN@example.com")
    user = UserFactory()
    with pytest.raises(EmailTaken):
        update_user(
            user=user,
            actor=None,
            username=user.username,
            email="Taken@Example.com",
            is_active=True,
            is_staff=False,
            is_superuser=False,
        )


def test_a_partner_never_moves_to_another_studio(admin_client):
    from accounts.errors import InvalidStudio
    from accounts.models import Partner
    from accounts.services import update_partner
    from tests.factories.games import StudioFactory

    partner = PartnerApplicationFactory().partner
    own_studio_id, elsewhere = partner.studio_id, StudioFactory()
    url = admin_url(Partner, "change", partner.pk)
    data = {**form_data(admin_client, url, Partner), "studio": elsewhere.pk, "status": "suspended"}

    assert admin_client.post(url, data).status_code == 302
    stored = Partner.objects.get(pk=partner.pk)
    assert stored.studio_id == own_studio_id != elsewhere.pk and stored.status == "suspended"
    with pytest.raises(InvalidStudio):
        update_partner(
            partner=stored,
            name=stored.name,
            kind=stored.kind,
            studio=elsewhere,
            user=None,
            type="",
            description="",
            status="active",
        )
