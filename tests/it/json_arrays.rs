//! Issue #21, item 6 beyond local disk: JSON array files (`[ {...}, ... ]`, ODCS
//! `delimiter: array`) read from `s3://` (moto on loopback) and `http(s)://` (a loopback HTTP
//! server speaking HEAD and ranged GET, as object stores do), with the layout told and the schema
//! inferred from a bounded first read; and an array file past DataFusion's file-splitting size.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};

use serde_json::Value;

const CONTRACT: &str = "apiVersion: v3.1.0
kind: DataContract
id: urn:test:json-arrays
name: json-arrays
version: 1.0.0
status: active
schema:
  - name: events
    properties:
      - name: id
        logicalType: integer
        required: true
        unique: true
      - name: kind
        logicalType: string
        logicalTypeOptions:
          pattern: '^[a-z]+$'
";

/// `n` events as one JSON array; every tenth `kind` breaks the pattern.
fn events(n: usize, pretty: bool) -> Vec<u8> {
    let items: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"id": {i}, "kind": "{}", "note": "{}"}}"#,
                if i % 10 == 0 { "BAD" } else { "click" },
                "x".repeat(40)
            )
        })
        .collect();
    let sep = if pretty { ",\n  " } else { "," };
    format!("[{}{}{}]\n", if pretty { "\n  " } else { "" }, items.join(sep), if pretty { "\n" } else { "" })
        .into_bytes()
}

fn check(dir: &std::path::Path, source: &[&str], env: &[(&str, &str)]) -> (Option<i32>, Value, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_contrakt"));
    cmd.args(["check", "c.odcs.yaml", "--format", "json", "--no-history"])
        .args(source)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG");
    for k in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_ENDPOINT", "AWS_PROFILE"] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code(), json, format!("{stdout}\n{stderr}"))
}

/// The rows read and the rows failing the pattern.
fn verdict(json: &Value, shown: &str) -> (u64, u64) {
    let report = &json["reports"][0];
    let rows = report["objects"][0]["rows"].as_u64().unwrap_or_else(|| panic!("no rows: {shown}"));
    let pattern = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "Q208" || r["id"].as_str().is_some_and(|id| id.contains("pattern")))
        .unwrap_or_else(|| panic!("no pattern result: {shown}"));
    (rows, pattern["failed_rows"].as_u64().unwrap())
}

#[test]
fn json_arrays_are_read_from_s3() {
    let (_server, endpoint) = crate::s3_loopback::start();
    crate::s3_loopback::put(&endpoint, "/lake", b"");
    crate::s3_loopback::put(&endpoint, "/lake/events/a.json", &events(300, true));
    crate::s3_loopback::put(&endpoint, "/lake/events/b.json", &events(200, false));
    // One file larger than the first read (8 MiB): its schema comes from its first records.
    crate::s3_loopback::put(&endpoint, "/lake/big/events.json", &events(150_000, false));
    let dir = tempfile::tempdir().unwrap();
    // As ODCS writes an S3 server holding JSON arrays.
    let servers = "servers:
  - server: lake
    type: s3
    location: s3://lake/events/
    format: json
    delimiter: array
  - server: big
    type: s3
    location: s3://lake/big/events.json
    format: json
    delimiter: array
";
    let contract = CONTRACT.replace("schema:\n", &format!("{servers}schema:\n"));
    std::fs::write(dir.path().join("c.odcs.yaml"), contract).unwrap();
    let env = [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
    ];
    let (code, json, shown) = check(dir.path(), &["--server", "lake"], &env);
    assert_eq!(code, Some(1), "{shown}");
    // The ids repeat across the two files (0..200): uniqueness fails too.
    assert_eq!(verdict(&json, &shown), (500, 50), "{shown}");
    let (code, json, shown) = check(dir.path(), &["--server", "big"], &env);
    assert_eq!(code, Some(1), "{shown}");
    assert_eq!(verdict(&json, &shown), (150_000, 15_000), "{shown}");
}

/// A loopback HTTP server for one file: HEAD, GET and ranged GET, each request kept.
struct FileServer {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

impl FileServer {
    fn start(path: &'static str, body: Vec<u8>) -> FileServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let kept = requests.clone();
        let body = Arc::new(body);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (kept, body) = (kept.clone(), body.clone());
                std::thread::spawn(move || serve(stream, path, &body, &kept));
            }
        });
        FileServer { port, requests }
    }
}

fn serve(stream: std::net::TcpStream, path: &str, body: &[u8], kept: &Mutex<Vec<String>>) {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line == "\r\n" => break,
                Ok(_) => head.push_str(&line),
            }
        }
        kept.lock().unwrap().push(head.clone());
        let mut words = head.split_whitespace();
        let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let range = head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            let spec = k.eq_ignore_ascii_case("range").then(|| v.trim().strip_prefix("bytes="))??;
            let (a, b) = spec.split_once('-')?;
            let a: usize = a.parse().ok()?;
            let b: usize = if b.is_empty() { body.len() - 1 } else { b.parse::<usize>().ok()?.min(body.len() - 1) };
            Some((a, b))
        });
        let common = "Last-Modified: Mon, 07 Dec 2026 00:00:00 GMT\r\nETag: \"v1\"\r\nAccept-Ranges: bytes\r\n";
        let reply = if target != path {
            out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").map(|_| ())
        } else if method == "HEAD" {
            out.write_all(format!("HTTP/1.1 200 OK\r\n{common}Content-Length: {}\r\n\r\n", body.len()).as_bytes())
        } else if let Some((a, b)) = range {
            let part = &body[a..=b];
            out.write_all(
                format!(
                    "HTTP/1.1 206 Partial Content\r\n{common}Content-Range: bytes {a}-{b}/{}\r\nContent-Length: {}\r\n\r\n",
                    body.len(),
                    part.len()
                )
                .as_bytes(),
            )
            .and_then(|_| out.write_all(part))
        } else {
            out.write_all(format!("HTTP/1.1 200 OK\r\n{common}Content-Length: {}\r\n\r\n", body.len()).as_bytes())
                .and_then(|_| out.write_all(body))
        };
        if reply.is_err() {
            return;
        }
        let _ = out.flush();
    }
}

#[test]
fn json_arrays_are_read_over_http() {
    let body = events(150_000, true);
    let size = body.len();
    assert!(size > 9 << 20, "the file is larger than the first read");
    let server = FileServer::start("/data/events.json", body);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.odcs.yaml"), CONTRACT).unwrap();
    let url = format!("events=http://127.0.0.1:{}/data/events.json", server.port);
    let (code, json, shown) = check(dir.path(), &["--data", &url], &[]);
    assert_eq!(code, Some(1), "{shown}");
    assert_eq!(verdict(&json, &shown), (150_000, 15_000), "{shown}");
    // The layout and schema came from a bounded first read, not a download of the whole file.
    let requests = server.requests.lock().unwrap().clone();
    assert!(
        requests.iter().any(|r| r.to_ascii_lowercase().contains("range: bytes=0-8388607")),
        "no bounded first read: {requests:#?}"
    );
}

#[test]
fn a_json_array_past_the_file_splitting_size_is_read_whole() {
    // DataFusion splits files over 10 MiB into byte ranges read in parallel, which an array
    // cannot be: the check reads it as one stream.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.odcs.yaml"), CONTRACT).unwrap();
    let body = events(150_000, false);
    assert!(body.len() > 10 << 20);
    std::fs::write(dir.path().join("events.json"), body).unwrap();
    let (code, json, shown) = check(dir.path(), &["--data", "events=events.json"], &[]);
    assert_eq!(code, Some(1), "{shown}");
    assert_eq!(verdict(&json, &shown), (150_000, 15_000), "{shown}");
}

#[test]
fn a_remote_json_file_whose_first_record_outgrows_the_first_read_is_refused() {
    // One record of 9 MiB: no whole record in the first 8 MiB, so no schema to read it by.
    let body = format!("[{{\"id\": 1, \"kind\": \"click\", \"note\": \"{}\"}}]", "x".repeat(9 << 20)).into_bytes();
    let server = FileServer::start("/data/events.json", body);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.odcs.yaml"), CONTRACT).unwrap();
    let url = format!("events=http://127.0.0.1:{}/data/events.json", server.port);
    let (code, _, shown) = check(dir.path(), &["--data", &url], &[]);
    assert_eq!(code, Some(2), "{shown}");
    assert!(shown.contains("holds no whole record in its first 8 MiB"), "{shown}");
}
