//! The byte pipe under the R30x driver: a small [`Transport`] trait, its serial-port
//! implementation ([`SerialTransport`]) and an in-memory one for tests ([`MemoryTransport`]).

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::time::Duration;

/// Failures of a [`Transport`].
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Nothing arrived within the read timeout.
    #[error("no data within {0:?}")]
    Timeout(Duration),
    /// The port is gone (USB-serial adapter unplugged, pty closed, device node removed).
    #[error("serial port closed or unplugged: {0}")]
    Unplugged(String),
    /// Any other operating-system error.
    #[error("serial I/O failed")]
    Io(#[from] std::io::Error),
}

/// A half-duplex byte link to a module. Implementations own the port; `Send` so a driver can
/// move to a worker thread. Not `Sync`: one exchange at a time.
pub trait Transport: Send {
    /// Writes all of `bytes` (blocking until the OS accepted them).
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError>;
    /// Reads at least one byte into `buf`, waiting at most `timeout`; returns the count (> 0).
    /// [`TransportError::Timeout`] when nothing arrived in time — never blocks longer.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError>;
    /// Drops bytes received but not yet read (stale answers of an aborted exchange).
    fn clear_input(&mut self) -> Result<(), TransportError>;
    /// A name for messages (e.g. the port path).
    fn name(&self) -> String;
}

/// Maps an I/O error of a serial port: timeouts stay timeouts, interrupted calls are retried by
/// the caller, and every other failure of an open port means it is gone.
fn classify(e: std::io::Error, timeout: Duration, name: &str) -> TransportError {
    match e.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => TransportError::Timeout(timeout),
        _ => TransportError::Unplugged(format!("{name}: {e}")),
    }
}

/// A [`Transport`] over a `serialport` port (8N1, no flow control). Cost per read: one poll + read
/// system call.
pub struct SerialTransport {
    port: Box<dyn serialport::SerialPort>,
    name: String,
}

impl std::fmt::Debug for SerialTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SerialTransport({})", self.name)
    }
}

impl SerialTransport {
    /// Opens `path` at `baud` bit/s, 8 data bits, no parity, one stop bit, no flow control.
    pub fn open(path: &str, baud: u32) -> Result<Self, TransportError> {
        let port = serialport::new(path, baud)
            .data_bits(serialport::DataBits::Eight)
            .parity(serialport::Parity::None)
            .stop_bits(serialport::StopBits::One)
            .flow_control(serialport::FlowControl::None)
            .timeout(Duration::from_millis(100))
            .open()
            .map_err(|e| match e.kind() {
                serialport::ErrorKind::NoDevice | serialport::ErrorKind::Io(ErrorKind::NotFound) => {
                    TransportError::Unplugged(format!(
                        "no serial port {path} ({e}); list ports with `ridgegate devices`"
                    ))
                }
                _ => TransportError::Io(std::io::Error::other(format!("cannot open {path}: {e}"))),
            })?;
        Ok(SerialTransport { port, name: path.to_string() })
    }

    /// Wraps an already opened port (e.g. one end of `TTYPort::pair()`).
    pub fn from_port(port: Box<dyn serialport::SerialPort>) -> Self {
        let name = port.name().unwrap_or_else(|| "serial port".into());
        SerialTransport { port, name }
    }
}

impl Transport for SerialTransport {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        let name = self.name.clone();
        let timeout = self.port.timeout();
        // No flush(): it is tcdrain(), which on a pty blocks until the other side reads — a
        // simulator whose client went away would hang. write() already queues in order.
        self.port.write_all(bytes).map_err(|e| classify(e, timeout, &name))
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        if self.port.timeout() != timeout {
            self.port.set_timeout(timeout).map_err(|e| TransportError::Unplugged(format!("{}: {e}", self.name)))?;
        }
        loop {
            match self.port.read(buf) {
                // A zero-length read on a serial port means end of file: the device is gone.
                Ok(0) => return Err(TransportError::Unplugged(format!("{}: end of file", self.name))),
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(classify(e, timeout, &self.name)),
            }
        }
    }

    fn clear_input(&mut self) -> Result<(), TransportError> {
        self.port
            .clear(serialport::ClearBuffer::Input)
            .map_err(|e| TransportError::Unplugged(format!("{}: {e}", self.name)))
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

/// An in-memory [`Transport`] for protocol tests: reads come from a queue of scripted chunks
/// (an empty queue reads as a timeout, `None` chunk as an unplug), writes are recorded.
#[derive(Debug, Default)]
pub struct MemoryTransport {
    /// Scripted incoming chunks; `None` = the port disappears at that point.
    pub incoming: VecDeque<Option<Vec<u8>>>,
    /// Everything written so far.
    pub written: Vec<u8>,
}

impl Transport for MemoryTransport {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.written.extend_from_slice(bytes);
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        match self.incoming.pop_front() {
            None => Err(TransportError::Timeout(timeout)),
            Some(None) => Err(TransportError::Unplugged("memory transport closed".into())),
            Some(Some(mut chunk)) => {
                let n = chunk.len().min(buf.len());
                buf[..n].copy_from_slice(&chunk[..n]);
                if n < chunk.len() {
                    self.incoming.push_front(Some(chunk.split_off(n)));
                }
                if n == 0 { self.read(buf, timeout) } else { Ok(n) }
            }
        }
    }

    fn clear_input(&mut self) -> Result<(), TransportError> {
        Ok(())
    }

    fn name(&self) -> String {
        "memory".into()
    }
}
