"""pytest-msgraph's entry module: options, markers, fixtures, and one line per hook.

Each hook hands off to the module that owns the behaviour. Nothing here imports
MindSpore: it is loaded only when a session needs it (see state.PluginState.activate).
"""
from __future__ import annotations

import pytest

from . import hookspecs
from .checks import builtin as builtin_checks
from .checks.builtin.dynamic_shape import ShapeRecorder
from .core.modes import Mode
from .lint import items as lint_items
from .mindspore_side.session_end import release_user_objects
from .pairs import variants, xdist_scheduling
from .pairs.identity import variant_of
from .pairs.ordering import VariantPairing
from .pytest_side import fixtures, header, lifecycle, markers, options, run_record
from .pytest_side.path_options import correct_rootdir, for_workers
from .pytest_side.state import STATE_KEY, PluginState
from .pytest_side.values_options import add_values_options
from .reports.annotations import lines_for as annotation_lines
from .reports.summary import summary_lines


def _state(config: pytest.Config) -> PluginState:
    return config.stash[STATE_KEY]


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)
    add_values_options(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


@pytest.hookimpl(tryfirst=True)  # before the conftests load from a rootdir a path option may have moved
def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str]) -> None:
    correct_rootdir(early_config, args)


def pytest_configure(config: pytest.Config) -> None:
    markers.register(config)
    for_workers(config)
    config.pluginmanager.register(builtin_checks, "msgraph-builtin-checks")
    state = config.stash[STATE_KEY] = PluginState.from_config(config)
    config.pluginmanager.register(run_record.RunRecord(state), "msgraph-results")
    config.pluginmanager.register(run_record.JunitRewriter(state), "msgraph-junit")
    state.pairing = VariantPairing(complete=state.runner.policies.get("mode_parity") != "off",
                                   reorder=state.settings.restore_context)
    config.pluginmanager.register(state.pairing, "msgraph-variant-pairing")
    config.pluginmanager.register(state.fixture_modes, "msgraph-fixture-modes")
    config.stash[lint_items.LINT_SESSION] = lint_items.LintSession(
        policy=lambda: state.runner.policies[lint_items.CHECK],
        publish=lambda item, run: lifecycle.publish_run(item, run, state))


def pytest_report_header(config: pytest.Config) -> list[str]:
    return header.header(_state(config))


def pytest_report_collectionfinish(config: pytest.Config, items: list) -> list[str]:
    return header.after_collection(items, _state(config))


def pytest_sessionstart(session: pytest.Session) -> None:
    state = _state(session.config)
    if state.settings.explicit:
        state.activate()


@pytest.hookimpl(tryfirst=True)  # first, so the mode id leads: test_f[GRAPH_MODE-3]
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    state = _state(metafunc.config)
    markers.validate(metafunc.definition, state.registry, state.misused_markers)
    variants.generate_mode_variants(metafunc, state.settings.modes, state.settings.both_modes,
                                    state.misused_markers.note)


@pytest.hookimpl(wrapper=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object):
    __tracebackhide__ = True  # pytest's own message for a malformed parametrize, without this frame
    settings = _state(collector.config).settings
    markers.check_unittest_class(collector, obj, settings.both_modes)
    result = yield
    if isinstance(result, list):  # a test function's items, as pytest parametrized them
        variants.made([item for item in result if isinstance(item, pytest.Function)], settings.modes)
    return result


def pytest_collect_file(file_path, parent):
    if parent.config.getoption("ms_lint"):
        return lint_items.collect_file(file_path, parent)
    return None


@pytest.hookimpl(wrapper=True)  # registered before --lf's collection filter, so inside it: sees all items
def pytest_make_collect_report(collector: pytest.Collector):
    __tracebackhide__ = True
    state = _state(collector.config)
    before = state.collection_context.before(collector)
    report = yield
    state.collection_context.after(collector, before, report)
    markers.validate_unittest(report, state.registry, state.misused_markers)  # generate_tests never sees these
    state.misused_markers.fail_collector(report, state.registry)  # every misused marker of a module, in one error
    state.pairing.note_collected(report.result)
    return report


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    reason = _state(config).device_skip_reason
    if reason:
        for item in items:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_collection_finish(session: pytest.Session) -> None:
    state = _state(session.config)
    if not state.is_controller and state.needs_mindspore(session.items):
        state.activate()
    if state.ms is not None:
        # One baseline, whatever the options: the context as collection left it, as without the plugin.
        state.ms.rebase()
    state.warn_inactive_checks()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    lifecycle.setup(item, _state(item.config))


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest):
    return (yield from _state(request.config).idle_variants.fixture_setup(fixturedef))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    return (yield from lifecycle.call(item, _state(item.config)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item):
    return (yield from lifecycle.teardown(item, _state(item.config)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    lifecycle.annotate_report(item, call, report, _state(item.config))
    return report


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if _state(config).runner.policies.get("mode_parity") == "off":
        return None
    return xdist_scheduling.make_scheduler(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    if error:
        _state(node.config).results.crashed_workers.append(f"{node.gateway.id}: {error}")


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    state = _state(config)
    if state.is_worker:
        return
    if state.report_error:
        terminalreporter.write_line(state.report_error, red=True)
    if not state.results.tests:
        return
    if state.ms is None and not state.results.checked and not state.results.device_unavailable:
        return  # a session that neither touched MindSpore nor linted gets no section
    for line in annotation_lines(state.results, state.settings.annotations, config.rootpath):
        terminalreporter.write_line(line)
    lines = summary_lines(state.results, state.runner, state.device, state.settings.seed,
                          state.settings.summary_max, config.get_verbosity())
    if lines:
        terminalreporter.section("msgraph")
        for line in lines:
            terminalreporter.line(line)


@pytest.hookimpl(trylast=True)  # after every other plugin let go of what it held
def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE_KEY, None)
    if state is not None:
        state.release()
    release_user_objects()


@pytest.fixture
def ms_mode(request: pytest.FixtureRequest) -> Mode:
    """The MindSpore mode this test runs in (``Mode.GRAPH_MODE == ms.GRAPH_MODE``)."""
    ist = request.node.stash.get(lifecycle.ITEM_KEY, None)
    if ist is not None:
        return Mode[ist.run.mode]
    variant = variant_of(request.node)
    return Mode.PYNATIVE_MODE if variant is None else variant.mode


@pytest.fixture
def ms_shapes(request: pytest.FixtureRequest) -> ShapeRecorder:
    """Record shapes of values no Cell returns, for dynamic_shape: ``ms_shapes.record("boxes", out, inputs)``."""
    ist = request.node.stash.get(lifecycle.ITEM_KEY, None)
    enabled = ist is not None and any(check.name == "dynamic_shape" for check in ist.checks)
    return ShapeRecorder(ist.run if enabled else None)


@pytest.fixture
def ms_gradcheck(request: pytest.FixtureRequest):
    """Check a Cell's gradient (its bprop) against finite differences: ``ms_gradcheck(cell, *inputs)``."""
    from .checks.builtin.gradcheck import GradChecker

    state = _state(request.config)
    return GradChecker(fixtures.check_reporter(request.node, state, "gradcheck"),
                       lambda: fixtures.unwatched(state), lambda message: fixtures.warn(request.node, message),
                       lambda: fixtures.probing(state))


@pytest.fixture
def torch_parity(request: pytest.FixtureRequest):
    """Compare a migrated Cell with its PyTorch original: ``torch_parity.check(ms_cell, torch_module, *inputs)``."""
    pytest.importorskip("torch", reason="the torch_parity fixture needs PyTorch: pip install 'pytest-msgraph[torch]'")
    from .porting.torch_parity import TorchParity

    state = _state(request.config)
    marker = request.node.get_closest_marker("ms_tolerance")
    tolerances = (marker.kwargs.get("rtol"), marker.kwargs.get("atol")) if marker else (None, None)
    reporter = fixtures.check_reporter(request.node, state, "torch_parity")
    return TorchParity(reporter, tolerances, lambda: fixtures.eager(state),
                       lambda: fixtures.unwatched(state))
