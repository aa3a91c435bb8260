//! `ridgegate serve` on a fresh machine: no key, no config, an empty data folder. The service must
//! start on loopback with the virtual scanner, create its key and token files (0600) and say so,
//! answer over real HTTP, restart on the same folder with the same key, and refuse a wrong key.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    addr: String,
    log: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data: &std::path::Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ridgegate"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(extra)
        .env_remove("RIDGEGATE_STORE_KEY")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn ridgegate serve");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut log = Vec::new();
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        log.push(line.clone());
        if let Some(rest) = line.split("listening on http://").nth(1) {
            let addr = rest.split('/').next().unwrap().to_string();
            // Keep draining stderr so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            return Server { child, addr, log };
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("server did not report its address; stderr: {log:#?}");
}

/// One HTTP/1.1 request over a fresh connection; returns (status, body).
fn http(addr: &str, method: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Length: 0\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp.split(' ').nth(1).unwrap().parse().unwrap();
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn serve_starts_on_a_fresh_machine_and_restarts_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start(&data, &["--demo"]);
    assert!(server.addr.starts_with("127.0.0.1:"), "{}", server.addr);
    let log = server.log.join("\n");
    assert!(log.contains("created a new one in"), "key creation must be in the log:\n{log}");
    assert!(log.contains("scanner: virtual"), "{log}");
    let key = data.join("store.key");
    let tokens = data.join("tokens.txt");
    #[cfg(unix)]
    {
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&key), 0o600);
        assert_eq!(mode(&tokens), 0o600);
    }
    let (st, body) = http(&server.addr, "GET", "/api/health", None);
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("\"status\":\"ok\"") && body.contains("virtual"), "{body}");
    let (st, body) = http(&server.addr, "GET", "/desk/", None);
    assert_eq!(st, 200);
    assert!(body.contains("confirmation desk"));
    let desk = std::fs::read_to_string(&tokens)
        .unwrap()
        .lines()
        .find(|l| l.starts_with("desk "))
        .map(|l| l.split_whitespace().nth(3).unwrap().to_string())
        .unwrap();
    let (st, body) = http(&server.addr, "GET", "/api/me", Some(&desk));
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("\"role\":\"desk\""), "{body}");
    assert_eq!(http(&server.addr, "GET", "/api/me", None).0, 401);
    // --demo registered an eligible applicant whose synthetic photo passed the check.
    assert!(log.contains("demo applicant DEMO-0001 registered"), "{log}");
    let (st, body) = http(&server.addr, "GET", "/api/applicants/DEMO-0001", Some(&desk));
    assert_eq!(st, 200, "{body}");
    assert!(
        body.contains("\"photo\":{\"present\":true,\"passed\":true}") && body.contains("\"required\":true"),
        "{body}"
    );
    drop(server);

    // Same folder again: the key file is reused, nothing new is created.
    let again = start(&data, &[]);
    let log = again.log.join("\n");
    assert!(log.contains("opened with the key file"), "{log}");
    assert!(!log.contains("created"), "{log}");
    assert_eq!(http(&again.addr, "GET", "/api/me", Some(&desk)).0, 200);
    drop(again);

    // A wrong key is refused with a clear message and a non-zero exit.
    let wrong = dir.path().join("wrong.key");
    std::fs::write(&wrong, "00".repeat(32)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ridgegate"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data"])
        .arg(&data)
        .arg("--key-file")
        .arg(&wrong)
        .env_remove("RIDGEGATE_STORE_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("wrong store key"), "{err}");
}
