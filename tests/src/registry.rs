//! A private instance of the CNCF distribution registry (Debian's `docker-registry`, the same
//! binary the cluster's registry runs) for tests that stop a registry mid-push or need one
//! to themselves.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
    /// Processes the registry relies on (a token service, a blob store), killed with it.
    helpers: Vec<Child>,
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

fn binary() -> PathBuf {
    ["docker-registry", "registry"]
        .iter()
        .find_map(|b| which::which(b).ok())
        .expect("docker-registry is installed (apt-get install docker-registry)")
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
        let mut r = Registry { host, address: address.to_string(), port, dir, child: None, extra, helpers };
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
    /// the token service it names: `tests/fixtures/token-server.py`, which grants a token signed
    /// with its own certificate to HTTP Basic `user:password` only.
    pub fn start_with_token_service(user: &str, password: &str) -> Self {
        let dir = tempfile::tempdir().expect("registry dir");
        let cert = dir.path().join("token-issuer.pem");
        let token_port = free_port("127.0.0.1").to_string();
        let log = dir.path().join("token-service.log");
        let args: [&std::ffi::OsStr; 7] = [
            token_port.as_ref(),
            user.as_ref(),
            password.as_ref(),
            cert.as_ref(),
            "kit-registry".as_ref(),
            "kit-issuer".as_ref(),
            log.as_ref(),
        ];
        let mut service = python_fixture(dir.path(), "token-server", &args);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !cert.exists() {
            let exited = service.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                let err = std::fs::read_to_string(dir.path().join("token-server.err")).unwrap_or_default();
                panic!("the token service did not start ({exited:?}): {err}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let auth = format!(
            "auth:\n  token:\n    realm: http://127.0.0.1:{token_port}/token\n    service: kit-registry\n    issuer: kit-issuer\n    rootcertbundle: {}\n",
            cert.display()
        );
        Self::start_in(dir, auth, vec![service])
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
            .expect("docker-registry starts");
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
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect((address, port)).is_err() {
        assert!(Instant::now() < deadline, "{what} on {address}:{port} did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
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
