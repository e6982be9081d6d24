"""What the plugin does around each test: mode, seed, checks, policies, isolation."""
from __future__ import annotations

import dataclasses
import sys
import warnings
from typing import Any, Optional

import pytest

from ..checks.builtin.compile_arithmetic import slowest, with_causes
from ..checks.findings import ERROR, TestRun
from ..checks.frame import Check
from ..checks.runner import failure_message
from ..core.modes import Mode
from ..core.nodeids import plain_nodeid
from ..mindspore_side.device_marks import PLATFORM_SKIP_PREFIX, skip_reason
from ..mindspore_side.session import MindSporeSession
from ..pairs.identity import variant_of
from ..reports.junit import testcase_properties
from ..reports.results import REPORT_ATTR
from .compile_failures import explain_compile_failure
from .markers import allowed_checks, max_compiles
from .raised import NOT_FAILURES as _NOT_FAILURES
from .raised import describe_raised
from .state import PluginState
from .warning import MsGraphWarning, pointer, warn_at


@dataclasses.dataclass
class ItemState:
    run: TestRun
    checks: list[Check]
    started_from: dict
    published: int = 0  # findings already warned about / handed to the finding hook
    reported: int = 0  # findings already put on a report


ITEM_KEY = pytest.StashKey[ItemState]()
PLATFORM_SKIPPED = pytest.StashKey[bool]()
IDLE_SKIPPED = pytest.StashKey[bool]()


def setup(item: pytest.Item, state: PluginState) -> None:
    if getattr(item, "msgraph_lint", False):
        return
    if state.ms is None and "mindspore" in sys.modules and not state.is_controller:
        state.activate()  # a test module imported MindSpore lazily: isolate it too
    if state.ms is None:
        return
    reason = skip_reason(item, state.ms.device, state.settings.platform_marks)
    if reason:
        # Counted in the summary: skips the user did not ask for, unless they read it there.
        item.stash[PLATFORM_SKIPPED] = reason.startswith(PLATFORM_SKIP_PREFIX)
        # Reported at the test's own location, as a skip mark would be.
        raise pytest.skip.Exception(reason, _use_item_location=True)
    idle = state.idle_variants.skip_reason(item)
    if idle:
        item.stash[IDLE_SKIPPED] = True
        raise pytest.skip.Exception(idle, _use_item_location=True)
    state.idle_variants.start(item, state.ms)
    variant = variant_of(item)
    started_from = state.ms.begin_test(item.nodeid, variant.mode if variant is not None else None)
    mode = variant.mode if variant is not None else state.ms.current_mode()
    state.fixture_modes.remake_for(item, mode)  # a wider fixture made in the other mode is made again, in this one
    run = TestRun(plain_nodeid(item.nodeid), mode.name, state.ms.device, item)
    run.pair = variant.pair if variant is not None else None
    run.variant = variant.mode.name if variant is not None else None
    run.compiles_hidden = state.ms.compiles_paused
    item.stash[ITEM_KEY] = ItemState(run, state.runner.for_test(allowed_checks(item)), started_from)


def _session(state: PluginState) -> MindSporeSession:
    """The MindSpore session; an ItemState exists only for tests run under one."""
    assert state.ms is not None
    return state.ms


def call(item: pytest.Item, state: PluginState):
    """Generator body of the pytest_runtest_call wrapper."""
    ist = item.stash.get(ITEM_KEY, None)
    if ist is None:
        return (yield)
    state.runner.notify(ist.checks, "test_started", ist.run)
    compiles = _session(state).compiles
    log = compiles.start() if compiles is not None else None
    try:
        result = yield
    except BaseException as exc:
        if ist.run.pair is not None and any(c.name == "mode_parity" for c in ist.checks):
            try:  # mode_parity's pair verdict: one variant raises, its twin passes
                ist.run.raised = describe_raised(exc, item.config.rootpath)
            except Exception:  # reading the failure must never hide the test's own error; no verdict then
                ist.run.raised = {"skipped": True}
        _finish_call(item, state, ist, log)
        raise
    _fail_on(_finish_call(item, state, ist, log))
    _enforce_max_compiles(item, ist.run, state)
    return result


def _finish_call(item: pytest.Item, state: PluginState, ist: ItemState, log: Any) -> list:
    session = _session(state)
    if log is not None and session.compiles is not None:
        session.compiles.stop(log)
        # A fixture's own graphs (ms_gradcheck, torch_parity) count in no budget, but they are graph code run.
        ist.run.compile_events = with_causes([e for e in log.events if not e.get("hidden")])
        ist.run.fixture_graphs = sum(bool(e.get("hidden")) for e in log.events) \
            + state.fixture_modes.graphs_for(item, Mode[ist.run.variant or ist.run.mode or "PYNATIVE_MODE"])
    # Report the mode the test ran in: an unmarked test may switch modes itself, and a variant
    # whose body sets another mode than its own (set_context(mode=ms.GRAPH_MODE) for mode=mode) too.
    ist.run.mode = _ran_in(session.current_mode(), ist.run.compile_events).name
    state.runner.notify(ist.checks, "test_finished", ist.run)
    return publish(state, ist)


def _ran_in(mode_at_end: Mode, events: Optional[list]) -> Mode:
    """The mode a test's call ran in: the context at its end, or GRAPH_MODE when a Cell graph was compiled in it (an
    explicit ``Cell.compile()`` in PYNATIVE_MODE compiles one without leaving PYNATIVE_MODE)."""
    if any(e["kind"] == "cell" and not e.get("cached") and e.get("mode", "GRAPH_MODE") == "GRAPH_MODE"
           for e in events or ()):
        return Mode.GRAPH_MODE
    return mode_at_end


def _enforce_max_compiles(item: pytest.Item, run: TestRun, state: PluginState) -> None:
    """@pytest.mark.ms_max_compiles(n): fail whatever the recompile check's policy (chex's assert_max_traces)."""
    limit = max_compiles(item)
    if limit is None:
        return
    events = run.compile_events
    if events is None:
        warnings.warn(MsGraphWarning(f"msgraph: {item.nodeid}: ms_max_compiles not checked: "
                                     f"{_session(state).compiles_unavailable or 'compiles are not watched'}"),
                      stacklevel=2)
        return
    if len(events) <= limit:
        return
    lines = [f"  {i}. {e['what']} ({e['kind']}) at {e['location']}: {e['cause']}, "
             + ("reused from an earlier test's compile" if e.get("cached") else f"{e['seconds']:.3f} s")
             for i, e in enumerate(events, 1)]
    pytest.fail(f"[ms_max_compiles] the test's calls needed {len(events)} graphs, more than the {limit} allowed by "
                f"@pytest.mark.ms_max_compiles({limit}) (a graph an earlier test compiled counts too, so the "
                "verdict does not depend on the order tests run in):\n" + "\n".join(lines), pytrace=False)


def teardown(item: pytest.Item, state: PluginState):
    """Generator body of the pytest_runtest_teardown wrapper: runs after fixtures finalise."""
    result = yield
    ist = item.stash.get(ITEM_KEY, None)
    if ist is None or not ist.started_from:  # not a MindSpore test (a lint item)
        return result
    ist.run.context_changes = _session(state).end_test(ist.started_from)
    state.runner.notify(ist.checks, "test_torn_down", ist.run)
    ist.checks = []  # done with this test: an item kept to the end (xdist keeps them) must not keep the checks
    _fail_on(publish(state, ist))
    return result


def publish(state: PluginState, ist: ItemState) -> list:
    """Hand new findings to the finding hook and warn for the warn-policy ones; return those that fail the test.

    They fail it under policy error, or when a warning filter (``-W error``) turned their
    warning into an error. They count as published before any warning goes out, so the
    same finding is never raised again at teardown.
    """
    item = ist.run.item
    new = ist.run.findings[ist.published:]
    ist.published = len(ist.run.findings)
    failing = []
    for finding in new:
        state.config.hook.pytest_msgraph_finding(finding=finding, config=state.config)
        if finding.severity == ERROR:
            failing.append(finding)
            continue
        # Point the warning at the test, not at the plugin that raised it.
        path, lineno, _ = item.location
        if warn_at(pointer(finding), item.path, (lineno or 0) + 1):
            failing.append(finding)
    return failing


def publish_run(item: pytest.Item, run: TestRun, state: PluginState) -> list:
    """Publish the findings of an item the plugin did not run under MindSpore (a lint item), and report them."""
    ist = ItemState(run, [], {})
    item.stash[ITEM_KEY] = ist
    return publish(state, ist)


def _fail_on(failing: list) -> None:
    if failing:
        pytest.fail(failure_message(failing), pytrace=False)


def _junit_properties(data: dict, ist: Optional[ItemState]) -> list[tuple[str, str]]:
    """The testcase's msgraph properties: its mode, device, compiles and every finding of every phase."""
    findings = [f.to_dict() for f in ist.run.findings] if ist is not None else []
    compiles = ist.run.compile_events if ist is not None else None
    return testcase_properties(data.get("mode"), data.get("device"), None if compiles is None else len(compiles),
                               findings)


def _fixture_raised(item: pytest.Item, call_info: Any, ist: ItemState, state: PluginState) -> None:
    """A variant whose fixture raised (its call never ran) gets the pair verdict a raising call gets: mode_parity
    hears a call that raised at once, with the fixture's error."""
    parity = [check for check in ist.checks if check.name == "mode_parity"]
    if ist.run.pair is None or not parity or isinstance(call_info.excinfo.value, _NOT_FAILURES):
        return
    state.runner.notify(parity, "test_started", ist.run)
    try:
        ist.run.raised = describe_raised(call_info.excinfo.value, item.config.rootpath)
    except Exception:  # reading the failure must never hide the fixture's own error; no verdict then
        ist.run.raised = {"skipped": True}
    state.runner.notify(parity, "test_finished", ist.run)


def annotate_report(item: pytest.Item, call_info: Any, report: Any, state: PluginState) -> None:
    """Put the test's mode, device, new findings and counts on the report, for every process."""
    ist = item.stash.get(ITEM_KEY, None)
    if ist is not None and call_info.when == "setup" and call_info.excinfo is not None:
        _fixture_raised(item, call_info, ist, state)
    if ist is None:
        # Not run under the plugin's MindSpore session (skipped first, or a lint item).
        variant = variant_of(item)
        if variant is not None:
            mode: Optional[str] = variant.mode.name
        else:
            mode = None if getattr(item, "msgraph_lint", False) else Mode.PYNATIVE_MODE.name  # MindSpore's default
        data = {"mode": mode, "device": state.device, "device_id": state.device_id,
                "platform_skipped": item.stash.get(PLATFORM_SKIPPED, False),
                "idle_twin": item.stash.get(IDLE_SKIPPED, False),
                "device_unavailable": state.device_skip_reason is not None}
    else:
        run = ist.run
        # Each finding and count travels on exactly one report.
        data = {
            "mode": run.mode,
            "device": run.device,
            "device_id": state.ms.device_id if state.ms is not None else None,  # None: a lint item
            "findings": [f.to_dict() for f in run.findings[ist.reported:]],
            "examined": dict(run.examined),
            "records": dict(run.records),
        }
        events = getattr(run, "compile_events", None)
        if events is not None and call_info.when == "call":
            data["compiles"] = {"count": len(events), "seconds": round(sum(e["seconds"] for e in events), 6),
                                "fixture_graphs": run.fixture_graphs,
                                "slowest": [{"cell": e["what"], "seconds": e["seconds"], "cause": e["cause"]}
                                            for e in slowest(events)]}
        if run.values is not None:  # travels once, on the report after mode_parity made it
            data["values"] = run.values
            run.values = None
        ist.reported = len(run.findings)
        run.examined.clear()
        run.records.clear()
    pending = state.collection_context.take_pending()  # travels once, on this process's first report
    if pending:
        data["collection_findings"] = pending
    notes = state.take_session_notes()
    if notes is not None:
        data["session"] = notes
    # The name both variants of a mode pair share: one matrix row for the two of them.
    identity = variant_of(item)
    data["pair"] = identity.pair if identity is not None else None
    data["adopted"] = identity is not None and identity.adopted
    if call_info.when == "teardown":  # the report pytest's junitxml reads a testcase's properties from
        report.user_properties.extend(_junit_properties(data, ist))
    setattr(report, REPORT_ATTR, data)
    state.idle_variants.reported(item, report)
    explain_compile_failure(item, report, call_info, data, state)
