#!/usr/bin/env python3
"""The README tour, runnable as written (issue 11). Run by CTest as `readme_tour`.

    python3 readme_tour_test.py --bin DIR [--source ROOT] [--keep]
        DIR   the directory holding samband-broker and samband-agent (the build's bin/)
        ROOT  the repository (default: two folders up from this file)
        --keep  leave the temporary directory in place and print where it is
    python3 readme_tour_test.py --list [--source ROOT]
        print the commands the tour holds, as extracted, and exit
    python3 readme_tour_test.py --self-test
        the extractor, substitutions and output checks on made-up input (CTest: readme_tour_self_test)

What it reads. Every fenced code block between "## A tour, task by task" and the next "## "
heading of README.md whose info string is empty or sh/shell/bash/console. Each line is a
command; a line ending in `\\` continues on the next; `# comment` outside quotes is dropped
(a line that is only a comment is skipped). A bracketed part that starts with a dash, such as
`[--json]` or `[--format json]`, is optional: the command runs without it, then once more with it
(foreground commands only). Nothing else in the list of commands is written down here: add a
step to the README and this test runs it.

How it runs them. In order, each through `bash -c` in a fresh temporary directory (the current
directory; `D` and `A` are therefore temporary directories), with DIR first on PATH, stdin
empty, and a time limit per command. The temporary directory holds a copy of the repository's
`config/` folder, as a checkout would, so `config/units.csv` is found. Long-running commands
(first verb `serve` or `run`) start in the background, must still be running at the end, and
are stopped with SIGTERM then, the last started first, and must exit 0 (they are stopped too when
the test fails, and die with it if it is killed).

The only changes made to what the README says (substitutions), applied to each word:
  1. `/media/usb` becomes a temporary directory (created first).
  2. After a command `... init --dir X`, every uncommented `listen = "...:PORT"` in X/*.toml
     is given a free port on 127.0.0.1 (never 7700 or 8080); nothing else in the file changes.
     An address `HOST.example:PORT`, `127.0.0.1:PORT` or `localhost:PORT` in a later command
     becomes `127.0.0.1:NEW`, the free port that replaced PORT (`tcp://broker.example:7700`
     becomes the broker's real endpoint).
  3. Placeholders are taken from the JSON printed by earlier commands (the tour's own and the
     waits' below), newest first: OLD_KEY_ID = `old_key_id` (the agent's key rotation),
     CHECK_ID = `check_id` (the readiness report), DIRECTIVE_ID = `id` of an object that has
     `require_ack` (the directive status). Any other WORD_ID fails the test: add a rule here.
  4. Durations that would slow the test are shortened: `--deadline X` becomes `--deadline 20s`.
  5. `user add` gets a password on stdin (it reads one from stdin or a prompt).

What must hold. Every command exits 0, unless its README comment says `exit N` (then N is
accepted too); its output holds no failure: a line starting with `samband-broker: ` or
`samband-agent: ` (how the programs report an error), `error:`, `NOT OK`, `FAILED`,
a crash or sanitizer message, or a JSON `"ok": false` / `"intact": false`.

Waits, as a person following the README would (each bounded, polling the agent's
`status --json`, the broker's `directive status --json`):
  - after `samband-broker enroll`: every running agent is connected;
  - after `samband-agent report|confirm|ack|rotate-key` with the agent running: its outbox is
    empty (delivered and acknowledged); after `rotate-key` also the rotation is `done`;
  - after `samband-broker directive send`: the directive reached every recipient.

Also checked, before the tour: the repository paths the tour names exist (links, `config/...`),
every "section N" a document cites exists in the document it names, and both programs answer
`--version`. Python standard library only.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOUR_START = "## A tour, task by task"
SHELL_INFO = {"", "sh", "shell", "bash", "console"}
BACKGROUND_VERBS = {"serve", "run"}
PROGRAMS = ("samband-broker", "samband-agent")
COMMAND_TIMEOUT_S = 30
WAIT_TIMEOUT_S = 20
FORBIDDEN_PORTS = {7700, 8080}
PASSWORD = "tour-password-0123456789"
SHORTEN = {"--deadline": "20s"}

FAILURE_PATTERNS = [
    (re.compile(r"(?m)^samband-(broker|agent|sim): "), "an error reported by the program"),
    (re.compile(r"(?i)\berror:"), "error:"),
    (re.compile(r"(?m)^\s*(error|fatal)\b", re.I), "a line starting with error/fatal"),
    (re.compile(r"\bNOT OK\b"), "NOT OK"),
    (re.compile(r"\bFAILED\b"), "FAILED"),
    (re.compile(r"(?i)terminate called|segmentation fault|core dumped|assertion .* failed|"
                r"AddressSanitizer|runtime error:"), "a crash"),
]


class TourFailure(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Extraction

class Command:
    """One command of the tour: its text as written (continuations joined, comment dropped),
    the variant with the optional parts, and the exit codes the README allows."""

    def __init__(self, text, variant, comment, line):
        self.text = text
        self.variant = variant  # None when there is no optional part
        self.comment = comment
        self.line = line
        self.allowed_exits = {0} | {int(n) for n in re.findall(r"\bexits?\s+(\d+)\b", comment)}

    def __repr__(self):
        return f"README.md:{self.line}: {self.text}"


def split_comment(line):
    """Returns (code, comment): `#` starts a comment outside quotes at a word start."""
    quote, i = None, 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and quote != "'":
            i += 2  # an escaped character is never a quote or a comment
            continue
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1:].strip()
        i += 1
    return line.rstrip(), ""


def optional_parts(text):
    """Returns (without, with): bracketed parts starting with a dash, outside quotes, left out
    or kept without their brackets. `with` is None when there is none."""
    out_without, out_with, quote, i, found = [], [], None, 0, False
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "[" and text[i + 1:i + 2] == "-" and (i == 0 or text[i - 1].isspace()):
            end = text.find("]", i)
            if end < 0:
                raise TourFailure(f"unclosed optional part in: {text}")
            found = True
            out_with.append(text[i + 1:end])
            i = end + 1
            continue
        out_without.append(ch)
        out_with.append(ch)
        i += 1
    squash = lambda s: re.sub(r"[ \t]+", " ", "".join(s)).strip()
    return squash(out_without), (squash(out_with) if found else None)


def extract_tour(readme_text):
    lines = readme_text.splitlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.strip() == TOUR_START)
    except StopIteration:
        raise TourFailure(f"README.md has no heading '{TOUR_START}'")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    commands, i = [], start + 1
    while i < end:
        fence = re.match(r"^```\s*(\S*)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        info, i = fence.group(1).lower(), i + 1
        block_start = i
        while i < end and not lines[i].startswith("```"):
            i += 1
        if i >= end:
            raise TourFailure(f"README.md:{block_start}: code block not closed inside the tour")
        if info in SHELL_INFO:
            commands.extend(block_commands(lines[block_start:i], block_start + 1))
        i += 1
    return commands


def block_commands(block, first_line):
    commands, pending, comments, pending_line = [], "", [], None
    for offset, raw in enumerate(block):
        code, comment = split_comment(raw)
        if comment:
            comments.append(comment)
        if not code.strip():
            if pending:
                raise TourFailure(f"README.md:{first_line + offset}: a `\\` continues onto an empty line")
            continue
        if pending_line is None:
            pending_line = first_line + offset
        if code.endswith("\\"):
            pending += code[:-1].strip() + " "
            continue
        text = (pending + code.strip()).strip()
        without, variant = optional_parts(text)
        commands.append(Command(without, variant, " ".join(comments), pending_line))
        pending, comments, pending_line = "", [], None
    if pending:
        raise TourFailure(f"README.md:{first_line + len(block)}: the block ends inside a `\\` continuation")
    return commands


# ---------------------------------------------------------------------------------------------
# Words, substitutions and placeholders

def words(text):
    """Shell words, with operators (> < | ; &) as words of their own."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|<>")
    lexer.whitespace_split = True
    lexer.commenters = ""
    return list(lexer)


def is_operator(word):
    return word != "" and all(c in ";&|<>" for c in word)


def verbs(argv):
    """The words after the program up to the first option: ('readiness', 'run')."""
    out = []
    for w in argv[1:]:
        if w.startswith("-") or is_operator(w):
            break
        out.append(w)
    return tuple(out)


def option(argv, name):
    for i, w in enumerate(argv):
        if w == name and i + 1 < len(argv):
            return argv[i + 1]
        if w.startswith(name + "="):
            return w[len(name) + 1:]
    return None


def free_port():
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in FORBIDDEN_PORTS:
            return port


def find_in_json(value, pick):
    """Depth-first search of a JSON value; `pick(obj)` returns a value or None for each dict."""
    if isinstance(value, dict):
        got = pick(value)
        if got is not None:
            return got
        children = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return None
    for child in children:
        got = find_in_json(child, pick)
        if got is not None:
            return got
    return None


PLACEHOLDERS = {
    "OLD_KEY_ID": lambda o: o.get("old_key_id") if isinstance(o.get("old_key_id"), str) else None,
    "CHECK_ID": lambda o: o.get("check_id") if isinstance(o.get("check_id"), str) else None,
    "DIRECTIVE_ID": lambda o: o.get("id") if "require_ack" in o and isinstance(o.get("id"), str) else None,
}


class Tour:
    def __init__(self, bin_dir, work):
        self.work = work
        self.usb = os.path.join(work, "media-usb")
        self.ports = {}  # port written in a config -> the free port that replaced it
        self.json_outputs = []  # every JSON value printed so far, oldest first
        self.background = []  # (Command, argv, Popen, log path)
        self.env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
        self.log = []

    # -- substitutions --------------------------------------------------------------------
    def substitute(self, argv):
        out, i = [], 0
        while i < len(argv):
            w = argv[i]
            if is_operator(w):
                out.append(w)
                i += 1
                continue
            if w in SHORTEN and i + 1 < len(argv):
                out += [w, SHORTEN[w]]
                i += 2
                continue
            w = w.replace("/media/usb", self.usb)
            w = re.sub(r"\b([a-z0-9-]+\.example|127\.0\.0\.1|localhost):(\d+)\b", self.address, w)
            for name, pick in PLACEHOLDERS.items():
                if name in w:
                    w = w.replace(name, self.placeholder(name, pick))
            unknown = re.search(r"\b[A-Z][A-Z0-9]*(_[A-Z0-9]+)*_ID\b", w)
            if unknown:
                raise TourFailure(f"unknown placeholder {unknown.group(0)}: add a rule to PLACEHOLDERS")
            out.append(w)
            i += 1
        return out

    def address(self, m):
        host, port = m.group(1), int(m.group(2))
        if port in self.ports:
            return f"127.0.0.1:{self.ports[port]}"
        if host.endswith(".example"):
            raise TourFailure(f"{m.group(0)}: no `listen` with port {port} was written by an init before")
        return m.group(0)

    def placeholder(self, name, pick):
        for value in reversed(self.json_outputs):
            got = find_in_json(value, pick)
            if got is not None:
                return got
        raise TourFailure(f"{name}: no earlier command printed it as JSON")

    def rewrite_listen_ports(self, directory):
        for name in sorted(os.listdir(directory)):
            if not name.endswith(".toml"):
                continue
            path = os.path.join(directory, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()

            def repl(m):
                old = int(m.group(2))
                self.ports.setdefault(old, free_port())
                return f"{m.group(1)}{self.ports[old]}{m.group(3)}"

            new = re.sub(r'(?m)^(\s*listen\s*=\s*"[^"#\n]*:)(\d+)(")', repl, text)
            if new != text:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(new)
                self.log.append(f"  (rewrote listen ports in {path}: {self.ports})")

    # -- running --------------------------------------------------------------------------
    def shell_line(self, argv):
        return " ".join(w if is_operator(w) else shlex.quote(w) for w in argv)

    def run(self, command):
        for n, text in enumerate([command.text] + ([command.variant] if command.variant else [])):
            argv = words(text)
            if not shutil.which(argv[0], path=self.env["PATH"]):
                raise TourFailure(f"{command!r}: `{argv[0]}` is not a program on PATH")
            real = self.substitute(argv)
            if verbs(argv)[:1] and verbs(argv)[0] in BACKGROUND_VERBS:
                if n > 0:
                    continue  # never start a second daemon
                self.start_background(command, argv, real)
                continue
            self.run_foreground(command, text, argv, real)
            self.after(argv)

    def run_foreground(self, command, text, argv, real):
        stdin = f"{PASSWORD}\n{PASSWORD}\n" if verbs(argv)[:2] == ("user", "add") else ""
        line = self.shell_line(real)
        started = time.monotonic()
        try:
            p = subprocess.run(["bash", "-c", line], cwd=self.work, env=self.env, input=stdin,
                               capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise TourFailure(f"{command!r}\n  ran as: {line}\n  did not finish within {COMMAND_TIMEOUT_S} s")
        took = time.monotonic() - started
        self.log.append(f"$ {text}\n  ran as: {line}\n  exit {p.returncode} in {took:.1f} s")
        problem = None
        if p.returncode not in command.allowed_exits:
            problem = f"exit status {p.returncode} (the README allows {sorted(command.allowed_exits)})"
        else:
            problem = output_problem(p.stdout, p.stderr)
        if problem:
            raise TourFailure(f"{command!r}\n  ran as: {line}\n  {problem}\n"
                              f"--- stdout\n{p.stdout}--- stderr\n{p.stderr}---")
        self.remember_json(p.stdout)
        # A redirected output is read from the file it went to (`> receipt.json`).
        for i, w in enumerate(real[:-1]):
            if w == ">":
                path = os.path.join(self.work, real[i + 1])
                with open(path, encoding="utf-8") as f:
                    self.remember_json(f.read())
        # `init --dir X` made X: give its listeners free ports before anything serves them.
        if verbs(argv)[:1] == ("init",) and option(real, "--dir"):
            self.rewrite_listen_ports(os.path.join(self.work, option(real, "--dir")))

    def remember_json(self, text):
        try:
            value = json.loads(text)
        except ValueError:
            return
        bad = find_in_json(value, lambda o: next((k for k in ("ok", "intact") if o.get(k) is False), None))
        if bad:
            raise TourFailure(f'JSON output has "{bad}": false:\n{text}')
        self.json_outputs.append(value)

    def start_background(self, command, argv, real):
        log_path = os.path.join(self.work, f"background-{len(self.background)}.log")
        line = self.shell_line(real)
        log = open(log_path, "w")
        p = subprocess.Popen(["bash", "-c", "exec " + line], cwd=self.work, env=self.env,
                             stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True, preexec_fn=die_with_parent)
        log.close()
        self.background.append((command, argv, p, log_path))
        self.log.append(f"$ {command.text}   (background, pid {p.pid})\n  ran as: {line}")
        # Ready when every port its config listens on accepts connections (a daemon with no
        # listener of its own: still running after a moment).
        ports = self.listen_ports(option(real, "--config"))
        deadline = time.monotonic() + WAIT_TIMEOUT_S
        while True:
            if p.poll() is not None:
                raise TourFailure(f"{command!r}: exited at once with status {p.returncode}\n"
                                  + read_tail(log_path))
            if ports and all(accepts(port) for port in ports):
                return
            if not ports and time.monotonic() > deadline - WAIT_TIMEOUT_S + 0.5:
                return
            if time.monotonic() > deadline:
                raise TourFailure(f"{command!r}: ports {ports} not listening after {WAIT_TIMEOUT_S} s\n"
                                  + read_tail(log_path))
            time.sleep(0.05)

    def listen_ports(self, config):
        if not config:
            return []
        try:
            with open(os.path.join(self.work, config), encoding="utf-8") as f:
                text = f.read()
        except OSError:
            return []
        return [int(p) for p in re.findall(r'(?m)^\s*listen\s*=\s*"[^"#\n]*:(\d+)"', text)]

    def stop_background(self):
        """Stops the daemons, the last started first (agents before their broker)."""
        problems = []
        for command, _argv, p, log_path in reversed(self.background):
            if p.poll() is not None:
                problems.append(f"{command!r}: stopped by itself during the tour with status "
                                f"{p.returncode}\n" + read_tail(log_path))
                continue
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                problems.append(f"{command!r}: did not stop within 10 s of SIGTERM")
                continue
            if p.returncode != 0:
                problems.append(f"{command!r}: exited with status {p.returncode} on SIGTERM\n"
                                + read_tail(log_path))
            with open(log_path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            crash = FAILURE_PATTERNS[-1][0].search(text)
            if crash:
                problems.append(f"{command!r}: its log shows a crash\n" + read_tail(log_path))
        self.background = []
        return problems

    # -- waits ----------------------------------------------------------------------------
    def running_agents(self):
        return [option(argv, "--config") for _c, argv, p, _l in self.background
                if argv[0] == "samband-agent" and p.poll() is None]

    def poll_json(self, argv):
        p = subprocess.run(argv, cwd=self.work, env=self.env, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=COMMAND_TIMEOUT_S)
        if p.returncode != 0:
            return None
        try:
            value = json.loads(p.stdout)
        except ValueError:
            return None
        self.json_outputs.append(value)
        return value

    def wait_until(self, what, check):
        deadline = time.monotonic() + WAIT_TIMEOUT_S
        last = None
        while time.monotonic() < deadline:
            ok, last = check()
            if ok:
                return
            time.sleep(0.1)
        raise TourFailure(f"waited {WAIT_TIMEOUT_S} s for {what}; last seen: {json.dumps(last)[:2000]}")

    def wait_agents(self, what, predicate):
        for config in self.running_agents():
            argv = ["samband-agent", "status", "--config", config, "--json"]

            def check():
                status = self.poll_json(argv)
                return status is not None and predicate(status), status

            self.wait_until(f"{what} ({config})", check)

    def after(self, argv):
        program, v = argv[0], verbs(argv)
        if program == "samband-broker" and v[:1] == ("enroll",):
            self.wait_agents("the agent to connect", lambda s: s.get("connected") is True)
        if program == "samband-agent" and v[:1] in {("report",), ("confirm",), ("ack",), ("rotate-key",)}:
            self.wait_agents("the outbox to be delivered",
                             lambda s: s.get("connected") is True and s.get("outbox_pending") == 0)
        if program == "samband-agent" and v[:1] == ("rotate-key",):
            self.wait_agents("the key rotation to be done",
                             lambda s: (s.get("key_rotation") or {}).get("state") == "done")
        if program == "samband-broker" and v[:2] == ("directive", "send"):
            config = option(argv, "--config")

            def delivered():
                directives = self.poll_json(["samband-broker", "directive", "status", "--config",
                                             config, "--json"])
                if not isinstance(directives, list) or not directives:
                    return False, directives
                newest = max(directives, key=lambda d: d.get("number", 0))
                return (not newest.get("missing") and
                        len(newest.get("delivered_to", [])) == newest.get("recipients")), newest

            self.wait_until("the directive to reach every recipient", delivered)


def output_problem(stdout, stderr):
    for pattern, what in FAILURE_PATTERNS:
        for name, text in (("stdout", stdout), ("stderr", stderr)):
            m = pattern.search(text)
            if m:
                line = text[text.rfind("\n", 0, m.start()) + 1:].split("\n", 1)[0]
                return f"{name} shows {what}: {line!r}"
    return None


def die_with_parent():
    """In the child before exec: SIGTERM when this test dies (e.g. killed by CTest's timeout),
    so no daemon outlives it. Linux only; elsewhere the `finally` in main() has to do."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Stopped(Exception):
    pass


def raise_stopped(signum, _frame):
    raise Stopped(f"stopped by signal {signum}")


def accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def read_tail(path, lines=30):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read().splitlines()
    except OSError:
        return ""
    return f"--- last lines of {os.path.basename(path)}\n" + "\n".join(text[-lines:]) + "\n---"


# ---------------------------------------------------------------------------------------------
# Static checks: what the tour names exists, the docs' section references, --version

def check_repository(source, readme_text, bin_dir):
    problems = []
    start = readme_text.find(TOUR_START)
    end = readme_text.find("\n## ", start + 1)
    tour = readme_text[start:end if end > 0 else None]
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", tour):
        if not os.path.exists(os.path.join(source, target)):
            problems.append(f"README.md links {target}, which does not exist")
    for path in sorted(set(re.findall(r"(?<![\w/.-])(config/[\w./-]+)", tour))):
        if not os.path.exists(os.path.join(source, path)):
            problems.append(f"the tour uses {path}, which the repository does not ship")
    docs = ["README.md"] + sorted("docs/" + n for n in os.listdir(os.path.join(source, "docs"))
                                  if n.endswith(".md"))
    problems += check_section_references(source, docs)
    for program in PROGRAMS:
        p = subprocess.run([os.path.join(bin_dir, program), "--version"], capture_output=True,
                           text=True, timeout=10)
        if p.returncode != 0 or not p.stdout.startswith(program + " "):
            problems.append(f"{program} --version: exit {p.returncode}, {p.stdout!r} {p.stderr!r}")
    return problems


def headings(path):
    with open(path, encoding="utf-8") as f:
        return [l.lstrip("#").strip() for l in f.read().splitlines() if l.startswith("#")]


def check_section_references(source, docs):
    """`section N` (a heading "N. ...") or `section "Title"` (a heading with that title), in the
    document named just before it (`docs/agent.md, section 9`) or else in the document itself."""
    problems = []
    for doc in docs:
        with open(os.path.join(source, doc), encoding="utf-8") as f:
            text = f.read()
        for m in re.finditer(r'\bsection (\d+|"[^"]+")', text):
            number = text.count("\n", 0, m.start()) + 1
            # A document named right before it, possibly on the line before ("docs/agent.md,\n
            # section 9"), is the one cited.
            before = text[max(0, m.start() - 200):m.start()]
            named = [n.group(1) for n in re.finditer(r"([\w/.-]+\.md)\b", before)
                     if len(before) - n.end() <= 12]
            target = named[-1] if named else doc
            if not target.startswith("docs/") and target != "README.md":
                target = os.path.normpath(os.path.join(os.path.dirname(doc), target))
            path = os.path.join(source, target)
            if not os.path.exists(path):
                problems.append(f"{doc}:{number}: cites {target}, which does not exist")
                continue
            ref = m.group(1)
            found = headings(path)
            if ref.startswith('"'):
                ok = ref.strip('"') in found
            else:
                ok = any(h.startswith(ref + ".") or h.startswith(ref + " ") for h in found)
            if not ok:
                problems.append(f"{doc}:{number}: cites {target} section {ref}, which it does not have")
    return problems


# ---------------------------------------------------------------------------------------------
# Self-test: the extractor and the checks on made-up input, no processes

SELF_TEST_README = """# X
```
make demo   # outside the tour
```
## A tour, task by task
```
prog init --dir D            # a comment
prog report --note "a # b" \\
            --unit 1 [--json]  # exit 3 when someone is missing
# only a comment
prog status --config D/x.toml [--format json] --x '[--no]'
```
```toml
listen = "not a command"
```
## More
```
prog never
```
"""


def self_test():
    failures = []

    def expect(what, got, want):
        if got != want:
            failures.append(f"{what}: got {got!r}, want {want!r}")

    cmds = extract_tour(SELF_TEST_README)
    expect("commands", [c.text for c in cmds],
           ["prog init --dir D", 'prog report --note "a # b" --unit 1',
            "prog status --config D/x.toml --x '[--no]'"])
    expect("variants", [c.variant for c in cmds],
           [None, 'prog report --note "a # b" --unit 1 --json',
            "prog status --config D/x.toml --format json --x '[--no]'"])
    expect("allowed exits", [sorted(c.allowed_exits) for c in cmds], [[0], [0, 3], [0]])
    expect("first line", [c.line for c in cmds], [7, 8, 11])
    for bad in ["## A tour, task by task\n```\nprog \\\n```\n",
                "## A tour, task by task\n```\nprog\n## More\n"]:
        try:
            extract_tour(bad)
            failures.append(f"no error for {bad!r}")
        except TourFailure:
            pass
    expect("words", words('a "b c" > f.json'), ["a", "b c", ">", "f.json"])
    expect("verbs", verbs(["samband-broker", "readiness", "run", "--wait"]), ("readiness", "run"))

    tour = Tour("/nonexistent", "/tmp/w")
    tour.ports = {7700: 40001}
    tour.json_outputs = [{"key_rotation": {"old_key_id": "k1"}}, [{"id": "D-1", "require_ack": True}],
                         {"check_id": "rc-1", "providers": [{"id": "p"}]}]
    expect("substitute", tour.substitute(
        ["x", "--broker", "tcp://broker.example:7700", "--out", "/media/usb/a", "--key", "OLD_KEY_ID",
         "CHECK_ID", "DIRECTIVE_ID", "--deadline", "10m", "--horizon", "72h", "127.0.0.1:9999"]),
        ["x", "--broker", "tcp://127.0.0.1:40001", "--out", "/tmp/w/media-usb/a", "--key", "k1",
         "rc-1", "D-1", "--deadline", "20s", "--horizon", "72h", "127.0.0.1:9999"])
    for bad in [["OTHER_ID"], ["tcp://broker.example:7701"]]:
        try:
            tour.substitute(bad)
            failures.append(f"no error for {bad!r}")
        except TourFailure:
            pass

    expect("clean output", output_problem("Refused:  unknown_sender 4\nCannot be placed:\n", ""), None)
    for out, err in [("", "samband-agent: cannot read x\n"), ("error: x\n", ""), ("NOT OK\n", ""),
                     ("  556677-8899  FAILED: status_age\n", ""), ("", "terminate called after\n")]:
        if output_problem(out, err) is None:
            failures.append(f"no problem found in {out!r} {err!r}")
    try:
        tour.remember_json('{"ok": false}')
        failures.append('no error for {"ok": false}')
    except TourFailure:
        pass

    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "docs"))
        with open(os.path.join(root, "docs", "a.md"), "w") as f:
            f.write("# A\n## 1. One\n## Two words\nsee section 1 and section \"Two words\"\n")
        with open(os.path.join(root, "README.md"), "w") as f:
            f.write("see [docs/a.md](docs/a.md) on other things entirely.\n"
                    "As in section 2; and docs/a.md, section 3\n")
        expect("section references", check_section_references(root, ["README.md", "docs/a.md"]),
               ["README.md:2: cites README.md section 2, which it does not have",
                "README.md:2: cites docs/a.md section 3, which it does not have"])

    if failures:
        print("FAIL (self-test):\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print("OK: the extractor and the checks behave on made-up input")
    return 0


# ---------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", help="directory of samband-broker and samband-agent")
    parser.add_argument("--source", default=os.path.normpath(os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "..", "..")))
    parser.add_argument("--list", action="store_true", help="print the extracted commands")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--self-test", action="store_true", help="test the extractor and checks")
    args = parser.parse_args()
    if args.self_test:
        return self_test()

    with open(os.path.join(args.source, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    commands = extract_tour(readme)
    if args.list:
        for c in commands:
            print(f"{c.line}: {c.text}" + (f"\n    and: {c.variant}" if c.variant else "")
                  + (f"\n    exits allowed: {sorted(c.allowed_exits)}" if len(c.allowed_exits) > 1 else ""))
        return 0
    if not args.bin:
        parser.error("--bin is required")
    bin_dir = os.path.abspath(args.bin)
    if len(commands) < 5:
        print(f"FAIL: only {len(commands)} commands found in the README tour", file=sys.stderr)
        return 1

    problems = check_repository(args.source, readme, bin_dir)
    if problems:
        print("FAIL:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1

    work = tempfile.mkdtemp(prefix="samband-tour-")
    tour = Tour(bin_dir, work)
    os.makedirs(tour.usb)
    shutil.copytree(os.path.join(args.source, "config"), os.path.join(work, "config"))
    started = time.monotonic()
    failure = None
    signal.signal(signal.SIGTERM, raise_stopped)  # the `finally` below stops the daemons
    try:
        for command in commands:
            tour.run(command)
    except (TourFailure, Stopped, KeyboardInterrupt) as e:
        failure = str(e) or type(e).__name__
    except Exception as e:  # a bug in this test: still stop the daemons
        failure = f"{type(e).__name__}: {e}"
    finally:
        logs = [log_path for _c, _a, _p, log_path in tour.background]
        stop_problems = tour.stop_background()
    if failure is None and stop_problems:
        failure = "\n".join(stop_problems)
    if failure:
        failure += "".join("\n" + read_tail(path) for path in logs)
    print("\n".join(tour.log))
    took = time.monotonic() - started
    if args.keep or failure:
        print(f"(the tour's directory is kept: {work})")
    else:
        shutil.rmtree(work, ignore_errors=True)
    if failure:
        print(f"FAIL after {took:.1f} s:\n{failure}", file=sys.stderr)
        return 1
    print(f"OK: {len(commands)} commands of the README tour ran as written in {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
