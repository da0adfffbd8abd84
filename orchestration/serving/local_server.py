"""A PostgreSQL server on 127.0.0.1 that `funnelmart serve` runs from a data directory in the project.

The server accepts TCP connections on 127.0.0.1 only, with SCRAM passwords. The admin connects as
`postgres` through a Unix socket in a directory only the server's OS user can enter, without a
password. Run as root, every server command runs as the `postgres` OS user, because PostgreSQL
refuses to run as root.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from orchestration.logs import get_logger
from orchestration.serving.roles import BI_ROLE, PASSWORD_ENVS, ensure_roles, role_password
from orchestration.settings import PROJECT_DIR

DEFAULT_DATA_DIR = PROJECT_DIR / ".pgdata"
DEFAULT_PORT = 5433
DATABASE = "funnelmart"
LISTEN_ADDRESS = "127.0.0.1"
SUPERUSER = "postgres"
ODBC_DRIVER = "PostgreSQL Unicode"
BIN_DIR_ENV = "FUNNELMART_PG_BIN_DIR"
# psqlODBC 13 defaults report booleans as '1'/'0' text and text columns as SQL_LONGVARCHAR of 8190
# characters. These options report booleans as SQL_BIT and text as SQL_VARCHAR of up to 4000 characters.
ODBC_TYPE_OPTIONS = "BoolsAsChar=0;TextAsLongVarchar=0;MaxVarcharSize=4000"
START_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class LocalServer:
    """A running local PostgreSQL server and the ways to connect to it."""

    data_dir: Path
    port: int
    bin_dir: Path
    database: str = DATABASE
    host: str = LISTEN_ADDRESS

    @property
    def socket_dir(self) -> Path:
        return self.data_dir / "socket"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def admin_conninfo(self) -> str:
        """Connection string of the superuser through the Unix socket, which needs no password."""
        return make_conninfo(host=str(self.socket_dir), port=self.port, dbname=self.database, user=SUPERUSER)

    def conninfo(self, role: str) -> str:
        """Return a TCP connection string for a funnelmart role, with its password from the environment."""
        return make_conninfo(
            host=self.host, port=self.port, dbname=self.database, user=role, password=role_password(role)
        )

    def url(self, role: str = BI_ROLE) -> str:
        """Return the connection URL for a role, without its password."""
        return f"postgresql://{role}@{self.host}:{self.port}/{self.database}"

    def odbc_connection_string(self, role: str = BI_ROLE) -> str:
        """Return the ODBC connection string for psqlODBC, without the password."""
        return (
            f"Driver={{{ODBC_DRIVER}}};Servername={self.host};Port={self.port};Database={self.database};"
            f"Username={role};{ODBC_TYPE_OPTIONS}"
        )

    def summary_lines(self) -> list[str]:
        """Return the lines `funnelmart serve` prints: the URL, the ODBC string and the password variable."""
        return [
            f"PostgreSQL URL: {self.url()}",
            f"ODBC connection string: {self.odbc_connection_string()}",
            f"Password: the value of {PASSWORD_ENVS[BI_ROLE]}, set again on every start and publish",
        ]

    def stop(self) -> None:
        """Stop the server with a fast shutdown, which ends open sessions, and wait until it has exited.

        Logs a warning and returns when no server runs from data_dir any more.
        """
        if not _is_running(self):
            get_logger().warning("Stop skipped: no PostgreSQL server runs from %s", self.data_dir)
            return
        _run_as_server_user(
            [str(self.bin_dir / "pg_ctl"), "stop", "-D", ".", "-m", "fast", "-w"],
            f"stop PostgreSQL in {self.data_dir}",
            cwd=self.data_dir,
        )
        get_logger().info("PostgreSQL on %s:%d stopped", self.host, self.port)

    def __enter__(self) -> "LocalServer":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_local_server(data_dir: Path = DEFAULT_DATA_DIR, port: int = DEFAULT_PORT) -> LocalServer:
    """Start PostgreSQL from data_dir on 127.0.0.1:port, creating the cluster, database and roles as needed.

    The role passwords must be set in FUNNELMART_PG_BI_PASSWORD and FUNNELMART_PG_WRITER_PASSWORD.
    Raises RuntimeError when a server already runs from data_dir, the port is taken, or a server
    command fails. A server that started is stopped again before the error is raised.
    """
    # Fail before creating anything when a password variable is unset.
    for role in PASSWORD_ENVS:
        role_password(role)
    server = LocalServer(data_dir=Path(data_dir).resolve(), port=port, bin_dir=find_postgres_bin_dir())
    _prepare_cluster(server)
    _check_port_free(server.host, port)
    _start(server)
    try:
        _create_database(server)
        ensure_roles(server.admin_conninfo)
    except BaseException:
        server.stop()
        raise
    return server


def find_running_local_server(data_dir: Path = DEFAULT_DATA_DIR) -> LocalServer | None:
    """Return the server running from data_dir, read from its postmaster.pid, or None when none runs."""
    pid_file = Path(data_dir).resolve() / "postmaster.pid"
    try:
        lines = pid_file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    # postmaster.pid lines: process id, data directory, start time, port, socket directory, ...
    if len(lines) < 4 or not _process_exists(int(lines[0])):
        return None
    return LocalServer(data_dir=Path(data_dir).resolve(), port=int(lines[3]), bin_dir=find_postgres_bin_dir())


def find_postgres_bin_dir() -> Path:
    """Return the directory of the PostgreSQL server programs (initdb, pg_ctl).

    Looks at FUNNELMART_PG_BIN_DIR, then PATH, then the newest /usr/lib/postgresql/<version>/bin
    that Debian and Ubuntu packages install.
    """
    configured = os.environ.get(BIN_DIR_ENV)
    if configured:
        return Path(configured)
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    candidates = [path.parent for path in Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")]
    candidates = [path for path in candidates if path.parent.name.isdigit()]
    if candidates:
        return max(candidates, key=lambda path: int(path.parent.name))
    raise RuntimeError(
        "PostgreSQL server programs (initdb, pg_ctl) not found. Install the PostgreSQL server "
        f"(Debian: apt-get install postgresql) or set {BIN_DIR_ENV} to the directory that contains pg_ctl."
    )


def _prepare_cluster(server: LocalServer) -> None:
    data_dir = server.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    _give_to_server_user(data_dir)
    if _is_running(server):
        raise RuntimeError(
            f"A PostgreSQL server is already running from {data_dir}. "
            f"Stop it with `funnelmart serve --stop --data-dir {data_dir}`, or connect to it."
        )
    if not (data_dir / "PG_VERSION").exists():
        _check_server_user_can_write(data_dir)
        _run_as_server_user(
            [
                str(server.bin_dir / "initdb"),
                "-D",
                str(data_dir),
                "--username",
                SUPERUSER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
            ],
            f"initialise a PostgreSQL cluster in {data_dir}",
        )
        get_logger().info("Created a PostgreSQL cluster in %s", data_dir)
    server.socket_dir.mkdir(mode=0o700, exist_ok=True)
    _give_to_server_user(server.socket_dir)


def _start(server: LocalServer) -> None:
    # pg_ctl runs the server through /bin/sh, so the socket path is quoted for the shell.
    server_options = (
        f"-c listen_addresses={server.host} -c port={server.port} "
        f"-c unix_socket_directories={shlex.quote(str(server.socket_dir))}"
    )
    command = [
        str(server.bin_dir / "pg_ctl"),
        "start",
        "-D",
        str(server.data_dir),
        "-l",
        str(server.log_path),
        "-w",
        "-t",
        str(START_TIMEOUT_SECONDS),
        "-o",
        server_options,
    ]
    try:
        _run_as_server_user(command, f"start PostgreSQL from {server.data_dir}")
    except RuntimeError as error:
        raise RuntimeError(f"{error}\nLast lines of {server.log_path}:\n{_log_tail(server.log_path)}") from error
    get_logger().info("PostgreSQL listening on %s:%d, data directory %s", server.host, server.port, server.data_dir)


def _create_database(server: LocalServer) -> None:
    maintenance = make_conninfo(server.admin_conninfo, dbname="postgres")
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute("select 1 from pg_database where datname = %s", (server.database,)).fetchone()
        if exists is None:
            connection.execute(sql.SQL("create database {}").format(sql.Identifier(server.database)))
            get_logger().info("Created database %s", server.database)


def _is_running(server: LocalServer) -> bool:
    if not (server.data_dir / "PG_VERSION").exists():
        return False
    command = [str(server.bin_dir / "pg_ctl"), "status", "-D", "."]
    # pg_ctl status exits 0 when a server runs, 3 when none does, 4 without a usable data directory.
    completed = subprocess.run(_as_server_user(command), capture_output=True, text=True, cwd=server.data_dir)
    return completed.returncode == 0


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise RuntimeError(f"Port {port} on {host} is in use ({error}). Choose another port.") from error


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _as_server_user(command: list[str]) -> list[str]:
    if _running_as_root():
        return ["runuser", "-u", SUPERUSER, "--", *command]
    return command


def _give_to_server_user(path: Path) -> None:
    if _running_as_root():
        shutil.chown(path, user=SUPERUSER, group=SUPERUSER)


def _check_server_user_can_write(data_dir: Path) -> None:
    if not _running_as_root():
        return
    probe = subprocess.run(_as_server_user(["test", "-w", str(data_dir)]), capture_output=True)
    if probe.returncode != 0:
        raise RuntimeError(
            f"The {SUPERUSER} OS user cannot write to {data_dir}. Every parent directory must let it "
            "enter (chmod o+x), or choose a data directory elsewhere."
        )


def _run_as_server_user(command: list[str], action: str, cwd: Path | None = None) -> None:
    # Status and stop run inside the data directory with `-D .`, and runuser keeps the working
    # directory. The postgres OS user then needs no search permission on the parent directories,
    # which can lose it after the server started: pytest resets its temporary root to mode 0700.
    completed = subprocess.run(_as_server_user(command), capture_output=True, text=True, cwd=cwd)
    if completed.returncode != 0:
        output = (completed.stderr or completed.stdout).strip()
        raise RuntimeError(f"Failed to {action} (exit code {completed.returncode}): {output}")


def _log_tail(log_path: Path, line_count: int = 20) -> str:
    try:
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as error:
        return f"(log not readable: {error})"
    return "\n".join(lines[-line_count:])
