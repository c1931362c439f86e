"""Hostile package files, built in memory: each is small on the wire and expensive to read
naively (the review's measurements in issue 13 are in the comments)."""

import functools
import gzip
import io
import tarfile
import zipfile

#: A valid spec's head: the hostile part goes under a parameter's default value, which the
#: validate answer sends back (a bomb there once expanded to gigabytes in ``json.dumps``).
_HEAD = ("schemaVersion: 2.1.0\npipelineInfo: {name: p}\nroot:\n  inputDefinitions:\n"
         "    parameters:\n      x:\n        parameterType: LIST\n        defaultValue:\n")


def alias_bomb(levels: int = 12) -> bytes:
    """"Billion laughs": 9 ** levels values from under a kilobyte (17 s, 1.9 GB before)."""
    lines = ['          - &a0 ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, levels):
        lines.append(f"          - &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return (_HEAD + "\n".join(lines) + "\n").encode()


def aliased_text(length: int = 2_000, aliases: int = 50_000) -> bytes:
    """One long string repeated by aliases: few values, so a budget on values let it through
    (2,000 x 50,000 in 752 KB: read in 0.07 s, then a 100 MB validate answer; 16 MB x 99,999
    fits under the 32 MB cap and would expand to 1.6 TB)."""
    return (_HEAD + f"          - &s {'x' * length}\n" + "          - *s\n" * aliases).encode()


def task_chain(count: int = 8_000) -> bytes:
    """A valid spec whose root DAG is a chain of ``count`` tasks, each waiting for the one
    before (about 310 KB): ordering it rescanned every waiting task per task (3.9 s for 8,000,
    growing with the square), on the event loop, for the validate answer."""
    lines = ["schemaVersion: 2.1.0", "pipelineInfo: {name: p}", "root:", "  dag:", "    tasks:",
             "      t0: {}"]
    lines += [f"      t{i}: {{dependentTasks: [t{i - 1}]}}" for i in range(1, count)]
    return ("\n".join(lines) + "\n").encode()


def deep_flow(depth: int = 100_000) -> bytes:
    """``[[[[...]]]]``: libyaml's C composer recursed on the C stack and crashed the server."""
    return b"[" * depth + b"]" * depth


def deep_json(depth: int = 100_000) -> bytes:
    return b"[" * depth + b"]" * depth


def _tar(members: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            archive.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return buffer.getvalue()


def many_members(count: int = 200_000) -> bytes:
    """200,000 empty members in about 1 MB (17 s before: every header was read and kept)."""
    header = tarfile.TarInfo("0.yaml").tobuf(format=tarfile.GNU_FORMAT)
    return _gzip_repeated(header, 1000, count // 1000)


def many_members_zip(count: int = 20_000) -> bytes:
    """A zip of ``count`` empty members (Python's and Go's readers parse the whole central
    directory when the archive opens: 200,000 entries took a second here)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(count):
            archive.writestr(f"{number}.yaml", b"")
    return buffer.getvalue()


def zeros(size: int = 2 << 30, name: str = "zeros.bin", before: bytes = b"") -> bytes:
    """A member of ``size`` zero bytes in about 2 MB (10 s before); ``before`` is a small
    first member (a.yaml), so the reader must search past the zeros for pipeline.yaml."""
    head = b""
    if before:
        small = tarfile.TarInfo("a.yaml")
        small.size = len(before)
        head = small.tobuf(format=tarfile.GNU_FORMAT) + before + b"\0" * (-len(before) % 512)
    info = tarfile.TarInfo(name)
    info.size = size
    head += info.tobuf(format=tarfile.GNU_FORMAT)
    return gzip.compress(head) + _gzip_repeated(b"\0" * 4096, 256, size // (1 << 20))


def _gzip_repeated(block: bytes, per_member: int, members: int) -> bytes:
    """``block`` repeated ``per_member * members`` times, cheaply: one compressed gzip member
    repeated (a gzip stream may hold many members; Python's and Go's readers read them all)."""
    return gzip.compress(block * per_member, compresslevel=9) * members


def symlink_first() -> bytes:
    """pipeline.yaml as a symlink (a 500 before: tarfile looked for its target)."""
    link = tarfile.TarInfo("pipeline.yaml")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    return _tar([(link, b"")])


def nul_in_name() -> bytes:
    info = tarfile.TarInfo("pipe\0line.yaml")
    return _tar([(info, b"a: 1\n")])


WRONG_TYPES = {
    "parameters-a-list": _HEAD.split("    parameters:")[0] + "    parameters: [1, 2]\n",
    "tasks-a-list": "schemaVersion: 2.1.0\npipelineInfo: {name: p}\nroot: {dag: {tasks: [a, b]}}\n",
    "dependencies-a-number": ("schemaVersion: 2.1.0\npipelineInfo: {name: p}\n"
                              "root: {dag: {tasks: {a: {dependentTasks: 5}}}}\n"),
    "component-ref-a-string": ("schemaVersion: 2.1.0\npipelineInfo: {name: p}\n"
                               "root: {dag: {tasks: {a: {componentRef: comp-a}}}}\n"),
    "parameter-a-string": _HEAD.split("      x:")[0] + "      x: STRING\n",
    "components-a-list": "schemaVersion: 2.1.0\npipelineInfo: {name: p}\nroot: {}\ncomponents: [1]\n",
}


@functools.lru_cache(maxsize=1)
def cases() -> dict[str, tuple[bytes, str]]:
    """name -> (file bytes, file name) of every hostile package."""
    found = {
        "alias-bomb": (alias_bomb(), "bomb.yaml"),
        "alias-long-text": (aliased_text(), "text.yaml"),
        "alias-16mb-text": (aliased_text(16 << 20, 99_999), "text16.yaml"),
        "deep-flow-yaml": (deep_flow(), "deep.yaml"),
        "deep-json": (deep_json(), "deep.json"),
        "many-members": (many_members(), "many.tar.gz"),
        "many-members-zip": (many_members_zip(), "many.zip"),
        "zeros-2gb": (zeros(name="pipeline.yaml"), "zeros.tar.gz"),
        "zeros-2gb-searched": (zeros(before=b"a: 1\n"), "zeros-searched.tar.gz"),
        "symlink-first": (symlink_first(), "link.tar.gz"),
        "nul-in-member-name": (nul_in_name(), "nul.tar.gz"),
        "nul-in-yaml": (b"schemaVersion: 2.1.0\npipelineInfo: {name: p\0}\nroot: {}\n", "nul.yaml"),
    }
    found.update({f"wrong-types-{k}": (v.encode(), f"{k}.yaml") for k, v in WRONG_TYPES.items()})
    return found
