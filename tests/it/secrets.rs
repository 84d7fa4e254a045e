//! Issue #18, hostile contracts: nothing leaked. A contract in a pull request is untrusted input
//! to a CI job holding cloud credentials.
//!
//! - A contract's S3 `endpointUrl` receives nothing (not one connection) unless the operator
//!   allows it with `CONTRAKT_ALLOW_CONTRACT_ENDPOINTS`; with the allow-list naming it, it does
//!   receive the request (so the first test can fail).
//! - An `http://` data URL is read without any credential attached.
//! - Credentials in `--data` URLs (signatures, tokens, `user:password@`) appear in no output, with
//!   `-v` or `--format json`, while the masked URL still says which data failed.
//!
//! Servers are plain TCP listeners on 127.0.0.1 that record what they receive.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::Run;

const FAKE_KEY_ID: &str = "AKIAFAKEKEYID0000018";
const FAKE_SECRET: &str = "fakeSecretAccessKeyForIssue18xxxxxxxxxxx";
const FAKE_TOKEN: &str = "fakeSessionTokenForIssue18";

/// A loopback listener that counts connections and keeps every byte it is sent; it answers each
/// request `404` and closes, so a client fails fast instead of retrying.
struct Listener {
    port: u16,
    connections: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Listener {
    fn start() -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (got, halt) = (connections.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let read = |mut stream: std::net::TcpStream| {
                stream.set_nonblocking(false).unwrap();
                stream.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
                let mut bytes = Vec::new();
                let mut buf = [0u8; 4096];
                // Up to the end of the request head (no body is expected).
                while !bytes.windows(4).any(|w| w == b"\r\n\r\n") && bytes.len() < 65_536 {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => bytes.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                bytes
            };
            let deadline = Instant::now() + Duration::from_secs(120);
            while !halt.load(Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let bytes = read(stream);
                        got.lock().unwrap().push(bytes);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
            // Stopped: a connection already queued (made by a process that has ended) is taken
            // too, so `finish` sees every connection made before it, with no wait.
            while let Ok((stream, _)) = listener.accept() {
                let bytes = read(stream);
                got.lock().unwrap().push(bytes);
            }
        });
        Listener { port, connections, stop, thread: Some(thread) }
    }

    fn received(&self) -> Vec<Vec<u8>> {
        self.connections.lock().unwrap().clone()
    }

    /// Stops listening and returns every connection made until now (queued ones included).
    fn finish(mut self) -> Vec<Vec<u8>> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.received()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

const CONTRACT_HEAD: &str = "apiVersion: v3.1.0\nkind: DataContract\nid: urn:contrakt:tests:orders\nname: Orders\nversion: \"1.0.0\"\nstatus: active\nschema:\n  - name: orders\n    physicalType: table\n    logicalType: object\n    properties:\n      - name: order_id\n        logicalType: string\n        required: true\n";

/// A contract whose only server is `s3://lake/orders/` at `endpoint`.
fn contract_with_endpoint(dir: &Path, endpoint: &str) {
    let servers = format!(
        "servers:\n  - server: lake\n    type: s3\n    path: s3://lake/orders/part-0.parquet\n    format: parquet\n    endpointUrl: {endpoint}\n"
    );
    std::fs::write(dir.join("c.yaml"), format!("{CONTRACT_HEAD}{servers}")).unwrap();
}

/// `contrakt ARGS` in `dir` with fake AWS credentials in the environment, no endpoint from it,
/// and `allow` as the endpoint allow-list.
fn check_with_aws(dir: &Path, args: &[&str], allow: Option<&str>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_contrakt"));
    cmd.args(args)
        .current_dir(dir)
        .env("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
        .env("AWS_SESSION_TOKEN", FAKE_TOKEN)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ALLOW_HTTP", "true")
        .env("NO_COLOR", "1")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT")
        .env_remove("AWS_PROFILE")
        .env_remove("RUST_LOG")
        .env_remove("CONTRAKT_LOG")
        .env_remove("CONTRAKT_ALLOW_CONTRACT_ENDPOINTS");
    if let Some(a) = allow {
        cmd.env("CONTRAKT_ALLOW_CONTRACT_ENDPOINTS", a);
    }
    let output = cmd.output().expect("run the contrakt binary");
    Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        dir: dir.to_path_buf(),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[track_caller]
fn assert_no_credentials(run: &Run) {
    for secret in [FAKE_SECRET, FAKE_TOKEN] {
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "{secret} shown\n{run}");
    }
}

#[test]
fn a_contract_endpoint_receives_nothing_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let listener = Listener::start();
    let endpoint = format!("http://127.0.0.1:{}", listener.port);
    contract_with_endpoint(dir.path(), &endpoint);
    for args in [&["check", "c.yaml"][..], &["check", "c.yaml", "-v", "--format", "json"]] {
        let run = check_with_aws(dir.path(), args, None);
        run.assert_exit(2);
        assert!(run.stderr.contains(&format!("endpointUrl {endpoint}")), "{run}");
        assert!(
            run.stderr.contains(&format!("CONTRAKT_ALLOW_CONTRACT_ENDPOINTS=127.0.0.1:{}", listener.port)),
            "the message says how to allow it\n{run}"
        );
        assert_no_credentials(&run);
    }
    // Beside a readable object, the refusal still stops the run.
    let items = "  - name: items\n    physicalType: table\n    logicalType: object\n    properties:\n      - name: sku\n        logicalType: string\n";
    let text =
        std::fs::read_to_string(dir.path().join("c.yaml")).unwrap().replace("servers:", &format!("{items}servers:"));
    std::fs::write(dir.path().join("two.yaml"), text).unwrap();
    std::fs::write(dir.path().join("items.csv"), "sku\na\n").unwrap();
    let two = check_with_aws(
        dir.path(),
        &["check", "two.yaml", "--object", "items", "--object", "orders", "--data", "items=items.csv"],
        None,
    );
    two.assert_exit(2);
    assert!(two.stderr.contains("CONTRAKT_ALLOW_CONTRACT_ENDPOINTS="), "{two}");
    // An allow-list naming another host refuses it too.
    let other = check_with_aws(dir.path(), &["check", "c.yaml"], Some("minio.internal:9000, http://127.0.0.1:1"));
    other.assert_exit(2);
    assert_eq!(listener.finish().len(), 0, "the contract's endpoint was contacted");
}

#[test]
fn an_allowed_contract_endpoint_receives_the_signed_request() {
    let dir = tempfile::tempdir().unwrap();
    let listener = Listener::start();
    let endpoint = format!("http://127.0.0.1:{}", listener.port);
    contract_with_endpoint(dir.path(), &endpoint);
    let allow = format!("127.0.0.1:{}", listener.port);
    let run = check_with_aws(dir.path(), &["check", "c.yaml"], Some(&allow));
    // The listener has no data: the check could not read it.
    run.assert_exit(2);
    assert_no_credentials(&run);
    let got = listener.received();
    assert!(!got.is_empty(), "the allowed endpoint received no request\n{run}");
    let request = String::from_utf8_lossy(&got[0]).to_ascii_lowercase();
    // Signed with the job's credentials: why a contract must not choose the endpoint.
    assert!(request.contains(&FAKE_KEY_ID.to_ascii_lowercase()), "{request}");
    assert!(request.contains("/lake/orders/part-0.parquet"), "{request}");
    // `*` allows any endpoint.
    let before = listener.received().len();
    check_with_aws(dir.path(), &["check", "c.yaml"], Some("*")).assert_exit(2);
    assert!(listener.received().len() > before);
}

#[test]
fn an_environment_endpoint_wins_over_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let contract_side = Listener::start();
    let operator_side = Listener::start();
    contract_with_endpoint(dir.path(), &format!("http://127.0.0.1:{}", contract_side.port));
    let output = Command::new(env!("CARGO_BIN_EXE_contrakt"))
        .args(["check", "c.yaml"])
        .current_dir(dir.path())
        .env("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{}", operator_side.port))
        .env_remove("CONTRAKT_ALLOW_CONTRACT_ENDPOINTS")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(!operator_side.received().is_empty(), "the operator's endpoint was not used");
    assert_eq!(contract_side.received().len(), 0, "the contract's endpoint was contacted");
}

#[test]
fn an_http_source_is_read_without_credentials() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.yaml"), CONTRACT_HEAD).unwrap();
    let listener = Listener::start();
    let url = format!("http://reader:SECRETPW@127.0.0.1:{}/x.parquet", listener.port);
    let run = check_with_aws(dir.path(), &["check", "c.yaml", "--data", &format!("orders={url}")], None);
    run.assert_exit(2);
    let got = listener.received();
    assert!(!got.is_empty(), "the HTTP source was not read\n{run}");
    for request in &got {
        let text = String::from_utf8_lossy(request);
        let lower = text.to_ascii_lowercase();
        for leak in [FAKE_KEY_ID, FAKE_SECRET, FAKE_TOKEN, "SECRETPW"] {
            assert!(!text.contains(leak), "{leak} sent to the HTTP source:\n{text}");
        }
        assert!(!lower.contains("\nauthorization:") && !lower.contains("\nx-amz-"), "{text}");
    }
    assert!(!run.stdout.contains("SECRETPW") && !run.stderr.contains("SECRETPW"), "{run}");
    assert!(run.stderr.contains("http://reader:***@127.0.0.1"), "{run}");
}

/// The masked form of each URL, and the secrets it must not show.
const SIGNED: (&str, &str, &[&str]) = (
    "https://127.0.0.1:1/x.parquet?X-Amz-Signature=SECRETSIG&token=SECRETTOK",
    "https://127.0.0.1:1/x.parquet?X-Amz-Signature=***&token=***",
    &["SECRETSIG", "SECRETTOK"],
);
const WITH_PASSWORD: (&str, &str, &[&str]) =
    ("https://user:SECRETPW@127.0.0.1:1/x.parquet", "https://user:***@127.0.0.1:1/x.parquet", &["SECRETPW"]);

#[test]
fn data_url_credentials_are_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    // A second, readable object: the report is printed, with the unreadable one in it.
    let items = "  - name: items\n    physicalType: table\n    logicalType: object\n    properties:\n      - name: sku\n        logicalType: string\n";
    std::fs::write(dir.path().join("c.yaml"), format!("{CONTRACT_HEAD}{items}")).unwrap();
    std::fs::write(dir.path().join("items.csv"), "sku\na\n").unwrap();
    std::fs::write(dir.path().join("one.yaml"), CONTRACT_HEAD).unwrap();
    for (url, masked, secrets) in [SIGNED, WITH_PASSWORD] {
        let data = format!("orders={url}");
        for args in [
            vec!["check", "one.yaml", "--data", &data, "-v"],
            vec!["check", "one.yaml", "--data", &data, "-vv", "--format", "json"],
            vec!["check", "c.yaml", "--data", &data, "--data", "items=items.csv", "-v"],
            vec!["check", "c.yaml", "--data", &data, "--data", "items=items.csv", "--format", "json"],
        ] {
            let run = check_with_aws(dir.path(), &args, None);
            // Nothing readable: the run could not happen (2); one object unreadable: a check
            // could not run (1).
            run.assert_exit(if args.contains(&"c.yaml") { 1 } else { 2 });
            let all = format!("{}{}", run.stdout, run.stderr);
            for s in secrets {
                assert!(!all.contains(s), "{s} shown\n{run}");
            }
            assert!(all.contains(masked), "the message names the masked URL {masked}\n{run}");
            // With no object readable there is no report, only the error on stderr; where a
            // report is printed, it names the data masked.
            if args.contains(&"json") && args.contains(&"c.yaml") {
                let json = run.json();
                let object = &json["reports"][0]["objects"][0];
                assert_eq!(object["source"], masked, "{json}");
                assert!(object["error"].as_str().unwrap().contains(masked), "{json}");
            }
        }
    }
}

#[test]
fn an_http_data_url_in_a_contract_is_fetched_only_from_an_allowed_host() {
    let dir = tempfile::tempdir().unwrap();
    let contract = |listener: &Listener| {
        let url = format!("http://127.0.0.1:{}/latest/meta-data/creds.csv", listener.port);
        let servers = format!("servers:\n  - server: meta\n    type: https\n    path: {url}\n    format: csv\n");
        std::fs::write(dir.path().join("c.yaml"), format!("{CONTRACT_HEAD}{servers}")).unwrap();
        format!("127.0.0.1:{}", listener.port)
    };
    let internal = Listener::start();
    let allow = contract(&internal);
    let refused = check_with_aws(dir.path(), &["check", "c.yaml"], None);
    refused.assert_exit(2);
    assert!(
        refused.stderr.contains("fetches an http(s) URL chosen by a contract only from a host the operator allows")
            && refused.stderr.contains(&format!("CONTRAKT_ALLOW_CONTRACT_ENDPOINTS={allow}")),
        "{refused}"
    );
    let other = check_with_aws(dir.path(), &["check", "c.yaml"], Some("data.example.com, 127.0.0.1:1"));
    other.assert_exit(2);
    assert_eq!(internal.finish().len(), 0, "the contract's URL was fetched");
    // Allowed by the operator: fetched.
    let allowed_host = Listener::start();
    let allow = contract(&allowed_host);
    let allowed = check_with_aws(dir.path(), &["check", "c.yaml"], Some(&allow));
    assert!(!allowed.stderr.contains("only from a host the operator allows"), "{allowed}");
    let got = allowed_host.finish();
    assert!(!got.is_empty(), "the allowed URL was not fetched\n{allowed}");
    assert!(got.iter().all(|r| String::from_utf8_lossy(r).contains("/latest/meta-data/creds.csv")));
}
