"""Every Jinja2 environment townplans uses: sandboxed, strict, and honest about errors.

Templates travel with workspaces (``templates/documents/``, ``templates/scaffold/``), so they are
untrusted like content: each environment is a ``SandboxedEnvironment`` (no access to Python
internals such as ``__globals__`` or ``__subclasses__``), undefined names are errors, and HTML
targets autoescape. A template that fails, including one that tries an unsafe access, raises
``TemplateError`` naming the template file and line, which the callers turn into a finding.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from townplans.fs import Kind, kind


class TemplateError(Exception):
    """A template that cannot be rendered; ``path`` and ``line`` say where (Chinese message)."""

    def __init__(self, message: str, path: str, line: int | None) -> None:
        super().__init__(message, path, line)  # all three in args: it crosses process pools
        self.message = message
        self.path = path
        self.line = line


class _ConfinedLoader(jinja2.FileSystemLoader):
    """A file loader that never reads outside its folder: Jinja refuses ``..`` in names itself,
    and this refuses a template that is a symlink out of the folder or not a regular file."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        folder = Path(self.searchpath[0])
        if kind(Path(filename), folder) is not Kind.FILE:
            raise TemplateError(
                f"模板 {template} 是指向模板文件夹以外的链接或不是普通文件：出于安全不会读取",
                f"templates/{folder.name}/{template}",
                None,
            )
        return source, filename, uptodate


def environment(folder: Path | None = None, *, html: bool = False) -> SandboxedEnvironment:
    """A sandboxed environment over ``folder`` (or for ``from_string`` templates).

    Markdown and YAML targets are not escaped (values are made safe by the callers' filters);
    HTML targets autoescape every value.
    """
    return SandboxedEnvironment(
        loader=_ConfinedLoader(str(folder)) if folder is not None else None,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=html,
    )


def render(env: jinja2.Environment, template: str, shown_as: str, **context: Any) -> str:
    """Render ``template``; any failure becomes a ``TemplateError`` at ``shown_as``
    (the template's workspace-relative path) and the template line where it happened."""
    try:
        return env.get_template(template).render(**context)
    except TemplateError:
        raise
    except jinja2.TemplateSyntaxError as exc:
        message = f"模板语法错误：{exc.message}"
        raise TemplateError(message, shown_as, exc.lineno) from exc
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"找不到模板 {exc.name}", shown_as, None) from exc
    except jinja2.exceptions.SecurityError as exc:
        message = f"模板试图访问不安全的属性或方法，已拒绝执行：{exc}"
        raise TemplateError(message, shown_as, _template_line(exc, template)) from exc
    except jinja2.UndefinedError as exc:
        message = f"模板使用了未定义的名称：{exc.message}"
        raise TemplateError(message, shown_as, _template_line(exc, template)) from exc
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
        message = f"模板运行出错：{type(exc).__name__}: {exc}"
        raise TemplateError(message, shown_as, _template_line(exc, template)) from exc


def _template_line(exc: BaseException, name: str) -> int | None:
    """The line in template ``name`` where ``exc`` was raised (Jinja rewrites its traceback so
    that template frames carry the template's own file name and line)."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(name) or frame.filename == "<template>":
            line = frame.lineno
    return line
