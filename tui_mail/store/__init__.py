"""Per-account local state: UIDL ledger, header cache, pending deletions and body cache."""

from tui_mail.store.bodies import DEFAULT_BODY_CACHE_BYTES, BodyCache, body_file_name
from tui_mail.store.models import MessageSummary
from tui_mail.store.reconcile import (
    GONE_RETENTION,
    MASS_CHANGE_MIN,
    MASS_CHANGE_RATIO,
    Listing,
    MassChange,
    ReconcileResult,
)
from tui_mail.store.schema import (
    SCHEMA_VERSION,
    StoreDamaged,
    StoreError,
    StoreFull,
    StoreReadOnly,
)
from tui_mail.store.store import IdentityStrength, Store, account_dir_name

__all__ = [
    "DEFAULT_BODY_CACHE_BYTES",
    "GONE_RETENTION",
    "MASS_CHANGE_MIN",
    "MASS_CHANGE_RATIO",
    "SCHEMA_VERSION",
    "BodyCache",
    "IdentityStrength",
    "Listing",
    "MassChange",
    "MessageSummary",
    "ReconcileResult",
    "Store",
    "StoreDamaged",
    "StoreError",
    "StoreFull",
    "StoreReadOnly",
    "account_dir_name",
    "body_file_name",
]
