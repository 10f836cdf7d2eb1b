"""The aiohttp adapter around the core: the server, its state, the inspector,
``MockRealtimeServer`` and the pytest plugin.

Every public name of the modules here is importable from the package, lazily: ``_MODULES`` lists
each module's names (space-separated), so each name has one home, and a module loads on first use
(tests/test_layout.py checks the table against the modules' ``__all__``).
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULES: dict[str, str] = {
    "capture": (
        "append_audio capture_files CaptureWriter FormatTracker read_capture read_wav wav_header "
        "WAV_TAGS"
    ),
    "cassette": "Cassette CassetteAgeWarning ProxyServer RECORD_MODES RecordMode replay_factory",
    "caserecord": "CaseDiff compare record_cases RecordingTargets target_dir",
    "cassette_plugin": "LIVE_UPSTREAM mockrt_cassette",
    "admin": ("add_admin_routes ADMIN AdminState configuration load_script reset restore_script"),
    "background": "BackgroundMockServer",
    "fanout": (
        "ask_siblings install_worker is_local KEYS_PATH LOCAL_HEADER Reply SiblingError Worker "
        "WORKER WORKER_HEADER WORKERS_HEADER worker_of"
    ),
    "inspector": "add_routes ROUTE_NAME session_summary",
    "openapi": "openapi_document",
    "proxy": "create_proxy_app PROXY ProxyConfig ProxyState Route upstream_url",
    "pump": "APPEND BATCH_MAX BURST_S serve_connection YIELD_EVERY",
    "pytest_async": "mockrt_server ServerFactory",
    "pytest_fixtures": (
        "MISSING_PYTEST_ASYNCIO mockrt_redirect_fixture mockrt_server_session mockrt_server_sync "
        "WithoutPytestAsyncio"
    ),
    "pytest_plugin": "pytest_addoption pytest_configure pytest_runtest_makereport",
    "pytest_report": "attach JOURNAL_DIR_OPTION summary watch",
    "relay": "Relay",
    "redirect": "ENV_BLOCK ENV_LOG ENV_URL HOOK_DIR Record Redirect install_from_env "
    "mockrt_redirect",
    "redirect_hook": "hook_env read_log summary_lines to_journal",
    "redirect_patches": "PATCHES REDIRECTED_HOSTS NetworkBlocked Router guard_sockets is_loopback",
    "server": "create_app describe_violation install_log_redaction",
    "state": "Live ServerConfig ServerState serving_gc STATE",
    "testing": "MockRealtimeServer TEST_API_KEY",
    "worker": "HANDED_MAX LineAppender read_pipe receive_handed serve_worker",
    "workers": "supervise supported",
}
_HOME = {name: module for module, names in _MODULES.items() for name in names.split()}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
