//! Azure Blob Storage / ADLS Gen2 (`az://`, `abfss://`): no Azure server can be installed here
//! (Azurite is npm-only), so these tests check what contrakt decides before and around a
//! request, against a loopback listener that records what it is sent and answers as Azure does
//! to a bad key (403): which account and credentials from the environment sign the request, where
//! it goes, that a missing account is a precise error, and that no credential is ever printed.
//! Reading real data from Azure is not tested (docs/engines.md).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

const HEAD: &str = "apiVersion: v3.1.0\nkind: DataContract\nid: urn:test:azure\nversion: 1.0.0\nstatus: active\nschema:\n  - name: t\n    properties:\n      - name: id\n        logicalType: integer\n";

/// The account key: base64, as Azure's are; it must appear in no output.
const KEY: &str = "c2VjcmV0LWF6dXJlLWtleS1uZXZlci1wcmludGVk";
const SAS: &str = "sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig=S3cr3tSasSignatureNeverPrinted";

/// One recorded request: its request line and headers, lower-cased names.
#[derive(Debug)]
struct Request {
    line: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// A listener on loopback answering every request with Azure's 403 `AuthenticationFailed`,
/// and the requests it got.
fn azure_stub() -> (String, mpsc::Receiver<Request>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(50) {
            let Ok(mut stream) = stream else { continue };
            stream.set_read_timeout(Some(std::time::Duration::from_secs(5))).ok();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut headers = Vec::new();
            let mut length = 0usize;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
                if let Some((n, v)) = h.trim().split_once(':') {
                    let (n, v) = (n.trim().to_ascii_lowercase(), v.trim().to_string());
                    if n == "content-length" {
                        length = v.parse().unwrap_or(0);
                    }
                    headers.push((n, v));
                }
            }
            let mut body = vec![0; length.min(1 << 20)];
            let _ = reader.read_exact(&mut body);
            let _ = tx.send(Request { line: line.trim().to_string(), headers });
            let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.</Message></Error>";
            let _ = write!(
                stream,
                "HTTP/1.1 403 Server failed to authenticate the request.\r\nContent-Type: application/xml\r\nx-ms-error-code: AuthenticationFailed\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (endpoint, rx)
}

/// `contrakt check` of `data` with only the given Azure variables in the environment.
fn check(data: &str, env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.yaml"), HEAD).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_contrakt"));
    cmd.args(["check", "c.yaml", "--data", &format!("t={data}"), "--format", "json", "-v"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG");
    for (k, _) in std::env::vars() {
        if k.starts_with("AZURE_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().unwrap();
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
    for secret in [KEY, "secret-azure-key-never-printed", "S3cr3tSasSignatureNeverPrinted"] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret), "a credential was printed:\n{stdout}\n{stderr}");
    }
    (out.status.code(), stdout, stderr)
}

#[test]
fn a_missing_account_says_what_to_set() {
    let (code, _, stderr) = check("az://data/t.csv", &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("AZURE_STORAGE_ACCOUNT_NAME"), "{stderr}");
    assert!(stderr.contains("az://data/t.csv"), "the data is named: {stderr}");
}

#[test]
fn the_environments_account_key_signs_requests_to_its_endpoint() {
    let (endpoint, requests) = azure_stub();
    let env = [
        ("AZURE_STORAGE_ACCOUNT_NAME", "contraktacct"),
        ("AZURE_STORAGE_ACCOUNT_KEY", KEY),
        ("AZURE_STORAGE_ENDPOINT", endpoint.as_str()),
        ("AZURE_ALLOW_HTTP", "true"),
    ];
    let (code, stdout, stderr) = check("az://data/orders/t.csv", &env);
    assert_eq!(code, Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("az://data/orders/t.csv"), "{stderr}");
    let first = requests.recv_timeout(std::time::Duration::from_secs(10)).expect("a request reached the endpoint");
    assert!(first.line.contains("/data/orders/t.csv"), "container and path from the URL: {first:?}");
    let auth = first.header("authorization").unwrap_or_default();
    assert!(auth.starts_with("SharedKey contraktacct:"), "signed with the environment's account key: {first:?}");
    assert!(!auth.contains(KEY), "the key signs, it is not sent: {first:?}");

    // abfss:// names the account in the URL, which wins over the environment's.
    let (endpoint, requests) = azure_stub();
    let env = [
        ("AZURE_STORAGE_ACCOUNT_NAME", "contraktacct"),
        ("AZURE_STORAGE_ACCOUNT_KEY", KEY),
        ("AZURE_STORAGE_ENDPOINT", endpoint.as_str()),
        ("AZURE_ALLOW_HTTP", "true"),
    ];
    let (code, _, stderr) = check("abfss://lake@otheracct.dfs.core.windows.net/t.csv", &env);
    assert_eq!(code, Some(2), "{stderr}");
    let first = requests.recv_timeout(std::time::Duration::from_secs(10)).expect("a request reached the endpoint");
    assert!(first.line.contains("/lake/t.csv"), "{first:?}");
    assert!(first.header("authorization").unwrap_or_default().starts_with("SharedKey otheracct:"), "{first:?}");
}

#[test]
fn a_sas_token_goes_in_the_query_and_is_never_printed() {
    let (endpoint, requests) = azure_stub();
    let env = [
        ("AZURE_STORAGE_ACCOUNT_NAME", "contraktacct"),
        ("AZURE_STORAGE_SAS_TOKEN", SAS),
        ("AZURE_STORAGE_ENDPOINT", endpoint.as_str()),
        ("AZURE_ALLOW_HTTP", "true"),
    ];
    let (code, stdout, stderr) = check("az://data/t.csv", &env);
    assert_eq!(code, Some(2), "{stdout}\n{stderr}");
    let first = requests.recv_timeout(std::time::Duration::from_secs(10)).expect("a request reached the endpoint");
    assert!(first.line.contains("sig=S3cr3tSasSignatureNeverPrinted"), "the SAS signs by query: {first:?}");
    assert!(first.header("authorization").is_none(), "{first:?}");
}
