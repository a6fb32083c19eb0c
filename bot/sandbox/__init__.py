"""A local stand-in for the Talkturo REST API, for tests, benchmarks and an embedded dev mode.

state = SandboxState()
acct = state.add_account("acme", token="tk_test_acme")
app = create_app(state)  # serve it; the API base URL is <server>/api
"""

from .app import create_app
from .state import (
    DEMO_SLUG,
    DEMO_TOKEN,
    ENDPOINTS,
    Fault,
    SandboxAccount,
    SandboxError,
    SandboxState,
)

__all__ = [
    "DEMO_SLUG",
    "DEMO_TOKEN",
    "ENDPOINTS",
    "Fault",
    "SandboxAccount",
    "SandboxError",
    "SandboxState",
    "create_app",
]
