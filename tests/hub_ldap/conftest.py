"""A real OpenLDAP server (Debian ``slapd``) with a Landratsamt test directory, and a real
JupyterHub (with ``configurable-http-proxy`` from npm) that logs in against it.

Everything listens on 127.0.0.1 on free ports, lives in temporary folders and is stopped by
the fixtures (process groups, SIGTERM, then SIGKILL after a grace period). Without
``slapd`` the tests skip with a clear message – except under CI (env ``CI`` set), where a
missing ``slapd`` fails them (``.ci/run`` installs it).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

PROJECT_DIR = Path(__file__).resolve().parents[2]
SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
CHP = PROJECT_DIR / "node_modules" / ".bin" / "configurable-http-proxy"

SUFFIX = "dc=lra-test,dc=de"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-" + secrets.token_hex(8)
SERVICE_DN = f"cn=svc-jupyterhub,ou=Dienstkonten,{SUFFIX}"
SERVICE_PASSWORD = "Dienst-" + secrets.token_hex(8)
GROUPS_BASE = f"ou=Gruppen,{SUFFIX}"
PEOPLE_BASE = f"ou=Mitarbeitende,{SUFFIX}"


@dataclass(frozen=True)
class Person:
    uid: str
    password: str
    directory_groups: tuple[str, ...]


# Directory groups (cn) → workbench group, as a Landratsamt would map them.
MAPPING = {
    "GG-Integration-Leitung": "leitung",
    "GG-Integration-Sachsenheim": "traeger-sachsenheim",
    "GG-Integration-Ludwigsburg": "traeger-ludwigsburg",
    "GG-Kreis-Integration": "kreis-integration",
    "GG-Integration-Analyse": "analyse",
    "GG-Werkbank-Admin": "admin",
}
PEOPLE = {
    "lleitner": Person("lleitner", "Leitung-2026!", ("GG-Integration-Leitung",)),
    "sredakteur": Person("sredakteur", "Sachsen-heim#1", ("GG-Integration-Sachsenheim",)),
    "kbeauftragt": Person(
        "kbeauftragt", "Kreis+Integration7", ("GG-Kreis-Integration", "GG-Integration-Analyse")
    ),
    "wadmin": Person("wadmin", "Admin-Werkbank9", ("GG-Werkbank-Admin",)),
    # In a directory group that is not mapped: the bind works, the hub must refuse.
    "kkantine": Person("kkantine", "Kantine-Plan3", ("GG-Kantine",)),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_slapd() -> None:
    missing = [p for p in (SLAPD, SLAPADD) if not Path(p).exists()]
    if not missing and (MODULE_DIR / "back_mdb.so").exists():
        return
    message = (
        f"{', '.join(missing) or 'back_mdb'} fehlt: die LDAP-Tests brauchen Debians slapd "
        "(apt-get install slapd ldap-utils; .ci/run installiert sie)"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def require_proxy() -> None:
    if CHP.exists():
        return
    message = f"{CHP} fehlt: npm ci im Projektverzeichnis (scripts/setup.sh) installiert ihn"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def ssha(password: str) -> str:
    """``{SSHA}`` as slappasswd writes it: SHA-1 over password + salt, salt appended."""
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def directory_ldif() -> str:
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: lra-test\n"
        "o: Landratsamt Test",
        f"dn: {PEOPLE_BASE}\nobjectClass: organizationalUnit\nou: Mitarbeitende",
        f"dn: {GROUPS_BASE}\nobjectClass: organizationalUnit\nou: Gruppen",
        f"dn: ou=Dienstkonten,{SUFFIX}\nobjectClass: organizationalUnit\nou: Dienstkonten",
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: svc-jupyterhub\nuserPassword: {ssha(SERVICE_PASSWORD)}",
    ]
    for person in PEOPLE.values():
        entries.append(
            f"dn: uid={person.uid},{PEOPLE_BASE}\nobjectClass: inetOrgPerson\n"
            f"uid: {person.uid}\ncn: {person.uid}\nsn: {person.uid}\n"
            f"userPassword: {ssha(person.password)}"
        )
    for cn in [*MAPPING, "GG-Kantine"]:
        members = [p.uid for p in PEOPLE.values() if cn in p.directory_groups]
        # groupOfNames needs at least one member: an empty group holds the service account.
        lines = [f"member: uid={m},{PEOPLE_BASE}" for m in members] or [f"member: {SERVICE_DN}"]
        entries.append(
            f"dn: cn={cn},{GROUPS_BASE}\nobjectClass: groupOfNames\ncn: {cn}\n" + "\n".join(lines)
        )
    return "\n\n".join(entries) + "\n"


def write_tls_files(folder: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate for 127.0.0.1 (for the LDAPS test)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test-CA Landratsamt")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    return ca_file, cert_file, key_file


@dataclass
class Slapd:
    port: int
    ldaps_port: int
    ca_file: Path
    folder: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def admin_connection(self):
        import ssl

        import ldap3

        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(self.ca_file))
        return ldap3.Connection(
            ldap3.Server("127.0.0.1", port=self.ldaps_port, use_ssl=True, tls=tls),
            user=ROOT_DN,
            password=ROOT_PASSWORD,
            auto_bind=ldap3.AUTO_BIND_NO_TLS,
        )

    def set_members(self, cn: str, uids: list[str]) -> None:
        """Replace a group's members (as an AD admin would in "Active Directory-Benutzer")."""
        import ldap3

        members = [f"uid={u},{PEOPLE_BASE}" for u in uids] or [SERVICE_DN]
        conn = self.admin_connection()
        try:
            ok = conn.modify(
                f"cn={cn},{GROUPS_BASE}", {"member": [(ldap3.MODIFY_REPLACE, members)]}
            )
            assert ok, conn.result
        finally:
            conn.unbind()


def stop_group(process: subprocess.Popen, grace: float = 15) -> None:
    """SIGTERM to the process group, SIGKILL to what is left after ``grace`` seconds."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # children the leader left behind
    except ProcessLookupError:
        pass
    process.wait(timeout=5)


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"Prozess beendet (Code {process.returncode}):\n{log.read_text()[-4000:]}"
            )
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"Port {port} nicht erreichbar nach {timeout} s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    require_slapd()
    folder = tmp_path_factory.mktemp("slapd")
    (folder / "db").mkdir()
    ca_file, cert_file, key_file = write_tls_files(folder)
    # Users read only what they need; userPassword is never readable (auth only).
    conf = folder / "slapd.conf"
    schemas = ("core", "cosine", "inetorgperson", "nis")
    lines = [f"include {SCHEMA_DIR / name}.schema" for name in schemas]
    lines += [
        f"modulepath {MODULE_DIR}",
        "moduleload back_mdb",
        f"pidfile {folder / 'slapd.pid'}",
        f"TLSCACertificateFile {ca_file}",
        f"TLSCertificateFile {cert_file}",
        f"TLSCertificateKeyFile {key_file}",
        # Like a hardened domain controller: no password travels in plain text, so the
        # tests also prove that the hub's binds are encrypted (LDAPS / STARTTLS).
        "security simple_bind=128",
        "database mdb",
        "maxsize 16777216",
        f'suffix "{SUFFIX}"',
        f'rootdn "{ROOT_DN}"',
        f"rootpw {ssha(ROOT_PASSWORD)}",
        f"directory {folder / 'db'}",
        "access to attrs=userPassword by self =xw by anonymous auth by * none",
        "access to * by users read by * none",
    ]
    conf.write_text("\n".join(lines) + "\n")
    (folder / "directory.ldif").write_text(directory_ldif())
    loaded = subprocess.run(
        [SLAPADD, "-f", str(conf), "-l", str(folder / "directory.ldif")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert loaded.returncode == 0, f"slapadd: {loaded.stderr}"
    port, ldaps_port = free_port(), free_port()
    log = folder / "slapd.log"
    with log.open("wb") as out:
        # -d 0: stay in the foreground (no fork), so the fixture owns the process.
        process = subprocess.Popen(
            [
                SLAPD,
                "-f", str(conf),
                "-h", f"ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{ldaps_port}/",
                "-d", "0",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port(port, process, log, 30)
        wait_for_port(ldaps_port, process, log, 30)
        yield Slapd(port, ldaps_port, ca_file, folder, process)
    finally:
        stop_group(process)


@dataclass
class Hub:
    url: str
    token: str
    folder: Path
    process: subprocess.Popen
    log: Path

    def api(self, path: str) -> dict:
        response = requests.get(
            f"{self.url}/hub/api{path}",
            headers={"Authorization": f"token {self.token}"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def login(hub: Hub, username: str, password: str) -> tuple[requests.Session, requests.Response]:
    """Log in like a browser: the login page sets the _xsrf cookie, the form posts it back."""
    session = requests.Session()
    page = session.get(f"{hub.url}/hub/login", timeout=10)
    page.raise_for_status()
    match = re.search(r'name="_xsrf"\s+value="([^"]+)"', page.text)
    assert match, "Anmeldeseite ohne _xsrf-Feld"
    response = session.post(
        f"{hub.url}/hub/login",
        data={"username": username, "password": password, "_xsrf": match.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    return session, response


def start_hub(folder: Path, toml_text: str, *, extra: str = "") -> Hub:
    """Start ``jupyterhub`` with :func:`workbench.hub_ldap.configure_ldap` on free ports."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hub.toml").write_text(toml_text)
    login_config = textwrap.dedent(
        f"""\
        from pathlib import Path

        from workbench.hub_ldap import configure_ldap, load_ldap_settings

        configure_ldap(c, load_ldap_settings(Path({str(folder / "hub.toml")!r})))
        """
    )
    return start_plain_hub(folder, login_config, extra=extra)


def start_plain_hub(folder: Path, login_config: str, *, extra: str = "",
                    scopes: tuple[str, ...] = ("admin:users", "admin:groups")) -> Hub:
    """Start plain ``jupyterhub`` (proxy from npm, free loopback ports) whose login is set up
    by the Python lines ``login_config`` (``c`` is the config); a service token with
    ``scopes`` reads users and groups through the REST API for the test."""
    require_proxy()
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(32)
    port, hub_port, api_port = free_port(), free_port(), free_port()
    (folder / "jupyterhub_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        + login_config
        + textwrap.dedent(
            f"""\
            c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
            c.JupyterHub.hub_ip = "127.0.0.1"
            c.JupyterHub.hub_port = {hub_port}
            c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
            c.ConfigurableHTTPProxy.command = [{str(CHP)!r}]
            c.JupyterHub.db_url = "sqlite:///{folder / "hub.sqlite"}"
            c.JupyterHub.cookie_secret_file = {str(folder / "cookie_secret")!r}
            c.JupyterHub.pid_file = {str(folder / "hub.pid")!r}
            c.JupyterHub.log_level = "DEBUG"
            # The test reads users and groups through the REST API with this token.
            c.JupyterHub.services = [{{"name": "pruefung", "api_token": {token!r}}}]
            c.JupyterHub.load_roles = [
                {{"name": "pruefung", "scopes": {list(scopes)!r},
                  "services": ["pruefung"]}},
            ]
            """
        )
        + extra
    )
    log = folder / "hub.log"
    env = {**os.environ, "PATH": f"{CHP.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(folder / "jupyterhub_config.py")],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    hub = Hub(f"http://127.0.0.1:{port}", token, folder, process, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterHub beendet:\n{hub.log_text()[-6000:]}")
            try:
                if requests.get(f"{hub.url}/hub/api", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterHub startet nicht:\n{hub.log_text()[-6000:]}")
            time.sleep(0.2)
    except BaseException:
        stop_group(process)
        raise
    return hub


def ldap_toml(
    slapd: Slapd, folder: Path, *, mode: str, refresh: int = 300, ca_file: Path | None = None
) -> str:
    """The ``[ldap]`` section a Landratsamt would write, pointed at the test server."""
    groups = "\n".join(f'"CN={cn}" = "{group}"' for cn, group in MAPPING.items())
    if mode == "dienstkonto-ldaps":
        (folder / "dienstkonto.passwort").write_text(SERVICE_PASSWORD + "\n")
        (folder / "dienstkonto.passwort").chmod(0o600)
        how = textwrap.dedent(
            f"""\
            tls = "ldaps"
            port = {slapd.ldaps_port}
            ca_zertifikat = "{ca_file or slapd.ca_file}"
            dienstkonto_dn = "{SERVICE_DN}"
            dienstkonto_passwort_datei = "dienstkonto.passwort"
            benutzer_suchbasis = "{PEOPLE_BASE}"
            benutzer_attribut = "uid"
            """
        )
    elif mode == "vorlage-starttls":
        how = textwrap.dedent(
            f"""\
            tls = "starttls"
            port = {slapd.port}
            ca_zertifikat = "{ca_file or slapd.ca_file}"
            bind_dn_vorlage = "uid={{username}},{PEOPLE_BASE}"
            """
        )
    else:
        raise ValueError(mode)
    return (
        f'[ldap]\nserver = "127.0.0.1"\n{how}'
        f'gruppen_suchbasis = "{GROUPS_BASE}"\naktualisierung_sekunden = {refresh}\n'
        f'gruppen_filter = "(member={{userdn}})"\n\n[ldap.gruppen]\n{groups}\n'
    )
