//! A scripted in-memory [`UsbTransport`] for tests: each endpoint (control = 0) has an ordered
//! queue of expected transfers and their answers. Lets tests drive the real runner and protocol
//! code through unplug, timeout, stall and garbage scenarios without hardware.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use super::transport::{ControlSetup, TransportError, UsbTransport};

/// What a scripted transfer must look like. `Any*` variants accept whatever arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Control IN with this setup and length.
    ControlIn(ControlSetup, u16),
    /// Control OUT with this setup and data.
    ControlOut(ControlSetup, Vec<u8>),
    /// Bulk or interrupt IN of this length on the queue's endpoint.
    In(usize),
    /// Bulk OUT of exactly these bytes on the queue's endpoint.
    Out(Vec<u8>),
    /// Any transfer on the queue's endpoint.
    Any,
}

/// The scripted answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// IN data.
    Data(Vec<u8>),
    /// OUT completed (all bytes written).
    Written,
    /// The transfer fails.
    Fail(TransportError),
}

/// What an endpoint does when its queue is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenEmpty {
    /// Time out (after sleeping at most 5 ms of the requested timeout, to keep tests fast).
    Timeout,
    /// Report [`TransportError::Disconnected`] (device unplugged).
    Unplugged,
}

#[derive(Default)]
struct Inner {
    queues: HashMap<u8, VecDeque<(Expect, Answer)>>,
    log: Vec<String>,
}

/// Scripted transport. Thread-safe (one mutex); cost per transfer: a queue pop.
pub struct ScriptedTransport {
    inner: Mutex<Inner>,
    when_empty: WhenEmpty,
}

/// Control transfers share queue 0.
pub const CONTROL: u8 = 0;

impl ScriptedTransport {
    /// An empty script.
    pub fn new(when_empty: WhenEmpty) -> Self {
        ScriptedTransport { inner: Mutex::new(Inner::default()), when_empty }
    }

    /// Appends an expected transfer on `endpoint` (use [`CONTROL`] for control transfers).
    pub fn push(&self, endpoint: u8, expect: Expect, answer: Answer) -> &Self {
        self.lock().queues.entry(endpoint).or_default().push_back((expect, answer));
        self
    }

    /// Transfers performed so far, one line each (for assertion messages).
    pub fn log(&self) -> Vec<String> {
        self.lock().log.clone()
    }

    /// Number of scripted transfers not consumed yet on `endpoint`.
    pub fn remaining(&self, endpoint: u8) -> usize {
        self.lock().queues.get(&endpoint).map_or(0, |q| q.len())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn take(&self, endpoint: u8, got: Expect, timeout: Duration) -> Result<Answer, TransportError> {
        let popped = {
            let mut inner = self.lock();
            inner.log.push(format!("ep {endpoint:#04x}: {got:?}"));
            inner.queues.get_mut(&endpoint).and_then(|q| q.pop_front())
        };
        match popped {
            None => match self.when_empty {
                WhenEmpty::Timeout => {
                    std::thread::sleep(timeout.min(Duration::from_millis(5)));
                    Err(TransportError::Timeout(timeout))
                }
                WhenEmpty::Unplugged => Err(TransportError::Disconnected),
            },
            Some((expect, answer)) => {
                if expect != Expect::Any && expect != got {
                    return Err(TransportError::Io(format!("script mismatch: expected {expect:?}, got {got:?}")));
                }
                match answer {
                    Answer::Fail(e) => Err(e),
                    a => Ok(a),
                }
            }
        }
    }

    fn take_in(&self, endpoint: u8, got: Expect, len: usize, timeout: Duration) -> Result<Vec<u8>, TransportError> {
        match self.take(endpoint, got, timeout)? {
            Answer::Data(d) if d.len() <= len => Ok(d),
            Answer::Data(_) => Err(TransportError::Overflow(endpoint)),
            Answer::Written => Ok(Vec::new()),
            Answer::Fail(e) => Err(e),
        }
    }

    fn take_out(&self, endpoint: u8, got: Expect, len: usize, timeout: Duration) -> Result<usize, TransportError> {
        match self.take(endpoint, got, timeout)? {
            Answer::Written => Ok(len),
            Answer::Data(_) => Ok(0),
            Answer::Fail(e) => Err(e),
        }
    }
}

impl UsbTransport for ScriptedTransport {
    fn control_in(&self, setup: ControlSetup, len: u16, timeout: Duration) -> Result<Vec<u8>, TransportError> {
        self.take_in(CONTROL, Expect::ControlIn(setup, len), len as usize, timeout)
    }
    fn control_out(&self, setup: ControlSetup, data: &[u8], timeout: Duration) -> Result<usize, TransportError> {
        self.take_out(CONTROL, Expect::ControlOut(setup, data.to_vec()), data.len(), timeout)
    }
    fn bulk_in(&self, endpoint: u8, len: usize, timeout: Duration) -> Result<Vec<u8>, TransportError> {
        self.take_in(endpoint, Expect::In(len), len, timeout)
    }
    fn bulk_out(&self, endpoint: u8, data: &[u8], timeout: Duration) -> Result<usize, TransportError> {
        self.take_out(endpoint, Expect::Out(data.to_vec()), data.len(), timeout)
    }
    fn interrupt_in(&self, endpoint: u8, len: usize, timeout: Duration) -> Result<Vec<u8>, TransportError> {
        self.take_in(endpoint, Expect::In(len), len, timeout)
    }
}
