"""A path option spelled with a space must not move the rootdir, and so the node ids.

pytest chooses the rootdir (and the ini file) before it loads plugins: in ``--ms-report
/elsewhere/r.json`` it does not know yet that the path is the option's value, and an
argument that names an existing path is a rootdir candidate. Measured with pytest 9.2 and
pytest-xdist 3.8, the rootdir then becomes the common ancestor of the tests and the report:
every node id gets the project folder's name in front, and the project's ini file is not
found (its ``addopts``, its markers). It happens whenever the file exists when a process
starts: an xdist worker starts after the controller wrote the placeholder report, and any
run after a first one finds the last report there.

Two measures, each for where it can act:

- xdist workers are started with the controller's arguments: the controller gives them
  the ``--ms-report=PATH`` spelling, which no process takes for a path (``for_workers``);
- the process itself has chosen before the plugin could act: once the plugin's options
  are known, the rootdir and ini file are chosen again without the option's value, and
  put in place of the first choice when they differ (``correct_rootdir``). Where that
  cannot be done faithfully (another ini file was read in the meantime, a pytest whose
  internals differ), the run stops with a usage error that says to write ``--ms-report=PATH``.
"""
from __future__ import annotations

import copy
import dataclasses
import os
from typing import Any

import pytest

PATH_OPTIONS = ("--ms-report", "--ms-repro")  # every plugin option whose value is a path


def spaced_values(args: Any) -> list[str]:
    """The values of path options given as two arguments (``--ms-report PATH``)."""
    args = [str(arg) for arg in args]
    return [args[i + 1] for i, arg in enumerate(args[:-1]) if arg in PATH_OPTIONS]


def joined(args: Any) -> list[str]:
    """``args`` with each ``--ms-report PATH`` written ``--ms-report=PATH``: the same option, never a path."""
    args, out, i = [str(arg) for arg in args], [], 0
    while i < len(args):
        if args[i] in PATH_OPTIONS and i + 1 < len(args):
            out.append(f"{args[i]}={args[i + 1]}")
            i += 2
        else:
            out.append(args[i])
            i += 1
    return out


def for_workers(config: pytest.Config) -> None:
    """The arguments xdist hands its workers, with path options joined to their value."""
    params = config.invocation_params
    if spaced_values(params.args):
        config.invocation_params = dataclasses.replace(params, args=tuple(joined(params.args)))


def _refuse(value: str, why: str) -> None:
    raise pytest.UsageError(
        f"msgraph: --ms-report {value} names a file that exists, and pytest took it for a test path when it chose "
        f"the rootdir, before the plugin was loaded ({why}): node ids and the ini file would not be this project's. "
        f"Write --ms-report={value} (with '=').")


def written_where_read(config: Any, rootpath: Any, inipath: Any, value: str) -> None:
    """The private writes above took: pytest's public ``rootpath`` and ``inipath`` read them back.

    A write to an attribute pytest no longer reads would fail silently and leave the first choice in
    force (the project's ini unread, its addopts and strict xfails unapplied): refuse instead.
    """
    if (config.rootpath, config.inipath) != (rootpath, inipath):
        _refuse(value, "this pytest keeps its rootdir and ini file where the plugin cannot put them back")


def correct_rootdir(config: pytest.Config, args: list[str]) -> None:
    """Choose the rootdir and ini file again without the values of path options (see the module's docstring)."""
    polluting = [value for value in spaced_values(args) if os.path.exists(value)]
    if not polluting:
        return
    try:
        from _pytest.config.findpaths import determine_setup

        namespace = config.known_args_namespace  # parsed again once the plugins' options were known
        rootpath, inipath, inicfg, *_ = determine_setup(
            inifile=namespace.inifilename, override_ini=namespace.override_ini, args=namespace.file_or_dir,
            rootdir_cmd_arg=namespace.rootdir or None, invocation_dir=config.invocation_params.dir)
        if (rootpath, inipath) == (config.rootpath, config.inipath):
            return
        if config.inipath is not None:
            return _refuse(polluting[0], f"it read {config.inipath} instead of {inipath}")
        old_cut = str(config.rootpath)
        config._rootpath, config._inipath, config._inicfg = rootpath, inipath, inicfg
        config._inicache.clear()
        written_where_read(config, rootpath, inipath, polluting[0])
        config._parser.extra_info.update(rootdir=str(rootpath), inifile=str(inipath))
        if namespace.confcutdir == old_cut:  # pytest set it from the first choice, not the user
            namespace.confcutdir = str(inipath.parent if inipath else rootpath)
        addopts = list(config.getini("addopts"))  # the project's ini, found now
        if addopts:
            args[:] = [*addopts, *args]
            config.pluginmanager.consider_preparse(addopts, exclude_only=False)
            config.known_args_namespace = config._parser.parse_known_args(
                args, namespace=copy.copy(config.option))
    except (ImportError, AttributeError, TypeError) as exc:  # another pytest's internals
        _refuse(polluting[0], f"this pytest cannot be corrected: {type(exc).__name__}")
