"""Every ``xraynet ...`` command the README and the docs show is one the CLI accepts.

The commands are parsed, not run, with the real argument parser
(:func:`xraynet.cli._main.build_parser`), so a renamed or removed option, a
wrong sub-command or a value the option refuses is caught without training
anything. Files named in the commands need not exist to be parsed.

Shell code (fenced ``bash``/``sh``/``console`` blocks of the README,
``code-block:: bash`` and ``::`` literal blocks of the docs, the examples of
every ``--help``) must parse as complete commands. Inline code (```xraynet compare --help```) may mention a
command without its required arguments (``xraynet predict --trust-pickle``),
but every option it names must exist and take the values given.
"""

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from xraynet.cli._main import build_parser

ROOT = Path(__file__).resolve().parents[1]
SHELL = {"bash", "sh", "shell", "console", "shell-session", "text", "none", ""}
OPERATORS = {"|", "||", "&", "&&", ";", ">", ">>", "<", "2>", "2>&1", "(", ")"}


def _doc_files():
    files = [ROOT / "README.md"]
    files += sorted((ROOT / "docs").glob("*.rst"))
    files += sorted((ROOT / "docs" / "user_guide").glob("*.rst"))
    # the changelog quotes the commands of past versions as they were then
    return [f for f in files if f.is_file() and f.name != "changelog.rst"]


def _join_continued(lines):
    """Shell lines with ``\\`` continuations joined, each with its first line number."""
    out, buf, start = [], "", None
    for number, line in lines:
        if start is None:
            start = number
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        out.append((start, buf + line))
        buf, start = "", None
    if buf:
        out.append((start, buf))
    return out


def _markdown_code(text):
    """(line number, code, inline) of a Markdown file: fenced shell lines and code spans."""
    found, fence, block = [], None, []
    lines = text.splitlines()
    prose = []
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if fence is None and stripped.startswith("```"):
            fence = stripped[3:].strip().lower()
            block = []
            continue
        if fence is not None:
            if stripped.startswith("```"):
                if fence in SHELL:
                    found += [(n, c, False) for n, c in _join_continued(block)]
                fence = None
            else:
                block.append((number, line))
            continue
        prose.append((number, line))
    # code spans may wrap onto the next line of a paragraph
    joined = "\n".join(line for _, line in prose)
    numbers = [n for n, _ in prose]
    for m in re.finditer(r"(?<!`)`([^`]+)`(?!`)", joined):
        found.append((numbers[joined.count("\n", 0, m.start())], m.group(1), True))
    return found


def _rst_code(text):
    """(line number, code, inline) of a reST file: shell/literal blocks and inline literals."""
    found, lines = [], text.splitlines()
    prose, i = [], 0
    while i < len(lines):
        line = lines[i]
        directive = re.match(r"\s*\.\. code-block::\s*(\S*)", line)
        literal = line.rstrip().endswith("::") and not line.lstrip().startswith("..")
        if directive or literal:
            lang = directive.group(1).lower() if directive else ""
            indent = len(line) - len(line.lstrip())
            block, j = [], i + 1
            while j < len(lines) and (
                not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent
            ):
                if lines[j].strip() and not lines[j].lstrip().startswith(":"):
                    block.append((j + 1, lines[j]))
                j += 1
            if lang in SHELL:
                found += [(n, c, False) for n, c in _join_continued(block)]
            if literal:  # the paragraph ending in "::" is prose
                prose.append((i + 1, line))
            i = j
            continue
        prose.append((i + 1, line))
        i += 1
    joined = "\n".join(line for _, line in prose)
    numbers = [n for n, _ in prose]
    for m in re.finditer(r"``(.+?)``", joined, flags=re.S):
        found.append((numbers[joined.count("\n", 0, m.start())], m.group(1), True))
    return found


def _command_words(code):
    """The words of an ``xraynet`` command in ``code`` (after its sub-command), or None.

    A shell prompt, environment assignments and ``python -m xraynet`` are
    accepted; the command ends at a pipe, redirection or ``;``/``&&``.
    """
    code = " ".join(code.split())
    code = re.sub(r"^\$\s+", "", code)
    lexer = shlex.shlex(code, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        words = list(lexer)
    except ValueError:  # unbalanced quotes: not shell code
        return None
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        words.pop(0)
    if words[:3] in (["python", "-m", "xraynet"], ["python3", "-m", "xraynet"]):
        words = ["xraynet"] + words[3:]
    if not words or words[0] != "xraynet":
        return None
    for k, word in enumerate(words):
        if word in OPERATORS:
            return words[1:k]
    return words[1:]


def _documented_commands():
    commands = []
    for path in _doc_files():
        text = path.read_text(encoding="utf-8")
        code = _markdown_code(text) if path.suffix == ".md" else _rst_code(text)
        for number, snippet, inline in code:
            words = _command_words(snippet)
            if words is not None:
                where = f"{path.relative_to(ROOT)}:{number}"
                commands.append(
                    pytest.param(words, inline, id=f"{where}: xraynet {' '.join(words)}")
                )
    return commands


def _help_examples():
    """The ``xraynet ...`` example lines of ``xraynet --help`` and every ``COMMAND --help``."""
    parser = build_parser()
    parsers = {"xraynet --help": parser}
    parsers.update(
        (f"xraynet {name} --help", sub)
        for name, sub in parser._subparsers._group_actions[0].choices.items()
    )
    commands = []
    for where, p in parsers.items():
        for line in (p.epilog or "").splitlines():
            words = _command_words(line.strip()) if line.strip().startswith("xraynet ") else None
            if words is not None:
                commands.append(
                    pytest.param(words, False, id=f"{where}: xraynet {' '.join(words)}")
                )
    return commands


# Known drift, reported and left to the owner of the command; each entry is a
# real failure a user meets, kept visible as xfail until its fix lands.
KNOWN = {}  # command -> why it is expected not to parse (none today)


def _mark_known(params):
    out = []
    for p in params:
        reason = KNOWN.get("xraynet " + " ".join(p.values[0]))
        marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason else []
        out.append(pytest.param(*p.values, id=p.id, marks=marks))
    return out


COMMANDS = _mark_known(_documented_commands() + _help_examples())


def _parse(words):
    """None when the parser accepts ``words``, else its error message."""
    parser = build_parser()
    stderr, stdout = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
            parser.parse_args(words)
    except SystemExit as exc:
        if exc.code in (0, None):  # --help, --version
            return None
        return " ".join(stderr.getvalue().split()) or f"exit status {exc.code}"
    return None


def test_the_docs_show_commands():
    # the extraction finds the README's and the "Your own data" page's commands
    ids = [p.id for p in COMMANDS]
    assert any(i.startswith("README.md:") and " compare " in i for i in ids), ids
    assert any(i.startswith("README.md:") and " evaluate " in i for i in ids), ids
    assert any(i.startswith("docs/user_guide/your_own_data.rst:") and "--labels" in i for i in ids)
    assert sum(i.startswith("docs/user_guide/your_own_data.rst:") for i in ids) >= 4
    assert any(i.startswith("xraynet compare --help:") and "--labels" in i for i in ids)
    # and the check catches drift: an option the CLI lost, a value it refuses
    assert "--no-such-option" in _parse(["compare", "x", "--no-such-option"])
    assert "--cv" in _parse(["compare", "x", "--cv", "three"])
    assert _parse(["compare", "--labels", "t.csv", "--patient-column", "pid"]) is None


@pytest.mark.parametrize(("words", "inline"), COMMANDS)
def test_documented_command_parses(words, inline):
    error = _parse(words)
    if error and inline and "the following arguments are required" in error:
        # a mention such as ``xraynet predict --trust-pickle``: its options must exist
        sub = build_parser()._subparsers._group_actions[0].choices.get(words[0])
        assert sub is not None, f"no sub-command {words[0]!r}"
        known = set(sub._option_string_actions)
        unknown = [
            w.split("=")[0] for w in words[1:] if w.startswith("-") and w.split("=")[0] not in known
        ]
        assert not unknown, f"xraynet {' '.join(words)}: no option(s) {unknown}"
        return
    assert error is None, f"xraynet {' '.join(words)}: {error}"
