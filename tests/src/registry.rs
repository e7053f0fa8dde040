//! A private instance of the CNCF distribution registry (Debian's `docker-registry`, the same
//! binary the cluster's registry runs) for tests that stop a registry mid-push or need one
//! to themselves.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running registry, killed on drop.
pub struct Registry {
    /// `127.0.0.1:PORT`.
    pub host: String,
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// An `auth:` section for the config, when the registry asks for credentials.
    auth: String,
    /// The token service the registry sends clients to, when it wants bearer tokens.
    token_service: Option<Child>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
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
        Self::start_in(tempfile::tempdir().expect("registry dir"), String::new())
    }

    fn start_in(dir: tempfile::TempDir, auth: String) -> Self {
        let port = free_port();
        let mut r = Registry { host: format!("127.0.0.1:{port}"), port, dir, child: None, auth, token_service: None };
        r.restart();
        r
    }

    /// Starts a registry that requires HTTP Basic credentials: the registry's own `htpasswd`
    /// access controller, with a bcrypt entry made by the system's crypt(3) through Python.
    pub fn start_with_password(user: &str, password: &str) -> Self {
        let dir = tempfile::tempdir().expect("registry dir");
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
        let htpasswd = dir.path().join("htpasswd");
        std::fs::write(&htpasswd, format!("{user}:{hash}\n")).expect("htpasswd");
        let auth = format!("auth:\n  htpasswd:\n    realm: kit\n    path: {}\n", htpasswd.display());
        Self::start_in(dir, auth)
    }

    /// Starts a registry that wants bearer tokens (distribution's `token` access controller) and
    /// the token service it names: `tests/fixtures/token-server.py`, which grants a token signed
    /// with its own certificate to HTTP Basic `user:password` only.
    pub fn start_with_token_service(user: &str, password: &str) -> Self {
        let dir = tempfile::tempdir().expect("registry dir");
        let cert = dir.path().join("token-issuer.pem");
        let token_port = free_port();
        let script = crate::root().join("tests/fixtures/token-server.py");
        let log = dir.path().join("token-service.log");
        let mut service = Command::new("python3")
            .arg(&script)
            .args([&token_port.to_string(), user, password])
            .args([&cert, Path::new("kit-registry"), Path::new("kit-issuer"), &log])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("token-service.err")).expect("stderr file"))
            .spawn()
            .expect("python3 runs the token service");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !cert.exists() {
            let exited = service.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                let err = std::fs::read_to_string(dir.path().join("token-service.err")).unwrap_or_default();
                panic!("the token service did not start ({exited:?}): {err}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let auth = format!(
            "auth:\n  token:\n    realm: http://127.0.0.1:{token_port}/token\n    service: kit-registry\n    issuer: kit-issuer\n    rootcertbundle: {}\n",
            cert.display()
        );
        let mut r = Self::start_in(dir, auth);
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
                "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{}\n{}",
                self.dir.path().join("data").display(),
                self.port,
                self.auth
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
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "registry on {} did not start", self.host);
            std::thread::sleep(Duration::from_millis(50));
        }
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
        if let Some(mut t) = self.token_service.take() {
            let _ = t.kill();
            let _ = t.wait();
        }
    }
}
