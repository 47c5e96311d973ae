"""Reads of hosting shared by doors: a player's servers with what their pages show."""

from django.db.models import Case, IntegerField, QuerySet, Value, When

from games.hosting.models import Server, ServerStatus

TERMINATED_LAST = Case(
    When(status=ServerStatus.TERMINATED, then=Value(1)), default=Value(0), output_field=IntegerField()
)


def servers_of(*, customer) -> QuerySet[Server]:
    """The customer's servers, newest first, terminated ones last, with node, location, egg and address."""
    return (
        Server.objects.filter(customer=customer)
        .select_related("node__location", "egg", "default_allocation")
        # Terminated servers stay listed (their history) but below the living ones.
        .order_by(TERMINATED_LAST, "-created_at")
    )
