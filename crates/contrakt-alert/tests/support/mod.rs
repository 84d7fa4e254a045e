//! A real HTTP/1.1 receiver on loopback that records what it is sent and answers from a
//! script, plus the example registry and reports for the delivery tests.

#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    /// Lower-cased names.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// One scripted answer: status and extra headers. A [`BODY`] "header" is the answer's body
/// instead (`ok` for a 200, `no` otherwise by default).
pub type Answer = (u16, Vec<(&'static str, String)>);

/// The name under which an [`Answer`] carries its body.
pub const BODY: &str = "\0body";

pub struct Receiver {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    delay: Arc<Mutex<Duration>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Receiver {
    pub fn start() -> Receiver {
        Receiver::bind("127.0.0.1:0".parse().unwrap())
    }

    /// Binds a given address (to come back up on the port a stopped receiver had).
    pub fn bind(addr: SocketAddr) -> Receiver {
        let listener = TcpListener::bind(addr).expect("bind loopback");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Mutex<VecDeque<Answer>>> = Arc::new(Mutex::new(VecDeque::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let delay = Arc::new(Mutex::new(Duration::ZERO));
        let (r, s, st, dl) = (received.clone(), script.clone(), stop.clone(), delay.clone());
        // Bounded: stops when told, or after a minute whatever happens.
        let thread = std::thread::spawn(move || {
            let until = Instant::now() + Duration::from_secs(60);
            while !st.load(Ordering::Relaxed) && Instant::now() < until {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (r, s, st, dl) = (r.clone(), s.clone(), st.clone(), dl.clone());
                        std::thread::spawn(move || serve(stream, &r, &s, &st, &dl));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Receiver { addr, received, script, delay, stop, thread: Some(thread) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answers to give, in order, before falling back to 200.
    pub fn answer(&self, answers: impl IntoIterator<Item = Answer>) {
        self.script.lock().unwrap().extend(answers);
    }

    /// Wait this long before answering each request (a slow receiver).
    pub fn slow(&self, by: Duration) {
        *self.delay.lock().unwrap() = by;
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(
    stream: TcpStream,
    received: &Mutex<Vec<Received>>,
    script: &Mutex<VecDeque<Answer>>,
    stop: &AtomicBool,
    delay: &Mutex<Duration>,
) {
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream.set_nonblocking(false).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    // Keep-alive: requests on one connection until the client closes it.
    while !stop.load(Ordering::Relaxed) {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut headers = BTreeMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        received.lock().unwrap().push(Received { path, headers, body, at: Instant::now() });
        let wait = *delay.lock().unwrap();
        std::thread::sleep(wait);
        let (status, mut extra) = script.lock().unwrap().pop_front().unwrap_or((200, vec![]));
        let text = match extra.iter().position(|(k, _)| *k == BODY) {
            Some(i) => extra.remove(i).1,
            None => (if status == 200 { "ok" } else { "no" }).to_string(),
        };
        let mut response = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", text.len());
        for (k, v) in extra {
            response.push_str(&format!("{k}: {v}\r\n"));
        }
        response.push_str("\r\n");
        response.push_str(&text);
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

pub fn registry() -> (Vec<contrakt_core::odcs::ContractDocument>, Vec<contrakt_core::consumer::Consumer>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contracts");
    let found = contrakt_core::registry::discover(&[root]).expect("the example registry reads");
    let contracts =
        found.contracts.into_iter().map(|d| contrakt_core::odcs::load_document(d).expect("contract")).collect();
    let consumers = found
        .consumers
        .into_iter()
        .map(|d| contrakt_core::consumer::load_document(d).expect("consumer").consumer)
        .collect();
    (contracts, consumers)
}

/// A check report on the orders contract with one result per `(id, property, status)`.
pub fn report(results: &[(&str, Option<&str>, &str)]) -> Vec<contrakt_alert::report::Run> {
    let rows: Vec<serde_json::Value> = results
        .iter()
        .map(|(id, property, status)| {
            serde_json::json!({
                "id": id, "code": "Q303", "kind": "invalid-values", "object": "orders", "property": property,
                "status": status, "severity": if *status == "warn" { "warning" } else { "error" },
                "value": if *status == "pass" { 0.0 } else { 3.0 }, "threshold": "mustBe: 0", "unit": "rows",
                "failed_rows": 3, "total_rows": 10200,
                "message": "3 of 10200 rows invalid; the contract says = 0",
                "samples": [{"order_id": "427eceae", "status": "lost"}],
                "location": "contracts/orders.odcs.yaml:317:13", "duration_ms": 4
            })
        })
        .collect();
    let doc = serde_json::json!({"version": 1, "passed": false, "reports": [{
        "version": 1, "contract": "urn:contrakt:meal-kit:orders", "contract_version": "1.4.0",
        "file": "contracts/orders.odcs.yaml", "now": "2026-11-22T06:00:00Z", "passed": false,
        "summary": {}, "objects": [], "results": rows, "duration_ms": 5
    }]});
    contrakt_alert::report::parse("report.json", &doc.to_string()).expect("report parses")
}

/// A real SMTP server (Python's aiosmtpd, `smtp_server.py`) on loopback. The Python comes from
/// `CONTRAKT_SMTP_PYTHON` (set by `.ci/run`); without it the test fails, saying so.
pub struct SmtpServer {
    child: std::process::Child,
    pub port: u16,
    /// The self-signed certificate it serves (TLS modes).
    pub cert: Option<PathBuf>,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    /// `mode`: `starttls`, `tls` or `plain`; `login`: the only credentials it accepts.
    pub fn start(mode: &str, login: Option<(&str, &str)>) -> SmtpServer {
        let python = std::env::var("CONTRAKT_SMTP_PYTHON").unwrap_or_else(|_| {
            panic!(
                "CONTRAKT_SMTP_PYTHON is not set: it names a Python with aiosmtpd and cryptography for the \
                 SMTP tests (.ci/run installs them: ~/.cache/contrakt/venv/bin/python)"
            )
        });
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("smtp_server.py");
        std::fs::write(&script, include_str!("smtp_server.py")).unwrap();
        let mut command = std::process::Command::new(&python);
        command.arg(&script).arg(dir.path()).arg(mode);
        if let Some((user, password)) = login {
            command.args([user, password]);
        }
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the SMTP server with {python}: {e}"));
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            let _ = child.kill();
            let _ = child.wait();
            let err = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap_or_default();
            panic!("the SMTP server did not start ({python}; is aiosmtpd installed?):\n{err}");
        }
        let ready: serde_json::Value = serde_json::from_str(&line).expect("the server's JSON line");
        SmtpServer {
            child,
            port: ready["port"].as_u64().unwrap() as u16,
            cert: ready["cert"].as_str().map(PathBuf::from),
            dir,
        }
    }

    /// The messages accepted so far, in order, as parsed by the server.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files.iter().map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()).collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
