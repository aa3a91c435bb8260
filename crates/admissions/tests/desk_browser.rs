//! The desk web page in real headless Chromium (Debian `chromium`), driven over the DevTools
//! protocol through a whole enrollment with the virtual scanner: log in, look up, upload the
//! photo, capture 6 × 4 (one scripted low-quality retry), see the grid and the duplicate result,
//! record the pledge, render the two-copy form. Prints `SKIP:` and passes when Chromium is absent.

mod common;

use common::*;
use ridgegate_admissions::{Config, router};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn find_chromium() -> Option<String> {
    if let Ok(p) = std::env::var("RIDGEGATE_CHROMIUM") {
        return Some(p);
    }
    ["chromium", "chromium-browser", "google-chrome"].into_iter().find_map(|c| {
        let ok = Command::new(c)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| c.to_string())
    })
}

/// A minimal WebSocket client (RFC 6455, text frames, client masking) for the DevTools protocol.
struct Cdp {
    s: TcpStream,
    next_id: u64,
}

impl Cdp {
    fn connect(ws_url: &str) -> Cdp {
        let rest = ws_url.strip_prefix("ws://").expect("ws url");
        let (host, path) = rest.split_at(rest.find('/').unwrap());
        let mut s = TcpStream::connect(host).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .unwrap();
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            s.read_exact(&mut b).unwrap();
            head.push(b[0]);
        }
        let head = String::from_utf8_lossy(&head);
        assert!(head.starts_with("HTTP/1.1 101"), "websocket upgrade refused: {head}");
        Cdp { s, next_id: 0 }
    }

    fn send_text(&mut self, text: &str) {
        let p = text.as_bytes();
        let mut f = vec![0x81u8];
        match p.len() {
            n if n < 126 => f.push(0x80 | n as u8),
            n if n < 65536 => {
                f.push(0x80 | 126);
                f.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                f.push(0x80 | 127);
                f.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask = [0x12u8, 0x34, 0x56, 0x78];
        f.extend_from_slice(&mask);
        f.extend(p.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.s.write_all(&f).unwrap();
    }

    fn read_message(&mut self) -> String {
        let mut msg = Vec::new();
        loop {
            let mut h = [0u8; 2];
            self.s.read_exact(&mut h).unwrap();
            let (fin, opcode) = (h[0] & 0x80 != 0, h[0] & 0x0f);
            let mut len = (h[1] & 0x7f) as u64;
            if len == 126 {
                let mut e = [0u8; 2];
                self.s.read_exact(&mut e).unwrap();
                len = u16::from_be_bytes(e) as u64;
            } else if len == 127 {
                let mut e = [0u8; 8];
                self.s.read_exact(&mut e).unwrap();
                len = u64::from_be_bytes(e);
            }
            let mut payload = vec![0u8; len as usize];
            self.s.read_exact(&mut payload).unwrap();
            match opcode {
                0x8 => panic!("DevTools closed the connection"),
                0x9 | 0xA => continue, // ping/pong: ignore
                _ => msg.extend_from_slice(&payload),
            }
            if fin {
                return String::from_utf8(msg).unwrap();
            }
        }
    }

    /// Sends a command and waits for its result or error (events in between are skipped).
    fn try_call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        self.send_text(&json!({"id": id, "method": method, "params": params}).to_string());
        loop {
            let m: Value = serde_json::from_str(&self.read_message()).unwrap();
            if m["id"] == id {
                return match m.get("error") {
                    Some(e) => Err(format!("{method}: {e}")),
                    None => Ok(m["result"].clone()),
                };
            }
        }
    }

    /// Sends a command and waits for its result; a DevTools error fails the test.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.try_call(method, params).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Evaluates JavaScript in the page (awaiting promises); Err on a DevTools error or a thrown
    /// exception (e.g. while a navigation replaces the page's execution context).
    fn try_eval(&mut self, js: &str) -> Result<Value, String> {
        let r =
            self.try_call("Runtime.evaluate", json!({"expression": js, "awaitPromise": true, "returnByValue": true}))?;
        match r.get("exceptionDetails") {
            Some(e) => Err(format!("{js}: {e}")),
            None => Ok(r["result"]["value"].clone()),
        }
    }

    /// Evaluates JavaScript in the page and returns its value; an exception fails the test.
    fn eval(&mut self, js: &str) -> Value {
        self.try_eval(js).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Polls `js` until it returns true (or fails after `secs`). Evaluation errors count as "not
    /// yet" (the page may be between documents), the last one is reported on timeout.
    fn wait_for(&mut self, js: &str, secs: u64, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut last_error = String::new();
        while Instant::now() < deadline {
            match self.try_eval(js) {
                Ok(Value::Bool(true)) => return,
                Ok(_) => {}
                Err(e) => last_error = e,
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let prompt = self
            .try_eval("document.getElementById('prompt').textContent + ' | ' + document.body.innerText.slice(0, 2000)")
            .unwrap_or_else(|e| json!(e));
        panic!("timed out waiting for {what}; last evaluation error: {last_error:?}; page: {prompt}");
    }

    fn click(&mut self, id: &str) {
        self.eval(&format!("document.getElementById('{id}').click()"));
    }

    fn set_value(&mut self, id: &str, v: &str) {
        self.eval(&format!("document.getElementById('{id}').value = {}", json!(v)));
    }

    fn set_file(&mut self, selector: &str, path: &std::path::Path) {
        let doc = self.call("DOM.getDocument", json!({}));
        let root = doc["root"]["nodeId"].clone();
        let node = self.call("DOM.querySelector", json!({"nodeId": root, "selector": selector}));
        self.call("DOM.setFileInputFiles", json!({"nodeId": node["nodeId"], "files": [path.to_str().unwrap()]}));
    }
}

struct Browser(Child);
impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// GET over HTTP/1.1, reading exactly Content-Length bytes (the DevTools server keeps the
/// connection open).
fn http_get(host: &str, path: &str) -> String {
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut r = BufReader::new(s);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).unwrap();
    String::from_utf8(body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desk_page_enrolls_an_applicant_in_headless_chromium() {
    let Some(chromium) = find_chromium() else {
        println!("SKIP: chromium not installed (apt-get install chromium, or set RIDGEGATE_CHROMIUM)");
        return;
    };
    let s = TestService::new(Scanner::Synthetic, Config::default());
    let (st, v) = s.post_json("/api/applicants", DESK, &registration("WEB-1", "Liu Yang")).await;
    assert_eq!(st.as_u16(), 201, "{v}");
    let photo = s.dir.path().join("photo.jpg");
    std::fs::write(&photo, photo_jpeg()).unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(s.state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let profile = s.dir.path().join("chromium-profile");
    let mut child = Command::new(&chromium)
        .args(["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"])
        .args(["--remote-debugging-port=0", "--window-size=1100,1500"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start chromium");
    let stderr = child.stderr.take().unwrap();
    let browser = Browser(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.split("DevTools listening on ").nth(1) {
                let _ = tx.send(url.trim().to_string());
            }
        }
    });
    let browser_ws = rx.recv_timeout(Duration::from_secs(30)).expect("chromium did not print its DevTools address");
    let devtools_host = browser_ws.trim_start_matches("ws://").split('/').next().unwrap().to_string();
    let result = tokio::task::spawn_blocking(move || {
        // The page target may be listed a moment after DevTools starts listening: poll for it.
        let deadline = Instant::now() + Duration::from_secs(20);
        let page = loop {
            let list: Value = serde_json::from_str(&http_get(&devtools_host, "/json/list")).unwrap();
            let page = list.as_array().into_iter().flatten().find(|t| t["type"] == "page");
            if let Some(url) = page.and_then(|t| t["webSocketDebuggerUrl"].as_str()) {
                break url.to_string();
            }
            assert!(Instant::now() < deadline, "chromium listed no page target within 20 s: {list}");
            std::thread::sleep(Duration::from_millis(100));
        };
        let mut cdp = Cdp::connect(&page);
        cdp.call("Page.enable", json!({}));
        cdp.call("Page.navigate", json!({"url": format!("http://{addr}/desk/?noprint")}));
        cdp.wait_for("document.readyState === 'complete' && !!document.getElementById('login')", 20, "the page");

        // Log in with a wrong token first: the page says why.
        cdp.set_value("token", "wrong-token-0000000000000000000000000000");
        cdp.click("login");
        cdp.wait_for("document.getElementById('login-error').textContent.includes('unknown token')", 10, "login error");
        cdp.set_value("token", DESK);
        cdp.click("login");
        cdp.wait_for("!document.getElementById('work').hidden", 10, "login");
        assert_eq!(cdp.eval("document.getElementById('whoami').textContent"), json!("op-1 (desk) at desk-1"));
        assert_eq!(cdp.eval("document.getElementById('virtual-panel').hidden"), json!(false));

        // Look up, upload the photo through the file input.
        cdp.set_value("lookup-id", "WEB-1");
        cdp.click("lookup");
        cdp.wait_for("!document.getElementById('applicant').hidden && document.getElementById('facts').textContent.includes('Liu Yang')", 10, "applicant");
        assert_eq!(cdp.eval("document.getElementById('start').disabled"), json!(true), "no photo yet");
        cdp.set_file("#photo-file", &photo);
        cdp.wait_for("document.getElementById('photo-result').textContent === 'Photo accepted.'", 20, "photo accepted");
        cdp.wait_for("!document.getElementById('start').disabled", 10, "start enabled");
        cdp.click("start");
        cdp.wait_for("!document.getElementById('capture-panel').hidden && document.querySelectorAll('#grid tr').length === 7", 10, "grid");

        // One scripted low-quality capture: a retry prompt with the reason, shown in the grid.
        cdp.click("vs-low");
        cdp.wait_for("document.getElementById('vs-status').textContent.includes('1 scripted step')", 10, "script");
        cdp.click("capture");
        cdp.wait_for("document.getElementById('prompt').textContent.startsWith('Retry: image quality')", 30, "retry prompt");
        assert!(cdp.eval("document.querySelector('#grid td.current').textContent").as_str().unwrap().contains("retry 1/3"));

        // 24 captures.
        for k in 1..=24 {
            cdp.wait_for("!document.getElementById('capture').disabled", 30, "capture button");
            cdp.click("capture");
            let expect = if k < 24 { format!("'{k} / 24'") } else { "'24 / 24'".into() };
            cdp.wait_for(&format!("document.getElementById('progress-text').textContent === {expect} || !document.getElementById('result-panel').hidden"), 30, &format!("capture {k}"));
        }
        cdp.wait_for("document.getElementById('duplicate-result').textContent.includes('No duplicate')", 60, "duplicate result");
        let cells = cdp.eval("Array.from(document.querySelectorAll('#grid td.filled')).length");
        assert_eq!(cells, json!(24), "the grid shows 24 accepted captures");
        let qualities = cdp.eval("Array.from(document.querySelectorAll('#grid td.filled')).map(td => parseInt(td.textContent.slice(2)))");
        assert!(qualities.as_array().unwrap().iter().all(|q| q.as_u64().unwrap() >= 40), "{qualities}");
        cdp.wait_for(
            "document.getElementById('facts').textContent.includes('already enrolled this year')",
            10,
            "the refreshed applicant facts",
        );

        // Pledge and the printable form (two copies with the photo).
        cdp.click("pledge-accept");
        cdp.set_value("pledge-name", "Liu Yang");
        cdp.click("pledge-submit");
        cdp.wait_for("document.getElementById('pledge-result').textContent === 'Pledge recorded: signed by Liu Yang.'", 10, "pledge");
        cdp.click("print");
        cdp.wait_for("document.getElementById('form-frame').dataset.loaded === '1'", 10, "form");
        let copies = cdp.eval("document.getElementById('form-frame').contentDocument.querySelectorAll('section.copy').length");
        assert_eq!(copies, json!(2));
        let photos = cdp.eval("document.getElementById('form-frame').contentDocument.querySelectorAll('img.photo').length");
        assert_eq!(photos, json!(2));
        let shot = cdp.call("Page.captureScreenshot", json!({"format": "png", "captureBeyondViewport": true}));
        let out = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("desk-page.png");
        std::fs::write(&out, decode_base64(shot["data"].as_str().unwrap())).unwrap();
        println!("screenshot: {}", out.display());
    })
    .await;
    drop(browser);
    result.unwrap();
    // The enrollment really is in the store.
    assert_eq!(s.state.gallery_len(), 24);
}

fn decode_base64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=' && !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for c in bytes.chunks(4) {
        let n = c.iter().enumerate().fold(0u32, |n, (i, &b)| n | (val(b) as u32) << (18 - 6 * i));
        out.push((n >> 16) as u8);
        if c.len() > 2 {
            out.push((n >> 8) as u8);
        }
        if c.len() > 3 {
            out.push(n as u8);
        }
    }
    out
}
