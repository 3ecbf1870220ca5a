"""The explicit rule registry: every rule class, in code order. A meta-test keeps it honest."""

from __future__ import annotations

from dbctl.lint.rule import Rule
from dbctl.lint.rules.dbc000_parse_error import ParseError
from dbctl.lint.rules.dbc101_sync_driver_in_async_app import SyncDriverInAsyncApp
from dbctl.lint.rules.dbc102_sync_engine_in_async_app import SyncEngineInAsyncApp
from dbctl.lint.rules.dbc103_blocking_db_call_in_async_def import BlockingDbCallInAsyncDef
from dbctl.lint.rules.dbc104_async_engine_sync_url import AsyncEngineSyncUrl
from dbctl.lint.rules.dbc105_missing_await import MissingAwait
from dbctl.lint.rules.dbc106_sync_create_all_on_async_engine import SyncCreateAllOnAsyncEngine
from dbctl.lint.rules.dbc201_hardcoded_dsn_password import HardcodedDsnPassword
from dbctl.lint.rules.dbc202_hardcoded_password_argument import HardcodedPasswordArgument
from dbctl.lint.rules.dbc203_hardcoded_credential_default import HardcodedCredentialDefault
from dbctl.lint.rules.dbc301_deprecated_on_event import DeprecatedOnEvent
from dbctl.lint.rules.dbc302_sessionmaker_async_session import SessionmakerAsyncSession
from dbctl.lint.rules.dbc303_engine_echo_true import EngineEchoTrue
from dbctl.lint.rules.dbc304_expire_on_commit_default import ExpireOnCommitDefault
from dbctl.lint.rules.dbc305_engine_per_request import EnginePerRequest
from dbctl.lint.rules.dbc306_session_not_closed import SessionNotClosed

ALL_RULES: tuple[type[Rule], ...] = (
    ParseError,
    SyncDriverInAsyncApp,
    SyncEngineInAsyncApp,
    BlockingDbCallInAsyncDef,
    AsyncEngineSyncUrl,
    MissingAwait,
    SyncCreateAllOnAsyncEngine,
    HardcodedDsnPassword,
    HardcodedPasswordArgument,
    HardcodedCredentialDefault,
    DeprecatedOnEvent,
    SessionmakerAsyncSession,
    EngineEchoTrue,
    ExpireOnCommitDefault,
    EnginePerRequest,
    SessionNotClosed,
)


def by_code() -> dict[str, type[Rule]]:
    return {rule.code: rule for rule in ALL_RULES}
