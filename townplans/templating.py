"""Every Jinja2 environment townplans uses: sandboxed, strict, and honest about errors.

Templates travel with workspaces (``templates/documents/``, ``templates/scaffold/``), so they are
untrusted like content: each environment is a ``SandboxedEnvironment`` (no access to Python
internals such as ``__globals__`` or ``__subclasses__``), undefined names are errors, and HTML
targets autoescape. A template that fails, including one that tries an unsafe access, raises
``TemplateError`` naming the template file and line, which the callers turn into a finding.
"""

from __future__ import annotations

import hashlib
import re
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from townplans import errortext
from townplans.fs import Kind, kind


class TemplateError(Exception):
    """A template that cannot be rendered; ``path`` and ``line`` say where (Chinese message)."""

    def __init__(self, message: str, path: str, line: int | None) -> None:
        super().__init__(message, path, line)  # all three in args: it crosses process pools
        self.message = message
        self.path = path
        self.line = line


Loaded = Callable[[str, str], None]
"""Told of every template a render uses: its name and the SHA-256 of the text it was read as."""


class _ConfinedLoader(jinja2.FileSystemLoader):
    """A file loader that never reads outside its folder: Jinja refuses ``..`` in names itself,
    and this refuses a template that is a symlink out of the folder or not a regular file.

    ``loaded`` hears of each template a render uses, included ones too, whether read now or
    taken from the environment's cache (Jinja asks the ``uptodate`` function given here before it
    reuses a compiled template): the build records them as what a document was made from."""

    def __init__(self, folder: str, loaded: Loaded | None = None) -> None:
        super().__init__(folder)
        self.loaded = loaded

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
        loaded = self.loaded
        if loaded is None:
            return source, filename, uptodate
        # The text as read, encoded back: the file's own bytes (FileSystemLoader decodes UTF-8
        # without translating newlines), so the digest equals the build's hash of the file
        digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
        loaded(template, digest)

        def current() -> bool:
            fresh = uptodate()
            if fresh:
                loaded(template, digest)
            return fresh

        return source, filename, current


def environment(
    folder: Path | None = None, *, html: bool = False, loaded: Loaded | None = None
) -> SandboxedEnvironment:
    """A sandboxed environment over ``folder`` (or for ``from_string`` templates).

    Markdown and YAML targets are not escaped (values are made safe by the callers' filters);
    HTML targets autoescape every value. ``loaded`` is told of every template a render uses.
    """
    return SandboxedEnvironment(
        loader=_ConfinedLoader(str(folder), loaded) if folder is not None else None,
        auto_reload=True,  # a cached template is checked (``uptodate``) on use: ``loaded`` hears
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
        message = f"模板语法错误：{_syntax_problem(exc.message or '')}{errortext.detail(exc, trace=False)}"
        raise TemplateError(message, shown_as, exc.lineno) from exc
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"找不到模板 {exc.name}", shown_as, None) from exc
    except jinja2.exceptions.SecurityError as exc:
        message = (
            "模板试图访问不安全的属性或方法（Python 内部对象，如 __init__、__class__、__globals__），"
            f"已拒绝执行{errortext.detail(exc, trace=False)}"
        )
        raise TemplateError(message, shown_as, _template_line(exc, template)) from exc
    except jinja2.UndefinedError as exc:
        message = _undefined(exc.message or "") + errortext.detail(exc, trace=False)
        raise TemplateError(message, shown_as, _template_line(exc, template)) from exc
    except RecursionError as exc:
        message = f"模板递归或嵌套层数过多，已停止{errortext.detail(exc, trace=False)}"
        raise TemplateError(message, shown_as, _template_line(exc, template)) from exc
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
        message = (
            "模板运行出错：某个值的类型不对，或对它做了不能做的运算或调用"
            f"{errortext.detail(exc, trace=False)}"
        )
        raise TemplateError(message, shown_as, _template_line(exc, template)) from exc


_SYNTAX_PROBLEMS = (
    (r"unexpected end of template", "模板意外结束：{% for %}、{% if %} 等缺少对应的 {% endfor %}、{% endif %}"),
    (r"encountered unknown tag '([^']{1,40})'", "未知的标记 {0}（不是 Jinja 的语句，或缺少与它配对的开始语句）"),
    (r"no filter named '([^']{1,40})'", "没有名为 {0} 的过滤器"),
    (r"no test named '([^']{1,40})'", "没有名为 {0} 的测试"),
    (r"expected an expression", "{{ }} 或 {% %} 中缺少表达式"),
    (r"unexpected '\}', expected '([)\]])'", "括号没有闭合：缺少 {0}"),
    (r"unexpected '\}'", "花括号不成对：{{ }} 与 {% %} 应成对"),
    (r"unexpected char '(.)'", "出现了模板不认识的字符 {0}"),
    (r"expected token '([^']{1,20})'", "语句没有写完整：缺少 {0}"),
    (r"unexpected", "此处出现了不应有的内容"),
)  # fmt: skip


def _syntax_problem(english: str) -> str:
    """Jinja's syntax error in Chinese, naming the tag or filter (its English only for --debug)."""
    for pattern, chinese in _SYNTAX_PROBLEMS:
        if (match := re.match(pattern, english, re.IGNORECASE)) is not None:
            return chinese.replace("{0}", match.group(1)) if match.groups() else chinese
    return "请检查 {{ }}、{% %} 是否成对，语句是否写全"


_UNDEFINED_NAME = re.compile(r"^'([^']{1,80})' is undefined$")
_NO_ATTRIBUTE = re.compile(r"has no attribute '([^']{1,80})'$")


def _undefined(english: str) -> str:
    """Jinja's "'x' is undefined" / "... has no attribute 'x'" in Chinese, naming ``x``."""
    if (match := _UNDEFINED_NAME.match(english)) is not None:
        return f"模板使用了未定义的名称 {match.group(1)}"
    if (match := _NO_ATTRIBUTE.search(english)) is not None:
        return f"模板取用了不存在的属性或键 {match.group(1)}"
    return "模板使用了未定义的名称或属性"


def _template_line(exc: BaseException, name: str) -> int | None:
    """The line in template ``name`` where ``exc`` was raised (Jinja rewrites its traceback so
    that template frames carry the template's own file name and line)."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(name) or frame.filename == "<template>":
            line = frame.lineno
    return line
