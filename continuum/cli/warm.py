"""The warm replay: answer an unchanged re-run of a check from its record.

A ``continuum check`` (or ``continuum build --check``) that ran in full leaves a record
in ``<cache-dir>/warm/``, keyed by the exact invocation: the arguments, the working
directory, the environment variables and terminal state that change the output, and
the interpreter. The record holds the stat signature (mtime, ctime, size, inode) of
every file and directory the run looked at, and the exact bytes it wrote to standard
output and standard error, with its exit code. The next identical invocation re-stats
exactly those paths, without walking a directory or reading a source file; if every
signature matches, it writes the recorded bytes and exits with the recorded code.
Anything missing or different runs the command in full, which records anew.

What a run "looked at" is observed, not predicted, so discovery is not written twice:
an audit hook (PEP 578) sees every file the command opens for reading and every
directory it lists, outside the import system and the cache directory; each path is
stat-ed at that moment, before it is read, so an edit made while the run reads it
changes its signature. Added to those: each ``pyproject.toml`` the configuration lookup
may read (present or absent), the directories of every file read up to its import root
(a new module there can change how an import resolves), the files and directories of
the installed ``continuum`` package (a development edit invalidates every record) and
the entries of ``sys.path`` (installing a package changes site-packages). A run whose
inputs changed while it ran, that logged anything (log lines carry a time), that did
not end normally, or that exited 2 is not recorded.

Only the standard library is imported here, and little of it: this module runs before
click or any analyzer module is imported, on every ``continuum`` invocation.
"""

import os
import sys

#: Bumped when the layout of a record changes; an older record is ignored.
FORMAT = 1
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
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Paths not recorded as they are read: kernel and device files change without meaning
#: anything, and continuum's own files (the analyzer digests its sources) are recorded
#: as a whole at the end, without their ``__pycache__``.
_IGNORED = ("/proc/", "/sys/", "/dev/", _PACKAGE + os.sep)


def _signature(path: str) -> tuple[int, int, int, int] | bool | None:
    """``(mtime_ns, ctime_ns, size, inode)`` of a file or directory; None when absent;
    False for anything else (a device, a FIFO), which is not worth recording."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not (0o100000 <= st.st_mode < 0o110000 or 0o040000 <= st.st_mode < 0o050000):
        return False  # S_ISREG / S_ISDIR without importing stat
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


def invocation_key(argv: list[str]) -> tuple:
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
        os.getcwd(),
        tuple(env),
        streams,
        sys.version,
        sys.executable,
        tuple(sys.path),
        sys.flags.utf8_mode,
        __version__,
    )


def record_name(key: tuple) -> str:
    """A file name for ``key`` (FNV-1a, 64 bits: hashlib costs more to import than this)."""
    value = 0xCBF29CE484222325
    for byte in repr(key[:6]).encode("utf-8", "surrogateescape"):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}.rec"


def _read_record(cwd: str, name: str) -> bytes | None:
    directory = cwd
    while True:
        try:
            with open(os.path.join(directory, CACHE_NAME, WARM_DIR, name), "rb") as handle:
                return handle.read()
        except OSError:
            pass
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def replay(argv: list[str]) -> None:
    """Write the recorded output and exit, if a record of this invocation still holds.

    Returns (doing nothing) when there is no record or it no longer matches.
    """
    if not argv or argv[0] not in COMMANDS:
        return
    streams = (None, getattr(sys.stdout, "buffer", None), getattr(sys.stderr, "buffer", None))
    if streams[1] is None or streams[2] is None:
        return
    key = invocation_key(argv)
    data = _read_record(key[1], record_name(key))
    if data is None:
        return
    import marshal

    try:
        record = marshal.loads(data)
        fmt, recorded_key, paths, signatures, absent, files, chunks, code = record
    except (EOFError, ValueError, TypeError):
        return
    if fmt != FORMAT or recorded_key != key:
        return
    try:
        current = [(s.st_mtime_ns, s.st_ctime_ns, s.st_size, s.st_ino) for s in map(os.stat, paths)]
    except OSError:
        return
    if current != signatures:
        return
    for path in absent:
        if os.path.lexists(path):
            return
    try:
        for path, content in files:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(content)
    except OSError:
        return  # the full run reports the failure
    for fd, chunk in chunks:
        streams[fd].write(chunk)
        streams[fd].flush()
    sys.exit(code)


# -- recording (the full run) -------------------------------------------------------------


class _Tee:
    """A binary stream that passes writes on and keeps a copy, in order across streams."""

    def __init__(self, raw, fd, chunks):
        self._raw = raw
        self._fd = fd
        self._chunks = chunks

    def write(self, data):
        if self._chunks and self._chunks[-1][0] == self._fd:
            self._chunks[-1][1].extend(data)
        else:
            self._chunks.append((self._fd, bytearray(data)))
        return self._raw.write(data)

    def close(self):
        self.flush()  # the real stream belongs to the interpreter

    closed = False

    def __getattr__(self, name):
        return getattr(self._raw, name)


class _Recorder:
    def __init__(self, key):
        self.key = key
        self.cwd = key[1]
        #: Absolute path → signature when first opened or listed (None: absent).
        self.seen = {}
        #: Regular files the run read (their directories are recorded at the end).
        self.read = set()
        self.chunks = []
        self.streams = None
        self.cache_dir = None
        self.files = []
        self.code = None
        self.logged = False

    def note(self, path):
        if isinstance(path, int):
            return None
        path = os.fsdecode(path) if isinstance(path, bytes) else os.fspath(path)
        path = os.path.normpath(os.path.join(self.cwd, path))
        if path in self.seen or path.startswith(_IGNORED):
            return None
        signature = self.seen[path] = _signature(path)
        return signature


_RECORDER = None
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
    if not argv or argv[0] not in COMMANDS or _RECORDER is not None:
        return
    streams = (sys.stdout, sys.stderr)
    if not all(hasattr(s, "buffer") and hasattr(s, "encoding") for s in streams):
        return
    import io

    recorder = _Recorder(invocation_key(argv))
    wrapped = []
    for fd, stream in ((1, sys.stdout), (2, sys.stderr)):
        wrapped.append(
            io.TextIOWrapper(
                _Tee(stream.buffer, fd, recorder.chunks),
                encoding=stream.encoding,
                errors=stream.errors,
                line_buffering=stream.line_buffering,
                write_through=True,
            )
        )
    stream_flush = [s.flush for s in streams]
    for flush in stream_flush:
        flush()
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


def begin(cache_dir: str | os.PathLike[str], paths: tuple | list) -> None:
    """Called by an eligible command once its configuration is loaded.

    ``cache_dir`` is the configured cache directory (records go to its ``warm/``);
    ``paths`` are the paths named on the command line.
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
    from ..analyzer.cache import prepare_cache_root

    try:
        prepare_cache_root(cache_dir)
    except OSError:
        return
    recorder.cache_dir = cache_dir
    # The configuration lookup reads the nearest pyproject.toml at or above the working
    # directory (check) or the first path (build): each one that exists or may appear.
    starts = [recorder.cwd, *(os.path.abspath(os.fspath(p)) for p in paths)]
    for start in starts:
        directory = start if os.path.isdir(start) else os.path.dirname(start)
        while True:
            recorder.note(os.path.join(directory, "pyproject.toml"))
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
    import logging

    class _Flag(logging.Handler):
        def emit(self, record):
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
    real_out, real_err = recorder.streams
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


def _inputs(recorder: _Recorder) -> dict | None:
    """Every recorded path with its signature, or None when one changed during the run."""
    cache = recorder.cache_dir + os.sep
    entries = {}
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
    return entries


def _build(recorder: _Recorder, code: int) -> tuple | None:
    entries = _inputs(recorder)
    if entries is None:
        return None
    present = sorted(p for p, s in entries.items() if s)
    absent = sorted(p for p, s in entries.items() if s is None)
    files = []
    for path in recorder.files:
        with open(path, "rb") as handle:
            files.append((path, handle.read()))
    chunks = tuple((fd, bytes(data)) for fd, data in recorder.chunks)
    # Paths below the working directory are stored relative to it (the key pins it):
    # a shorter path is a cheaper stat.
    prefix = recorder.cwd.rstrip(os.sep) + os.sep
    present = [p[len(prefix) :] if p.startswith(prefix) else p for p in present]
    signatures = [entries[p if os.path.isabs(p) else prefix + p] for p in present]
    return (
        FORMAT,
        recorder.key,
        tuple(present),
        signatures,
        tuple(absent),
        tuple(files),
        chunks,
        code,
    )


def _write(target: str, record: tuple) -> None:
    """Atomic write: a temporary file in the same directory, then ``os.replace``."""
    import contextlib
    import marshal
    import tempfile

    with contextlib.suppress(OSError):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(marshal.dumps(record))
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
