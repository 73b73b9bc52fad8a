# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compiled Jinja templates kept in the controller's main process, so the workers Ansible forks
inherit them.

ansible-core 2.19 compiles a template again each time it is templated (jinja2's from_string keeps
nothing), and each worker is a fresh fork for one task on one box: every box paid for compiling
every argument, role variable, inventory template and condition of every task again (206 compiles,
0.19 CPU-s per box of the reference site's no-op rollout). Here Jinja's compile step keeps its
result (the Python code object, keyed by the source and every setting the compile reads), and the
main process compiles what a task will meet - its arguments, variables and conditions, its role's
defaults and variables, the play's and the first box's inventory variables - before the task's
workers are forked. A worker that meets a template the main process did not foresee compiles it as
before.

It wraps internals of ansible-core (AnsibleEnvironment.compile and compile_expression, jinja2's
Environment methods): install() checks what it needs and leaves Ansible as it is when they differ.
A run never fails for a speed-up: every step here swallows its own errors.
"""
from __future__ import annotations

import contextvars

# Distinct templates of a run are a few thousand; a bound keeps a pathological one from growing.
MOST = 50000

_CACHE = {}
_EXPRESSION = contextvars.ContextVar("azb_compile_cache_expression", default=None)
_installed = []
_seen = set()   # tasks and roles already compiled for (their ids)


def _settings(env, ambient):
    """What a compile reads besides the source: the lexer's settings, the code generator's, and the
    ambient backslash escaping."""
    context = ambient["context"].current(optional=True)
    return (tuple(getattr(env, name) for name in ambient["fields"]), env.optimized, env.autoescape,
            env.finalize is not None, type(env), bool(context and context.escape_backslashes))


def install():
    """Wrap Jinja's compile (once per process). -> whether the cache is in place."""
    if _installed:
        return True
    try:
        from ansible._internal._templating import _jinja_bits
        env_class = _jinja_bits.AnsibleEnvironment
        ambient = {"context": _jinja_bits._TemplateCompileContext,
                   "fields": tuple(_jinja_bits._TEMPLATE_OVERRIDE_FIELD_NAMES)}
        compile_code = env_class.compile
        compile_expression = env_class.compile_expression
    except (ImportError, AttributeError):
        return False

    def cached_compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        expression = _EXPRESSION.get()
        if raw or getattr(self, "overlayed", False) or getattr(self, "_debuggable_template_source", False):
            return compile_code(self, source, name, filename, raw, defer_init)
        if isinstance(source, str):
            key = ("template", source, name, filename, defer_init)
        elif expression is not None:
            key = ("expression",) + expression + (name, filename, defer_init)  # the tree of that expression
        else:
            return compile_code(self, source, name, filename, raw, defer_init)
        try:
            key += _settings(self, ambient)
            code = _CACHE.get(key)
        except Exception:  # pylint: disable=broad-except
            return compile_code(self, source, name, filename, raw, defer_init)
        if code is None:
            code = compile_code(self, source, name, filename, raw, defer_init)
            if len(_CACHE) < MOST:
                _CACHE[key] = code
        return code

    def cached_compile_expression(self, source, *args, **kwargs):
        # Jinja parses the expression, then compiles the tree: the tree's code is kept under the source.
        token = _EXPRESSION.set((source, args, tuple(sorted(kwargs.items()))) if isinstance(source, str) else None)
        try:
            return compile_expression(self, source, *args, **kwargs)
        finally:
            _EXPRESSION.reset(token)

    env_class.compile = cached_compile
    env_class.compile_expression = cached_compile_expression
    _installed.append(True)
    return True


def template_strings(value, depth=0):
    """The strings in a value (nested lists and dicts) that may be templates."""
    if depth > 30:
        return
    if isinstance(value, str):
        if "{{" in value or "{%" in value:
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from template_strings(item, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from template_strings(item, depth + 1)


def precompile(templates=(), expressions=()):
    """Compile these template strings and bare expressions (conditions) into the cache, as a worker
    would with Ansible's default options. -> how many were compiled."""
    if not _installed:
        return 0
    try:
        from ansible._internal._templating._engine import TemplateEngine, TemplateOptions
        engine = TemplateEngine()
    except Exception:  # pylint: disable=broad-except
        return 0
    done = 0
    for source in templates:
        try:
            engine._compile_template(source, TemplateOptions.DEFAULT)
            done += 1
        except Exception:  # pylint: disable=broad-except
            pass
    # As TemplateEngine.evaluate_conditional compiles a condition: stripped, no backslash escaping.
    try:
        condition = TemplateOptions(escape_backslashes=False, preserve_trailing_newlines=False)
    except Exception:  # pylint: disable=broad-except
        return done
    for source in expressions:
        try:
            engine._compile_expression(source.strip(), condition)
            done += 1
        except Exception:  # pylint: disable=broad-except
            pass
    return done


def _conditions(task):
    """A task's (or block's) conditions: (bare expressions, whole templates)."""
    bare, templates = [], []
    for attr in ("when", "changed_when", "failed_when", "until"):
        value = getattr(task, attr, None)
        for cond in value if isinstance(value, list) else [value]:
            if isinstance(cond, str):
                (templates if "{{" in cond or "{%" in cond else bare).append(cond)
    return bare, templates


def precompile_task(task):
    """What a task's workers will template: its arguments, variables, loop and conditions, and
    (once per role) its role's defaults and variables. Errors are swallowed."""
    try:
        if task._uuid in _seen:
            return 0
        _seen.add(task._uuid)
        values = [task.args, task.vars, getattr(task, "loop", None)]
        conditions = []
        parent = task
        while parent is not None:  # a block's conditions and variables are the task's too
            bare, templates = _conditions(parent)
            conditions += bare
            values += [templates, getattr(parent, "vars", None)]
            parent = getattr(parent, "_parent", None)
        role = task._role
        if role is not None and ("role", role.get_role_path()) not in _seen:
            _seen.add(("role", role.get_role_path()))
            values += [role.get_default_vars(), role.vars, role._role_vars]
        return precompile([s for v in values for s in template_strings(v)], conditions)
    except Exception:  # pylint: disable=broad-except
        return 0


def precompile_play(play):
    """The play's variables and the first target's inventory variables (group_vars of a fleet are
    the same templates on every box). Errors are swallowed."""
    try:
        manager = play.get_variable_manager()
        hosts = manager._inventory.get_hosts(play.hosts)
        values = [play.vars]
        if hosts:
            values.append(manager.get_vars(play=play, host=hosts[0], include_hostvars=False))
        return precompile([s for v in values for s in template_strings(v)])
    except Exception:  # pylint: disable=broad-except
        return 0
