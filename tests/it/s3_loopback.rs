//! `contrakt check` on data in S3, against a real S3-compatible server on loopback: moto's
//! server (PyPI `moto[server]`, pinned in `tests/requirements.txt`), started by the test on a
//! free port. It comes from the test venv ([`crate::test_python`]), or `CONTRAKT_MOTO_SERVER`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use crate::repo;

fn moto_server() -> PathBuf {
    if let Some(p) = std::env::var_os("CONTRAKT_MOTO_SERVER") {
        return PathBuf::from(p);
    }
    crate::test_python().with_file_name("moto_server")
}

pub(crate) struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts moto on a free loopback port and waits until it answers.
pub(crate) fn start() -> (Server, String) {
    // moto takes the port it is given: started again on another if one was taken meanwhile.
    let (child, ports) = crate::spawn_listening(
        "moto_server",
        1,
        |p| {
            Command::new(moto_server())
                .args(["-H", "127.0.0.1", "-p", &p[0].to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start moto_server")
        },
        |_| true,
    );
    (Server(child), format!("http://127.0.0.1:{}", ports[0]))
}

/// Plain HTTP PUTs (moto accepts unsigned requests): create the bucket, upload the objects.
pub(crate) fn put(endpoint: &str, path: &str, body: &[u8]) {
    use std::io::{Read, Write};
    let addr = endpoint.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "PUT {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())
        .unwrap();
    s.write_all(body).unwrap();
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 200") || reply.starts_with("HTTP/1.0 200"), "PUT {path}: {reply}");
}

#[test]
fn checks_data_in_s3_on_a_loopback_server() {
    let (_server, endpoint) = start();
    put(&endpoint, "/lake", b"");
    let orders = std::fs::read(repo().join("fixtures/data/orders/orders.parquet")).unwrap();
    put(&endpoint, "/lake/orders/part-0.parquet", &orders);
    let customers = std::fs::read(repo().join("fixtures/data/customers/synthetic-customers.parquet")).unwrap();
    put(&endpoint, "/lake/customers/part-0.parquet", &customers);
    let dir = tempfile::tempdir().unwrap();
    let contract = std::fs::read_to_string(repo().join("contracts/orders.odcs.yaml")).unwrap();
    std::fs::write(dir.path().join("orders.odcs.yaml"), contract).unwrap();

    let env = |cmd: &mut Command| {
        cmd.env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "s3cr3t-never-printed")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_ALLOW_HTTP", "true");
    };
    let run = |args: &[&str], with_env: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_contrakt"));
        cmd.args(args).current_dir(dir.path()).env("NO_COLOR", "1").env_remove("RUST_LOG");
        for k in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_ENDPOINT", "AWS_PROFILE"] {
            cmd.env_remove(k);
        }
        if with_env {
            env(&mut cmd);
        }
        cmd.output().unwrap()
    };
    let out = run(
        &[
            "check",
            "orders.odcs.yaml",
            "--data",
            "orders=s3://lake/orders/",
            "--now",
            "2026-11-22T06:00:00Z",
            "--format",
            "json",
        ],
        true,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let results = json["reports"][0]["results"].as_array().unwrap();
    let by_id = |id: &str| results.iter().find(|r| r["id"] == id).unwrap_or_else(|| panic!("{id}"));
    // The same known findings as on local disk.
    assert_eq!(by_id("orders_status_valid")["failed_rows"], 3);
    assert_eq!(by_id("orders.order_id.unique")["failed_rows"], 1);
    assert_eq!(json["reports"][0]["objects"][0]["rows"], 10200);
    assert!(!stdout.contains("s3cr3t") && !stderr.contains("s3cr3t"));

    // A bucket that does not exist: the run cannot happen, and says where.
    let missing = run(&["check", "orders.odcs.yaml", "--data", "orders=s3://nope/orders/"], true);
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot read the data of `orders` at s3://nope/orders/"), "{stderr}");
    assert!(!stderr.contains("s3cr3t"), "{stderr}");
}
