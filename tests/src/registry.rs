//! A private instance of the CNCF distribution registry (the same binary the cluster's registry
//! runs, built by `cargo xtask cluster up` from `tests/cluster/go/registry` into
//! `target/cluster/bin/registry`) for tests that stop a registry mid-push or need one to
//! themselves.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::token::TokenService;

/// How a registry from [`Registry::start_with_password_and_another_host`] sends clients to the
/// other host.
#[derive(Debug, Clone, Copy)]
pub enum AnotherHost {
    /// Reads of the blobs it has are redirected there, as by a registry behind a CDN or object
    /// store (distribution's `redirect` storage middleware).
    BlobReads,
    /// Every URL it makes names that host, upload locations included (distribution's
    /// `http.host`, as set to the wrong external address).
    Uploads,
}

/// A running registry, killed on drop.
pub struct Registry {
    /// `127.0.0.1:PORT` (`ADDRESS:PORT` for [`Registry::start_tls`]).
    pub host: String,
    address: String,
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// Config written after `http:`'s `addr` line: indented lines continue the `http:` section
    /// (`host:`), then `auth:` when the registry asks for credentials and `middleware:` when it
    /// redirects blob reads.
    extra: String,
    /// Processes the registry relies on (a blob store), killed with it.
    helpers: Vec<Child>,
    /// The token service of [`Registry::start_with_token_service`], stopped with it.
    token_service: Option<TokenService>,
}

/// A free port on the loopback `address`.
fn free_port(address: &str) -> u16 {
    TcpListener::bind((address, 0)).and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// Starts `tests/fixtures/NAME.py` with `args`, its stderr in `dir/NAME.err`.
fn python_fixture(dir: &Path, name: &str, args: &[&std::ffi::OsStr]) -> Child {
    Command::new("python3")
        .arg(crate::root().join(format!("tests/fixtures/{name}.py")))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(format!("{name}.err"))).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("python3 runs {name}.py: {e}"))
}

/// The registry `cargo xtask cluster up` built.
pub fn binary() -> PathBuf {
    let built = crate::root().join("target/cluster/bin/registry");
    assert!(built.is_file(), "{} was not built: run `cargo xtask cluster up`", built.display());
    built
}

impl Registry {
    /// Starts a registry on a free loopback port with its own storage.
    pub fn start() -> Self {
        Self::start_in(tempfile::tempdir().expect("registry dir"), String::new(), vec![])
    }

    fn start_in(dir: tempfile::TempDir, extra: String, helpers: Vec<Child>) -> Self {
        Self::start_at("127.0.0.1", dir, extra, helpers)
    }

    fn start_at(address: &str, dir: tempfile::TempDir, extra: String, helpers: Vec<Child>) -> Self {
        let port = free_port(address);
        let host = if address.contains(':') { format!("[{address}]:{port}") } else { format!("{address}:{port}") };
        let mut r = Registry {
            host,
            address: address.to_string(),
            port,
            dir,
            child: None,
            extra,
            helpers,
            token_service: None,
        };
        r.restart();
        r
    }

    /// Starts a registry serving HTTPS on `address` with this certificate and key (PEM), as a
    /// registry with its own certificate authority does (distribution's `http.tls`).
    pub fn start_tls(address: &str, cert_pem: &str, key_pem: &str) -> Self {
        let dir = tempfile::tempdir().expect("registry dir");
        let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
        std::fs::write(&cert, cert_pem).expect("certificate");
        std::fs::write(&key, key_pem).expect("key");
        let tls = format!("  tls:\n    certificate: {}\n    key: {}\n", cert.display(), key.display());
        Self::start_at(address, dir, tls, vec![])
    }

    /// Starts a registry that requires HTTP Basic credentials: the registry's own `htpasswd`
    /// access controller, with a bcrypt entry made by the system's crypt(3) through Python.
    pub fn start_with_password(user: &str, password: &str) -> Self {
        let dir = tempfile::tempdir().expect("registry dir");
        let auth = htpasswd_auth(dir.path(), user, password);
        Self::start_in(dir, auth, vec![])
    }

    /// Starts a registry like [`Registry::start_with_password`] that sends clients to a second
    /// host, as [`AnotherHost`] says: `tests/fixtures/blob-store.py` on 127.0.0.2, which serves
    /// the registry's storage read-only and logs each request's header names to
    /// [`Registry::blob_store_log`].
    pub fn start_with_password_and_another_host(user: &str, password: &str, how: AnotherHost) -> Self {
        let dir = tempfile::tempdir().expect("registry dir");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("storage dir");
        let store_port = free_port("127.0.0.2");
        let port = store_port.to_string();
        let log = dir.path().join("blob-store.log");
        let store = python_fixture(
            dir.path(),
            "blob-store",
            &["127.0.0.2".as_ref(), port.as_ref(), data.as_ref(), log.as_ref()],
        );
        wait_for_port("127.0.0.2", store_port, "the blob store");
        let other = format!("http://127.0.0.2:{store_port}");
        let auth = htpasswd_auth(dir.path(), user, password);
        let extra = match how {
            AnotherHost::BlobReads => format!(
                "{auth}middleware:\n  storage:\n    - name: redirect\n      options:\n        baseurl: {other}/\n"
            ),
            AnotherHost::Uploads => format!("  host: {other}\n{auth}"),
        };
        Self::start_in(dir, extra, vec![store])
    }

    /// What reached the blob store of [`Registry::start_with_password_and_another_host`]: one
    /// JSON line per request (method, path, header names).
    pub fn blob_store_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("blob-store.log")).unwrap_or_default()
    }

    /// Starts a registry that wants bearer tokens (distribution's `token` access controller) and
    /// the token service it names ([`TokenService`], ES256 tokens signed with its own
    /// certificate, granted to HTTP Basic `user:password` only), which logs its requests to
    /// `token-service.log` in [`Registry::dir`].
    pub fn start_with_token_service(user: &str, password: &str) -> Self {
        let dir = tempfile::tempdir().expect("registry dir");
        let service =
            TokenService::start(user, password, "kit-registry", "kit-issuer", dir.path().join("token-service.log"));
        let cert = dir.path().join("token-issuer.pem");
        std::fs::write(&cert, &service.certificate_pem).expect("issuer certificate");
        let auth = format!(
            "auth:\n  token:\n    realm: {}\n    service: kit-registry\n    issuer: kit-issuer\n    rootcertbundle: {}\n",
            service.realm,
            cert.display()
        );
        let mut r = Self::start_in(dir, auth, vec![]);
        r.token_service = Some(service);
        r
    }

    /// Storage and log directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// (Re)starts the registry process on the same port and storage.
    pub fn restart(&mut self) {
        let config = self.dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {}\n{}",
                self.dir.path().join("data").display(),
                self.host,
                self.extra
            ),
        )
        .expect("registry config");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("registry.log"))
            .expect("log");
        let child = Command::new(binary())
            .args(["serve", &config.display().to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("the registry starts");
        self.child = Some(child);
        wait_for_port(&self.address, self.port, "the registry");
    }

    /// Kills the registry at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.kill();
        for h in &mut self.helpers {
            let _ = h.kill();
            let _ = h.wait();
        }
    }
}

/// Waits up to 20 s for `what` to listen on `address:port`.
fn wait_for_port(address: &str, port: u16, what: &str) {
    crate::converge_ok(
        &format!("{what} listening on {address}:{port}"),
        Duration::from_secs(20),
        || std::net::TcpStream::connect((address, port)).map_err(|e| e.to_string()),
        |_| true,
    );
}

/// An `auth:` section for the registry's `htpasswd` access controller, with a bcrypt entry for
/// `user` made by the system's crypt(3) through Python, written under `dir`.
fn htpasswd_auth(dir: &Path, user: &str, password: &str) -> String {
    let out = Command::new("python3")
        .args([
            "-W",
            "ignore",
            "-c",
            "import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))",
            password,
        ])
        .output()
        .expect("python3 runs");
    let hash = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(out.status.success() && hash.starts_with("$2"), "no bcrypt from python3's crypt: {out:?}");
    let htpasswd = dir.join("htpasswd");
    std::fs::write(&htpasswd, format!("{user}:{hash}\n")).expect("htpasswd");
    format!("auth:\n  htpasswd:\n    realm: kit\n    path: {}\n", htpasswd.display())
}

/// crane (go-containerregistry), which `cargo xtask cluster up` builds into
/// `target/cluster/bin`: the tests' independent registry client. With `(host, "USER:PASSWORD")`
/// it reads credentials for that host from a Docker config of its own; without, from an empty
/// one (never the caller's). The configs live in `target/crane-config/`, one per credential.
pub fn crane(credentials: Option<(&str, &str)>) -> Command {
    use base64::Engine;
    let built = crate::root().join("target/cluster/bin/crane");
    assert!(built.is_file(), "{} was not built: run `cargo xtask cluster up`", built.display());
    let auths = match credentials {
        Some((host, creds)) => {
            serde_json::json!({ host: { "auth": base64::engine::general_purpose::STANDARD.encode(creds) } })
        }
        None => serde_json::json!({}),
    };
    let config = serde_json::json!({ "auths": auths }).to_string();
    let digest = ring::digest::digest(&ring::digest::SHA256, config.as_bytes());
    let name: String = digest.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect();
    let dir = crate::root().join("target/crane-config").join(name);
    std::fs::create_dir_all(&dir).expect("docker config dir");
    // Whole or not at all: tests running at once may write the same file.
    let tmp = dir.join(format!("config.json.{}.{:?}", std::process::id(), std::thread::current().id()));
    std::fs::write(&tmp, config).expect("config.json");
    std::fs::rename(&tmp, dir.join("config.json")).expect("config.json");
    let mut c = crate::scrubbed(built, &dir);
    c.env("DOCKER_CONFIG", dir);
    c
}
