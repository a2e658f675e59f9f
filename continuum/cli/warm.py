"""The warm replay: answer an unchanged re-run of a check from its record.

A ``continuum check`` (or ``continuum build --check``) that ran in full leaves a record
in ``<cache-dir>/warm/``, keyed by the exact invocation: the arguments, the working
directory, the environment variables and terminal state that change the output, and the
interpreter. The record holds the stat signature (mtime, ctime, size, inode) of every
file and directory the run looked at, the paths it found missing, the real path
(symbolic links resolved) of each path named on the command line, each configured import
root and the ``--config`` file, and the exact bytes it wrote to standard output and
standard error, with its exit code. The next identical invocation re-stats exactly those
paths, without walking a directory or reading a source file; if every signature, absence
and real path matches, it writes the recorded bytes and exits with the recorded code.
Anything missing, different or unexpected runs the command in full, which records anew.

What a run "looked at" is observed, not predicted, so discovery is not written twice: an
audit hook (PEP 578) sees every file the command opens for reading and every directory
it lists, outside the import system and the cache directory; each path is stat-ed at
that moment, before it is read, so an edit made while the run reads it changes its
signature. The analyzer's module lookup reports each candidate file it probed and did
not find (`continuum.analyzer.project.on_missing`; a run answered from cached results
reads the absent files they list, and those of worker-process summaries are probed
again): creating one of them changes how an import resolves. Added to
those: each ``pyproject.toml`` the configuration lookup may read (present or absent),
the directories of every file read up to its import root (a new module there can change
how an import resolves), the files and directories of the installed ``continuum``
package (a development edit invalidates every record) and the entries of ``sys.path``
(installing a package changes site-packages). A run whose inputs changed while it ran,
or within `RACY_NS` before recording began (a second write within one timestamp tick
would keep the signature: git's "racily clean" rule), that logged anything (log lines
carry a time), that did not end normally, or that exited 2 is not recorded.

A record is trusted only when it and its ``warm`` directory belong to the current user
and are not writable by group or others, and a replay writes a file only where the
current arguments' ``--output-file`` says.

Only the standard library is imported here, and little of it: this module runs before
click or any analyzer module is imported, on every ``continuum`` invocation.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from collections.abc import Iterable

    #: (mtime_ns, ctime_ns, size, inode); None: absent; False: neither file nor directory.
    Signature = tuple[int, int, int, int] | bool | None
    #: See `invocation_key`.
    Key = tuple[
        tuple[str, ...],  # the arguments
        str,  # the working directory
        tuple[tuple[str, str], ...],  # the environment variables that change the output
        tuple[tuple[bool, str, str] | None, ...],  # stdout / stderr: tty, encoding, errors
        str,  # sys.version
        str,  # sys.executable
        tuple[str, ...],  # sys.path
        int,  # sys.flags.utf8_mode
        str,  # continuum.__version__
    ]

#: Bumped when the layout of a record changes; an older record is ignored.
FORMAT = 2
#: The replay looks for records in ``<dir>/.continuum_cache/warm/`` for the working
#: directory and each of its parents, so only runs whose cache directory is the default
#: one at such a place are recorded (a configured ``cache-dir`` elsewhere is not found
#: without reading the configuration, which is what the replay avoids).
CACHE_NAME = ".continuum_cache"
WARM_DIR = "warm"
#: Environment variables that change what a check prints (the ``CONTINUUM_`` ones too).
ENV_KEYS = ("NO_COLOR", "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM", "PYTHONWARNINGS")
#: Commands that may be replayed; the command itself decides whether it records.
COMMANDS = ("check", "build")
#: An input modified (mtime or ctime) this close to the run's start, or later, leaves no
#: record: two same-size writes within one filesystem timestamp tick (up to 2 s on FAT)
#: would keep its signature while the run read the first content.
RACY_NS = 2_000_000_000
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Paths not recorded as they are read: kernel and device files change without meaning
#: anything, and continuum's own files (the analyzer digests its sources) are recorded
#: as a whole at the end, without their ``__pycache__``.
_IGNORED = ("/proc/", "/sys/", "/dev/", _PACKAGE + os.sep)


def _signature(path: str) -> Signature:
    """``(mtime_ns, ctime_ns, size, inode)`` of a file or directory; None when absent;
    False for anything else (a device, a FIFO), which is not worth recording."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not (0o100000 <= st.st_mode < 0o110000 or 0o040000 <= st.st_mode < 0o050000):
        return False  # S_ISREG / S_ISDIR without importing stat
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


def _options(argv: list[str]) -> list[str]:
    """``argv`` up to a ``--`` (what follows is positional)."""
    return argv[: argv.index("--")] if "--" in argv else argv


def eligible(argv: list[str]) -> bool:
    """Whether ``argv`` may be replayed or recorded at all, judged from the arguments.

    ``check`` without ``--no-cache``, ``build --check``: nothing else ever is.
    """
    if not argv or argv[0] not in COMMANDS:
        return False
    options = _options(argv)
    if argv[0] == "check":
        return "--no-cache" not in options
    return "--check" in options


def _output_files(argv: list[str], cwd: str) -> set[str]:
    """The absolute ``-o``/``--output-file`` values of a ``check`` command line."""
    found = set()
    options = _options(argv)
    if argv[0] != "check":
        return found
    for i, arg in enumerate(options):
        if arg in ("-o", "--output-file") and i + 1 < len(options):
            value = options[i + 1]
        elif arg.startswith("--output-file="):
            value = arg[len("--output-file=") :]
        elif arg.startswith("-o") and not arg.startswith("--") and len(arg) > 2:
            value = arg[2:]
        else:
            continue
        found.add(os.path.normpath(os.path.join(cwd, value)))
    return found


def invocation_key(argv: list[str]) -> Key:
    """Everything besides the files that decides what the command prints."""
    env = sorted(
        (k, v) for k, v in os.environ.items() if k.startswith("CONTINUUM_") or k in ENV_KEYS
    )
    streams = tuple(
        None if s is None else (s.isatty(), s.encoding, s.errors) for s in (sys.stdout, sys.stderr)
    )
    from continuum import __version__

    return (
        tuple(argv),
        os.getcwd(),  # the physical directory: symbolic links already resolved
        tuple(env),
        streams,
        sys.version,
        sys.executable,
        tuple(sys.path),
        sys.flags.utf8_mode,
        __version__,
    )


def record_name(key: Key) -> str:
    """A file name for ``key`` (FNV-1a, 64 bits: hashlib costs more to import than this)."""
    value = 0xCBF29CE484222325
    for byte in repr(key[:6]).encode("utf-8", "surrogateescape"):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}.rec"


def _private(st: os.stat_result) -> bool:
    """Owned by the current user and not writable by group or others."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # Windows: no owner to compare cheaply
        return True
    return st.st_uid == getuid() and not st.st_mode & 0o022


def _read_record(cwd: str, name: str) -> bytes | None:
    """The first trusted record named ``name`` at or above ``cwd``."""
    directory = cwd
    while True:
        warm_dir = os.path.join(directory, CACHE_NAME, WARM_DIR)
        try:
            with open(os.path.join(warm_dir, name), "rb") as handle:
                # Someone else's record (a shared /tmp, say) could fake a clean result.
                if _private(os.fstat(handle.fileno())) and _private(os.stat(warm_dir)):
                    return handle.read()
        except OSError:
            pass
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _holds(argv: list[str]) -> tuple[tuple, tuple, int] | None:
    """``(files, chunks, code)`` of a record of ``argv`` that still holds, else None."""
    key = invocation_key(argv)
    data = _read_record(key[1], record_name(key))
    if data is None:
        return None
    import marshal

    fmt, recorded_key, paths, signatures, absent, links, files, chunks, code = marshal.loads(data)
    if fmt != FORMAT or recorded_key != key:
        return None
    if [_signature(p) for p in paths] != signatures:
        return None
    for path in absent:
        if _signature(path) is not None:
            return None
    for path, real in links:
        if os.path.realpath(path) != real:
            return None  # a symbolic link on a named path now points elsewhere
    allowed = _output_files(argv, key[1])
    for path, content in files:
        if path not in allowed or type(content) is not bytes:
            return None
    for fd, chunk in chunks:
        if fd not in (1, 2) or type(chunk) is not bytes:
            return None
    if code not in (0, 1):
        return None
    return files, chunks, code


def replay(argv: list[str]) -> None:
    """Write the recorded output and exit, if a record of this invocation still holds.

    Returns (doing nothing) when there is no record, it no longer matches, or anything
    about it is unexpected: the full run then answers.
    """
    if not eligible(argv):
        return
    streams = (None, getattr(sys.stdout, "buffer", None), getattr(sys.stderr, "buffer", None))
    if streams[1] is None or streams[2] is None:
        return
    try:
        found = _holds(argv)
    except Exception:  # a deleted working directory, a damaged record: run in full
        return
    if found is None:
        return
    files, chunks, code = found
    try:
        for path, content in files:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(content)
    except OSError:
        return  # the full run reports the failure
    try:
        for fd, chunk in chunks:
            streams[fd].write(chunk)
            streams[fd].flush()
    except OSError as exc:  # output has begun: running in full would repeat it
        _cannot_write(exc)
    sys.exit(code)


def _cannot_write(exc: OSError) -> None:
    """Writing the output failed (``| head`` exited): one line and exit 2, as the full
    run does, not a traceback."""
    if isinstance(exc, BrokenPipeError):
        # The flush at exit would fail again: point standard output at nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    try:
        sys.stderr.write(f"continuum: error: cannot write standard output: {exc.strerror}\n")
        sys.stderr.flush()
    except OSError:
        pass
    sys.exit(2)


# -- recording (the full run) -------------------------------------------------------------


class _Tee:
    """A binary stream that passes writes on and keeps a copy, in order across streams."""

    closed = False

    def __init__(self, raw: object, fd: int, chunks: list[tuple[int, bytearray]]) -> None:
        self._raw = raw
        self._fd = fd
        self._chunks = chunks

    def write(self, data: bytes) -> int:
        if self._chunks and self._chunks[-1][0] == self._fd:
            self._chunks[-1][1].extend(data)
        else:
            self._chunks.append((self._fd, bytearray(data)))
        return self._raw.write(data)  # type: ignore[attr-defined]

    def close(self) -> None:
        self.flush()  # the real stream belongs to the interpreter

    def __getattr__(self, name: str) -> object:
        return getattr(self._raw, name)


class _Recorder:
    def __init__(self, key: Key, started: int = 0) -> None:
        self.key = key
        self.cwd = key[1]
        #: ``time.time_ns()`` when recording began (see `RACY_NS`).
        self.started = started
        #: Absolute path → signature when first opened, listed or probed (None: absent).
        self.seen: dict[str, Signature] = {}
        #: Regular files the run read (their directories are recorded at the end).
        self.read: set[str] = set()
        #: Paths named on the command line or configured, with their real paths.
        self.links: dict[str, str] = {}
        self.chunks: list[tuple[int, bytearray]] = []
        self.streams: tuple[object, object] | None = None
        self.cache_dir: str | None = None
        self.files: list[str] = []
        self.code: int | None = None
        self.logged = False

    def note(self, path: int | str | bytes | os.PathLike[str]) -> Signature:
        """Record ``path``'s signature the first time the run looks at it."""
        if isinstance(path, int):
            return None
        path = os.fsdecode(path) if isinstance(path, bytes) else os.fspath(path)
        path = os.path.normpath(os.path.join(self.cwd, path))
        if path in self.seen or path.startswith(_IGNORED):
            return None
        signature = self.seen[path] = _signature(path)
        return signature


_RECORDER: _Recorder | None = None
_EVENTS = frozenset(("open", "os.scandir", "os.listdir"))
_ACCMODE = getattr(os, "O_ACCMODE", 3)


def _audit(event: str, args: tuple) -> None:
    recorder = _RECORDER
    if recorder is None or event not in _EVENTS:
        return
    # The import system reads modules and lists sys.path entries: not the command's inputs.
    if sys._getframe(1).f_code.co_filename.startswith("<frozen importlib"):
        return
    if event == "open":
        path, _mode, flags = args
        if not isinstance(flags, int) or flags & _ACCMODE != os.O_RDONLY:
            return
        if recorder.note(path):
            recorder.read.add(os.path.normpath(os.path.join(recorder.cwd, os.fsdecode(path))))
    else:
        recorder.note("." if args[0] is None else args[0])


def arm(argv: list[str]) -> None:
    """Start observing a full run of an invocation that may be replayed later."""
    global _RECORDER
    if not eligible(argv) or _RECORDER is not None:
        return
    streams = (sys.stdout, sys.stderr)
    if not all(hasattr(s, "buffer") and hasattr(s, "encoding") for s in streams):
        return
    import io

    try:
        recorder = _Recorder(invocation_key(argv))
    except OSError:  # a deleted working directory: the run reports it, unrecorded
        return
    wrapped = []
    for fd, stream in ((1, sys.stdout), (2, sys.stderr)):
        wrapped.append(
            io.TextIOWrapper(
                _Tee(stream.buffer, fd, recorder.chunks),  # type: ignore[arg-type]
                encoding=stream.encoding,
                errors=stream.errors,
                line_buffering=stream.line_buffering,
                write_through=True,
            )
        )
    for stream in streams:
        stream.flush()
    recorder.streams = streams
    sys.stdout, sys.stderr = wrapped
    _RECORDER = recorder
    _install_hook()


_HOOKED = False


def _install_hook() -> None:
    global _HOOKED
    if not _HOOKED:  # audit hooks cannot be removed: one per process, idle when not recording
        sys.addaudithook(_audit)
        _HOOKED = True


def begin(
    cache_dir: str | os.PathLike[str],
    paths: Iterable[str | os.PathLike[str]],
    resolved: Iterable[str | os.PathLike[str]] = (),
) -> None:
    """Called by an eligible command once its configuration is loaded.

    ``cache_dir`` is the configured cache directory (records go to its ``warm/``);
    ``paths`` are the paths named on the command line; ``resolved`` are other paths the
    run resolves symbolic links in (the configured import roots). The real path of each
    is recorded: the run reads below the real path, so a link pointed elsewhere must
    not replay.
    """
    recorder = _RECORDER
    if recorder is None:
        return
    cache_dir = os.path.abspath(os.fspath(cache_dir))
    parent = os.path.dirname(cache_dir)
    below = recorder.cwd == parent or recorder.cwd.startswith(parent.rstrip(os.sep) + os.sep)
    if os.path.basename(cache_dir) != CACHE_NAME or not below:
        return  # the replay would not find the record: do not write one
    # Created now, before the run lists any directory: creating it later would change
    # the signature of its parent directory under the run's feet.
    from ..analyzer import project
    from ..analyzer.cache import prepare_cache_root

    try:
        prepare_cache_root(cache_dir)
    except OSError:
        return
    recorder.cache_dir = cache_dir
    # The racy window is measured from here: later than the start of the process, which
    # is stricter, and after the cache directory changed the working directory.
    import time

    recorder.started = time.time_ns()
    paths = [os.fspath(p) for p in paths]
    for path in (*paths, *(os.fspath(p) for p in resolved)):
        # Joined without normpath: ``link/..`` is not the directory of ``link``.
        full = os.path.join(recorder.cwd, path)
        recorder.links[full] = os.path.realpath(full)
    # The configuration lookup reads the nearest pyproject.toml at or above the working
    # directory (check) or the first path (build): each one that exists or may appear.
    starts = [recorder.cwd, *(os.path.abspath(p) for p in paths)]
    for start in starts:
        directory = start if os.path.isdir(start) else os.path.dirname(start)
        while True:
            recorder.note(os.path.join(directory, "pyproject.toml"))
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
    # Modules looked for and not found: creating one changes how an import resolves.
    project.on_missing = recorder.note
    import logging

    class _Flag(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            recorder.logged = True

    logging.getLogger().addHandler(_Flag())


def output_file(path: str | os.PathLike[str]) -> None:
    """The command wrote its report to ``path``: a replay writes the same bytes there."""
    recorder = _RECORDER
    if recorder is not None:
        recorder.files.append(os.path.normpath(os.path.join(recorder.cwd, os.fspath(path))))


def complete(code: int) -> None:
    """The command ran to its end and is about to exit with ``code``."""
    if _RECORDER is not None:
        _RECORDER.code = code


def finish(code: object) -> None:
    """The process is exiting with ``code``: write the record if the run qualifies."""
    global _RECORDER
    recorder, _RECORDER = _RECORDER, None
    if recorder is None:
        return
    project = sys.modules.get("continuum.analyzer.project")
    if project is not None:
        project.on_missing = None  # type: ignore[attr-defined]
    real_out, real_err = recorder.streams  # type: ignore[misc]
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    sys.stdout, sys.stderr = real_out, real_err
    if code is None:
        code = 0
    if recorder.cache_dir is None or recorder.code != code or code not in (0, 1) or recorder.logged:
        return
    try:
        record = _build(recorder, code)
    except OSError:
        return
    if record is not None:
        _write(os.path.join(recorder.cache_dir, WARM_DIR, record_name(recorder.key)), record)


def _inputs(recorder: _Recorder) -> dict[str, Signature] | None:
    """Every recorded path with its signature, or None when one changed during the run
    (or so shortly before it that a change within the same timestamp tick could hide)."""
    cache = recorder.cache_dir + os.sep  # type: ignore[operator]
    entries: dict[str, Signature] = {}
    for path, signature in recorder.seen.items():
        if signature is False or path.startswith(cache) or path in recorder.files:
            continue
        if _signature(path) != signature:
            return None  # changed while the run used it: its output may be stale already
        entries[path] = signature
    # The directories of each file read, up to its import root: a module or package
    # created there could change how an import resolves.
    directories = set()
    for path in recorder.read:
        directory = os.path.dirname(path)
        while directory not in directories and not directory.startswith(cache):
            directories.add(directory)
            if not os.path.exists(os.path.join(directory, "__init__.py")):
                break
            directory = os.path.dirname(directory)
    # The tool itself: a development edit of continuum must not replay old output.
    for dirpath, dirnames, filenames in os.walk(_PACKAGE):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        directories.add(dirpath)
        for name in filenames:
            entries.setdefault(os.path.join(dirpath, name), _signature(os.path.join(dirpath, name)))
    for entry in sys.path:
        if entry:
            entries.setdefault(os.path.abspath(entry), _signature(os.path.abspath(entry)))
    for directory in directories:
        entries.setdefault(directory, _signature(directory))
    # Racily clean (as git calls it): modified too close to the run's start to be sure
    # that a same-size write in the same timestamp tick would show.
    limit = recorder.started - RACY_NS
    for signature in entries.values():
        if signature and (signature[0] >= limit or signature[1] >= limit):  # type: ignore[index]
            return None
    return entries


def _build(recorder: _Recorder, code: int) -> tuple | None:
    entries = _inputs(recorder)
    if entries is None:
        return None
    # Paths below the working directory are stored relative to it (the key pins it):
    # a shorter path is a cheaper stat.
    prefix = recorder.cwd.rstrip(os.sep) + os.sep

    def short(path: str) -> str:
        return path[len(prefix) :] if path.startswith(prefix) else path

    present = sorted(p for p, s in entries.items() if s)
    signatures = [entries[p] for p in present]
    absent = tuple(short(p) for p in sorted(p for p, s in entries.items() if s is None))
    links = tuple(sorted(recorder.links.items()))
    files = []
    for path in recorder.files:
        with open(path, "rb") as handle:
            files.append((path, handle.read()))
    chunks = tuple((fd, bytes(data)) for fd, data in recorder.chunks)
    return (
        FORMAT,
        recorder.key,
        tuple(short(p) for p in present),
        signatures,
        absent,
        links,
        tuple(files),
        chunks,
        code,
    )


def _write(target: str, record: tuple) -> None:
    """Atomic write: a temporary file in the same directory, then ``os.replace``.

    The ``warm`` directory is made private (the replay trusts nothing else).
    """
    import contextlib
    import marshal
    import tempfile

    warm_dir = os.path.dirname(target)
    with contextlib.suppress(OSError):
        with contextlib.suppress(FileExistsError):
            os.mkdir(warm_dir, 0o700)
        st = os.stat(warm_dir)
        if not _private(st):
            if st.st_uid != getattr(os, "getuid", lambda: st.st_uid)():
                return  # someone else's directory: a record there would not be trusted
            os.chmod(warm_dir, 0o700)
        fd, tmp = tempfile.mkstemp(dir=warm_dir, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(marshal.dumps(record))
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
