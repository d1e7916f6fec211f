#!/usr/bin/env python3
"""The dependency rule, checked on every #include (issue 9; CONVENTIONS.md "Layout shows the
architecture"). Run by CTest as `dependency_rule`; docs/architecture.md mirrors the tables below.

    python3 dependency_rule_test.py [ROOT]   check the tree at ROOT (default: the repository)
    python3 dependency_rule_test.py --self-test
                                             prove the checker fails on a fake tree with a
                                             forbidden include and SQL in the wrong place

Three rules, each violation printed as `file:line: message`, exit status 1 if any:
  1. Every `#include "x/y.h"` runs along an arrow of ALLOWED (schemas <- common <- {broker/*,
     agent <- tools}; inside the broker the subsystem order). Tests under tests/X may use X, what
     X may use, and tests/support.
  2. Third-party headers that pin a tier (SQLite, ZeroMQ, HTTP, LEMON, CBC) appear only where
     EXTERNAL allows them; e.g. planning stays pure.
  3. The broker's SQL lives in broker/store/: outside it, no string literal starting with a SQL
     verb, no SQLite::Statement / SQLite::Transaction / .exec( / execAndGet, no SQLite header.
Python standard library only.
"""

import os
import re
import sys
import tempfile

# Files under broker/ allowed to hold SQL outside broker/store/. Empty since issue 9: every
# statement lives in the store. (Kept as a list so a future move can be landed in steps.)
NOT_YET_MOVED = []

# Tests that reach past their module's arrows on purpose: they build their fixture through the
# real ingest path (the audit checks an archive that ingest wrote; the view reads a picture that
# ingest projected). Each entry: (test file, module it may use beyond the rule). The lead decides
# whether these move to tests/integration or get a store-level fixture.
TEST_EXCEPTIONS = [
    ("tests/broker/audit/audit_test.cpp", "broker/ingest"),
    ("tests/broker/audit/audit_test.cpp", "broker/metrics"),
    ("tests/broker/picture/view_test.cpp", "broker/ingest"),
    ("tests/broker/picture/view_test.cpp", "broker/metrics"),
    # The audit test fills its archive with the ingest tests' sender chain, not a copy of it.
    ("tests/broker/audit/audit_test.cpp", "tests/broker/ingest"),
    # Batch envelopes (issue 16): batches stored through the real gate and committer, then audited.
    ("tests/broker/audit/stored_batch_test.cpp", "broker/ingest"),
    ("tests/broker/audit/stored_batch_test.cpp", "broker/metrics"),
    ("tests/broker/audit/stored_batch_test.cpp", "tests/broker/ingest"),
    # Their shared archive: the batch tests' fixture stores through the real gate and committer.
    ("tests/broker/audit/batched_archive_fixture.h", "broker/ingest"),
    ("tests/broker/audit/batched_archive_fixture.h", "broker/metrics"),
    ("tests/broker/audit/batched_archive_fixture.h", "tests/broker/ingest"),
    # A batched report's body stored once (migration 17): batches stored through the real gate
    # and committer; the audit, every store reader and the inquiry export compared with an
    # archive written the old way.
    ("tests/broker/audit/batch_body_once_test.cpp", "broker/ingest"),
    ("tests/broker/audit/batch_body_once_test.cpp", "broker/metrics"),
    ("tests/broker/audit/batch_body_once_test.cpp", "broker/inquiry"),
    ("tests/broker/audit/batch_body_once_test.cpp", "tests/broker/ingest"),
    # The parallel audit's test writes its archive with the picture tests' ArchiveBuilder
    # (header-only; it uses only broker/city and broker/store), not a copy of it.
    ("tests/broker/audit/parallel_audit_test.cpp", "tests/broker/picture"),
    ("tests/broker/audit/checkpoint_signature_test.cpp", "tests/broker/picture"),
    # Two real broker processes (issue 15): the process harness's setTomlKey and its helpers.
    ("tests/broker/replication/replication_process_test.cpp", "tests/integration"),
    # Pictures that roll up (issue 15): three real broker processes, the same harness.
    ("tests/broker/replication/rollup_process_test.cpp", "tests/integration"),
]

# Who may include whom: module -> the modules it may use (besides itself). A module is a
# top-level folder, or broker/<subsystem>; files directly in broker/ (main.cpp) are "broker".
# This table is the rule; change it here when the design changes.
ALLOWED = {
    "schemas": [],
    "common": ["schemas"],
    # What every web server shares (passwords, tokens, throttle rules, HTTP gate, headers): the
    # board and the agent's reporting page use it; it keeps no database and knows neither.
    "web": ["schemas", "common"],
    "agent": ["schemas", "common", "web"],
    "tools": ["schemas", "common", "agent"],
    # One fuzz target per decoder of untrusted input: the roster CSV lives in planning, the
    # board's JSON body parser in board (the target compiles that one file, not the server).
    # The agent's JSON report parser (report_json) is one of them.
    "fuzz": ["schemas", "common", "agent", "broker/planning", "broker/board"],
    # Leaves inside the broker.
    "broker/store": ["schemas", "common"],
    "broker/metrics": ["schemas", "common"],
    "broker/planning": ["schemas", "common"],
    "broker/city": ["schemas", "common", "broker/store"],
    "broker/accounts": ["schemas", "common", "broker/store", "web"],
    # The picture at a past moment replays readiness answers and directive acknowledgements
    # through the city's own calls (issue 13).
    "broker/picture": ["schemas", "common", "broker/store", "broker/city", "broker/planning"],
    "broker/ingest": ["schemas", "common", "broker/store", "broker/city", "broker/metrics"],
    # A standby broker (issue 15): admits pulled frames through the ingest gate and committer.
    "broker/replication": ["schemas", "common", "broker/store", "broker/city", "broker/metrics",
                           "broker/ingest"],
    "broker/audit": ["schemas", "common", "broker/store", "broker/city"],
    # The export an inquiry checks without the broker (issue 13): reads the archive and renders
    # the past pictures.
    "broker/inquiry": ["schemas", "common", "broker/store", "broker/city", "broker/picture",
                       "broker/planning"],
    "broker/board": ["schemas", "common", "broker/store", "broker/picture", "broker/city",
                     "broker/planning", "broker/accounts", "broker/metrics", "web"],
    "broker/cli": ["schemas", "common", "web", "broker/store", "broker/metrics",
                   "broker/planning", "broker/city", "broker/accounts", "broker/picture",
                   "broker/ingest", "broker/replication", "broker/audit", "broker/inquiry",
                   "broker/board"],
    # broker/main.cpp wires everything.
    "broker": ["schemas", "common", "web", "broker/store", "broker/metrics", "broker/planning",
               "broker/city", "broker/accounts", "broker/picture", "broker/ingest",
               "broker/replication", "broker/audit", "broker/inquiry", "broker/board",
               "broker/cli"],
}
# Modules that may include anything in the repository.
ANYTHING = {"bench", "tests/integration"}

# Third-party headers that belong to one tier: header prefix -> modules allowed to include it.
# The broker's modules and web/ are held to this table; the other modules outside broker/
# (agent, tools, tests, bench) are not restricted by it (the agent owns its SQLite file and its
# ZeroMQ socket, and serves its reporting page with cpp-httplib).
EXTERNAL_CHECKED = ("broker", "web")
EXTERNAL = {
    "SQLiteCpp/": ["broker/store"],
    "sqlite3.h": ["broker/store"],
    "lemon/": ["broker/planning"],
    "coin/": ["broker/planning"],
    "httplib.h": ["web", "agent", "broker/board", "broker/cli", "broker"],
    "zmq.hpp": ["broker/ingest", "broker/replication", "broker/cli", "broker"],
    "zmq_addon.hpp": ["broker/ingest", "broker/replication", "broker/cli", "broker"],
    "zmq.h": ["broker/ingest", "broker/replication", "broker/cli", "broker"],
}

SOURCE_SUFFIXES = (".h", ".hpp", ".cpp", ".cc", ".c")
SKIP_DIRS = {".git", "build", "node_modules"}
SQL_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "PRAGMA", "BEGIN", "WITH",
             "REPLACE")
SQL_LITERAL = re.compile(r"\s*(%s)\b" % "|".join(SQL_VERBS))
SQL_CALLS = re.compile(r"SQLite::Statement|SQLite::Transaction|\.exec\s*\(|->exec\s*\(|"
                       r"\bexecAndGet\b")
INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^">]+)[">]', re.M)


def module_of(path):
    """The module a repository-relative path belongs to, or None outside the rule."""
    parts = path.split("/")
    if parts[0] == "tests":
        if len(parts) >= 3 and parts[1] == "broker" and len(parts) >= 4:
            return "tests/broker/" + parts[2]
        if len(parts) >= 3:
            return "tests/" + parts[1]
        return "tests"
    if parts[0] == "broker":
        return "broker/" + parts[1] if len(parts) >= 3 else "broker"
    if len(parts) >= 2:
        return parts[0]
    return None


def source_module(test_module):
    """tests/broker/ingest -> broker/ingest; tests/agent -> agent."""
    return test_module[len("tests/"):]


def may_use(user, used):
    """Whether module `user` may include a file of module `used`; returns (ok, allowed list)."""
    if user == used or user in ANYTHING or used is None:
        return True, []
    if user.startswith("tests/"):
        if used == "tests/support":
            return True, []
        src = source_module(user)
        if used.startswith("tests/"):
            # A test folder may use the test helpers of the modules its module may use.
            used = source_module(used)
        if src not in ALLOWED:
            return True, []  # a test folder with no source counterpart (tests/support itself)
        allowed = ALLOWED[src]
        return used == src or used in allowed, [src] + allowed
    if user not in ALLOWED:
        return True, []
    return used in ALLOWED[user], ALLOWED[user]


def short(module):
    return module.split("/")[-1]


def lex(text):
    """Splits C++ text into (code with comments and literals blanked, [(line, literal)])."""
    code = []
    literals = []
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            code.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            chunk = text[i:j]
            code.append(re.sub(r"[^\n]", " ", chunk))
            line += chunk.count("\n")
            i = j
        elif c == 'R' and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum()
                                                                      or text[i - 1] == "_")):
            open_paren = text.find("(", i + 2)
            delim = text[i + 2:open_paren]
            end = text.find(")" + delim + '"', open_paren)
            end = n if end < 0 else end
            literals.append((line, text[open_paren + 1:end]))
            chunk = text[i:end + len(delim) + 2]
            code.append('""' + "\n" * chunk.count("\n"))
            line += chunk.count("\n")
            i = end + len(delim) + 2
        elif c == '"' or (c == "'" and not (i > 0 and text[i - 1].isalnum())):
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            if c == '"':
                literals.append((line, text[i + 1:j]))
            code.append('""')
            i = j + 1
        else:
            if c == "\n":
                line += 1
            code.append(c)
            i += 1
    return "".join(code), literals


def check_file(root, rel, violations, sql_files, exceptions, used_exceptions):
    with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
        text = f.read()
    user = module_of(rel)
    for m in INCLUDE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        quote, target = m.group(1), m.group(2)
        if quote == '"':
            if "/" not in target:
                continue  # a generated header next to the file (e.g. board_test_paths.h)
            used = module_of(target)
            ok, allowed = may_use(user, used)
            if not ok and (rel, used) in exceptions:
                used_exceptions.add((rel, used))
            elif not ok:
                violations.append("%s:%d: %s -> %s is not allowed (%s may use: %s)" % (
                    rel, line, user, used, short(user), ", ".join(allowed) or "nothing"))
        elif user.startswith(EXTERNAL_CHECKED):
            for prefix, owners in EXTERNAL.items():
                matches = target.startswith(prefix) if prefix.endswith("/") else target == prefix
                if matches and user not in owners:
                    violations.append("%s:%d: %s -> <%s> is not allowed (only in: %s)" % (
                        rel, line, user, target, ", ".join(owners)))
                    if prefix.startswith(("SQLiteCpp", "sqlite3")):
                        sql_files.add(rel)
    if not user.startswith("broker") or user == "broker/store":
        return
    code, literals = lex(text)
    for line, literal in literals:
        if SQL_LITERAL.match(literal):
            sql_files.add(rel)
            violations.append("%s:%d: SQL outside broker/store/: \"%s\"" % (
                rel, line, literal.strip()[:40]))
    for m in SQL_CALLS.finditer(code):
        sql_files.add(rel)
        violations.append("%s:%d: SQL outside broker/store/: %s" % (
            rel, code.count("\n", 0, m.start()) + 1, m.group(0)))


def sources(root):
    for top in sorted(os.listdir(root)):
        if top in SKIP_DIRS or top.startswith(".") or not os.path.isdir(os.path.join(root, top)):
            continue
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            for name in sorted(filenames):
                if name.endswith(SOURCE_SUFFIXES):
                    yield os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")


def check_tree(root, not_yet_moved, exceptions, out=sys.stdout):
    """Prints every violation under `root`; returns their number."""
    violations, sql_files, used_exceptions = [], set(), set()
    for rel in sources(root):
        check_file(root, rel, violations, sql_files, set(exceptions), used_exceptions)
    # SQL still waiting to move into the store is reported only by the files' absence from the
    # list once it has moved, so the list cannot go stale.
    waived = set(not_yet_moved)
    shown = [v for v in violations
             if not (v.split(":", 1)[0] in waived and ("SQL outside" in v or "SQLite" in v))]
    for v in shown:
        print(v, file=out)
    stale = sorted(waived - sql_files)
    for rel in stale:
        print("%s: holds no SQL any more: remove it from NOT_YET_MOVED in %s" % (
            rel, os.path.basename(__file__)), file=out)
    unused = sorted(set(exceptions) - used_exceptions)
    for rel, used in unused:
        print("%s: no longer includes %s: remove it from TEST_EXCEPTIONS in %s" % (
            rel, used, os.path.basename(__file__)), file=out)
    return len(shown) + len(stale) + len(unused)


def self_test():
    """The checker must fail on a tree that breaks each rule, and pass on a clean one."""
    cases = {
        "clean": ({
            "common/a.h": '#include "schemas/samband.capnp.h"\n',
            "broker/store/s.cpp": '#include <SQLiteCpp/Statement.h>\nauto q = "SELECT 1";\n',
            "broker/board/b.cpp": '#include "broker/picture/v.h"\n// db.exec(x) in a comment\n'
                                  'const char* t = "Selected units";\n',
            "tests/broker/board/b_test.cpp": '#include "broker/picture/v.h"\n'
                                             '#include "tests/support/temp_dir.h"\n'
                                             '#include "tests/common/temp_dir.h"\n',
        }, []),
        "board includes ingest": ({
            "broker/board/b.cpp": '#include "broker/ingest/server.h"\n',
        }, ["broker/board/b.cpp:1: broker/board -> broker/ingest is not allowed (board may use:"]),
        "common includes broker": ({
            "common/c.cpp": '\n#include "broker/store/store.h"\n',
        }, ["common/c.cpp:2: common -> broker/store is not allowed"]),
        "web includes the broker and SQLite": ({
            "web/w.cpp": '#include "broker/accounts/users.h"\n#include <SQLiteCpp/Database.h>\n',
        }, ["web/w.cpp:1: web -> broker/accounts is not allowed",
            "web/w.cpp:2: web -> <SQLiteCpp/Database.h> is not allowed"]),
        "agent includes broker": ({
            "agent/x.cpp": '#include "broker/cli/commands.h"\n',
        }, ["agent/x.cpp:1: agent -> broker/cli is not allowed"]),
        "planning includes store and zmq": ({
            "broker/planning/p.cpp": '#include "broker/store/store.h"\n#include <zmq.hpp>\n',
        }, ["broker/planning/p.cpp:1: broker/planning -> broker/store",
            "broker/planning/p.cpp:2: broker/planning -> <zmq.hpp>"]),
        "test uses more than its module": ({
            "tests/broker/planning/t.cpp": '#include "broker/store/store.h"\n',
        }, ["tests/broker/planning/t.cpp:1: tests/broker/planning -> broker/store"]),
        "sql literal in board": ({
            "broker/board/h.cpp": 'int f() {\n  auto s =\n    "  select x";\n  return 0;\n}\n'
                                  'auto q = R"(\n  DELETE FROM users)";\n',
        }, ["broker/board/h.cpp:6: SQL outside broker/store/: \"DELETE FROM users\""]),
        "sql calls in city": ({
            "broker/city/c.cpp": 'void f(D& db) {\n  SQLite::Statement q(db, x);\n'
                                 '  db.exec(y);\n  db.execAndGet(z);\n}\n',
            "broker/city/c.h": '#include <SQLiteCpp/Database.h>\n',
        }, ["broker/city/c.cpp:2: SQL outside broker/store/: SQLite::Statement",
            "broker/city/c.cpp:3: SQL outside broker/store/: .exec(",
            "broker/city/c.cpp:4: SQL outside broker/store/: execAndGet",
            "broker/city/c.h:1: broker/city -> <SQLiteCpp/Database.h> is not allowed"]),
        "stale allow-list entry": ({
            "broker/city/clean.cpp": 'int x = 1;\n',
        }, ["broker/city/clean.cpp: holds no SQL any more"]),
    }
    import io
    failures = 0
    for name, (files, expected) in cases.items():
        with tempfile.TemporaryDirectory() as root:
            for rel, text in files.items():
                os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
                with open(os.path.join(root, rel), "w", encoding="utf-8") as f:
                    f.write(text)
            out = io.StringIO()
            waived = ["broker/city/clean.cpp"] if name == "stale allow-list entry" else []
            count = check_tree(root, waived, [], out)
            printed = out.getvalue().splitlines()
            missing = [e for e in expected if not any(p.startswith(e) for p in printed)]
            if missing or count != len(printed) or (count == 0) != (not expected) or (
                    len(printed) != len(expected)):
                failures += 1
                print("self-test %r: expected %s, got %s" % (name, expected, printed))
    print("self-test: %d of %d cases failed" % (failures, len(cases)))
    return 1 if failures else 0


def main(argv):
    if len(argv) > 1 and argv[1] == "--self-test":
        return self_test()
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    count = check_tree(os.path.abspath(root), NOT_YET_MOVED, TEST_EXCEPTIONS)
    if count:
        print("%d dependency rule violation(s); the rule is the ALLOWED table in %s" % (
            count, os.path.relpath(__file__)))
        return 1
    print("dependency rule: every include and every SQL statement is where it belongs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
