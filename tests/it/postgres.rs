//! A real PostgreSQL server on loopback for the tests that need one (history store, DDL export,
//! warehouse pushdown). One server per test binary, started on first use:
//!
//! - `CONTRAKT_PG_URL` (e.g. `postgres://user:pass@127.0.0.1:5432/postgres`) names a server to
//!   use instead; each test still gets a database of its own on it.
//! - Otherwise the harness runs `initdb` and `postgres` from `CONTRAKT_PG_BIN`, or the newest
//!   `/usr/lib/postgresql/*/bin` (Debian's `postgresql` package, which `.ci/run` installs), or
//!   `PATH`, into a temporary folder, on a free port of 127.0.0.1, with trust authentication for
//!   the user `contrakt`. As root it runs them as the `postgres` user (PostgreSQL refuses root).
//!   `setpriv --pdeathsig` ties the server's life to the test binary's, so none is left behind.
//!
//! A test that needs PostgreSQL fails with a message saying how to provide one; it never skips.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A PostgreSQL server the tests may create databases on.
pub struct Postgres {
    /// The URL of its maintenance database, with credentials.
    admin_url: String,
    psql: PathBuf,
}

static SERVER: OnceLock<Postgres> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// The server, started on first use.
pub fn server() -> &'static Postgres {
    SERVER.get_or_init(|| match std::env::var("CONTRAKT_PG_URL") {
        Ok(url) if !url.is_empty() => {
            let psql = bin_dir().map(|d| d.join("psql")).filter(|p| p.exists()).unwrap_or_else(|| "psql".into());
            Postgres { admin_url: url, psql }
        }
        _ => start(),
    })
}

impl Postgres {
    /// Creates an empty database of its own for one test and returns its URL.
    pub fn create_database(&self, hint: &str) -> String {
        let n = DATABASES.fetch_add(1, Ordering::Relaxed);
        let clean: String = hint.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(40).collect();
        let name = format!("t_{}_{}_{n}", clean.to_ascii_lowercase(), std::process::id());
        self.psql(&self.admin_url, &format!("CREATE DATABASE {name}"));
        database_url(&self.admin_url, &name)
    }

    /// Runs SQL through `psql` on the database at `url`; returns its unaligned, tuples-only
    /// output. Panics with psql's message when the SQL fails.
    pub fn psql(&self, url: &str, sql: &str) -> String {
        let out = Command::new(&self.psql)
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.psql.display()));
        assert!(out.status.success(), "psql failed on {sql:?}:\n{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }
}

/// `url` with its database (the last path segment) replaced by `name`.
fn database_url(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CONTRAKT_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("postgres").exists())
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find(|d| d.join("initdb").exists() && d.join("postgres").exists())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// A command run as the `postgres` user when we are root, and killed when this process dies.
fn command(program: &Path, as_postgres: bool, pdeathsig: bool) -> Command {
    let setpriv = Path::new("/usr/bin/setpriv");
    if !(as_postgres || pdeathsig) || !setpriv.exists() {
        assert!(!as_postgres, "running PostgreSQL as root needs setpriv (util-linux)");
        return Command::new(program);
    }
    let mut c = Command::new(setpriv);
    if as_postgres {
        c.args(["--reuid=postgres", "--regid=postgres", "--init-groups"]);
    }
    if pdeathsig {
        // SIGQUIT is PostgreSQL's immediate shutdown: the postmaster takes its backends with it.
        c.arg("--pdeathsig=QUIT");
    }
    c.arg(program);
    c
}

/// Data folders of earlier test binaries that have exited (their servers died with them).
fn remove_stale_servers() {
    for entry in std::fs::read_dir(std::env::temp_dir()).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("contrakt-pg-")) else { continue };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn start() -> Postgres {
    let bin = bin_dir().unwrap_or_else(|| {
        panic!(
            "these tests need PostgreSQL: install Debian's `postgresql` package (.ci/run does), \
             set CONTRAKT_PG_BIN to a folder holding initdb and postgres, or CONTRAKT_PG_URL to a server"
        )
    });
    let root = is_root();
    remove_stale_servers();
    let dir = std::env::temp_dir().join(format!("contrakt-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    if root {
        let ok = Command::new("chown").args(["postgres:postgres"]).arg(&dir).status().is_ok_and(|s| s.success());
        assert!(ok, "cannot hand {} to the postgres user", dir.display());
    }
    let data = dir.join("data");
    let out = command(&bin.join("initdb"), root, false)
        .args(["-D"])
        .arg(&data)
        .args(["-U", "contrakt", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        .output()
        .expect("run initdb");
    assert!(out.status.success(), "initdb failed:\n{}", String::from_utf8_lossy(&out.stderr));

    let psql = bin.join("psql");
    let psql = if psql.exists() { psql } else { "psql".into() };
    // PostgreSQL binds the port it is given: on a port taken between the pick and its bind it
    // exits, and is started again on another; it is ready once it answers and holds the port.
    let mut port = 0;
    let mut why = String::new();
    for _ in 0..3 {
        port = crate::free_ports(1)[0];
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        if root {
            let _ = Command::new("chown").args(["postgres:postgres"]).arg(dir.join("server.log")).status();
        }
        let mut postgres = command(&bin.join("postgres"), root, true);
        postgres
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .args(["-c", "max_connections=200", "-c", "synchronous_commit=off", "-k"])
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        // The parent-death signal fires when the spawning *thread* ends, so spawn from a thread
        // that lives as long as the process; it says when the server started and when it ended.
        let (tx, rx) = std::sync::mpsc::channel::<Result<Option<u32>, std::io::Error>>();
        std::thread::spawn(move || match postgres.spawn() {
            Ok(mut child) => {
                let _ = tx.send(Ok(Some(child.id())));
                let _ = child.wait();
                let _ = tx.send(Ok(None));
                loop {
                    std::thread::park();
                }
            }
            Err(e) => tx.send(Err(e)).unwrap(),
        });
        let pid = rx.recv().unwrap().expect("start postgres").expect("a process id");
        let admin_url = format!("postgres://contrakt@127.0.0.1:{port}/postgres");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Ok(None)) = rx.try_recv() {
                why = format!(
                    "PostgreSQL exited before listening on {port}; its log:\n{}",
                    std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
                );
                break;
            }
            let ready = crate::listens(pid, port)
                && Command::new(&psql)
                    .args(["-X", "-q", "-A", "-t", "-d", &admin_url, "-c", "SELECT 1"])
                    .output()
                    .is_ok_and(|o| o.status.success());
            if ready {
                return Postgres { admin_url, psql };
            }
            assert!(
                Instant::now() < deadline,
                "PostgreSQL did not start on port {port}; its log:\n{}",
                std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("{why}; starting it again on another port");
    }
    panic!("{why} (three times, last on port {port})")
}

#[test]
fn a_database_of_its_own_takes_sql() {
    let pg = server();
    let a = pg.create_database("harness");
    let b = pg.create_database("harness");
    assert_ne!(a, b);
    pg.psql(&a, "CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2)");
    assert_eq!(pg.psql(&a, "SELECT sum(x) FROM t").trim(), "3");
    // The other database does not see the table.
    let out = Command::new(&pg.psql).args(["-X", "-q", "-d", &b, "-c", "SELECT * FROM t"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn database_urls_keep_credentials_and_options() {
    assert_eq!(database_url("postgres://u:p@h:1/postgres", "x"), "postgres://u:p@h:1/x");
    assert_eq!(database_url("postgres://u@h:1/postgres?sslmode=disable", "x"), "postgres://u@h:1/x?sslmode=disable");
    assert_eq!(database_url("postgres://u@h:1", "x"), "postgres://u@h:1/x");
}
