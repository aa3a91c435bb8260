//! Executes a [`UsbProtocol`] state machine on a [`UsbTransport`]: the only code that turns
//! protocol requests into transfers. Concurrency that the device needs is modelled with scoped
//! threads on the synchronous transport: an interrupt listener that keeps exactly one interrupt
//! IN in flight for the whole session (re-submitted as soon as one completes, like libfprint),
//! and a background bulk IN for [`UsbRequest::StartBulkIn`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::params;
use super::protocol::{SessionOutcome, Step, UsbProtocol, UsbReply, UsbRequest, Wait};
use super::transport::{TransportError, UsbTransport};
use crate::{CancelToken, CaptureError};

type IrqPacket = Result<Vec<u8>, TransportError>;

/// Runs one capture session to its end. Blocks the calling thread; `finger_timeout` bounds each
/// [`Wait::Finger`] wait, `cancel` is polled every [`params::CANCEL_POLL`].
///
/// Errors: transport failures (unplug → [`CaptureError::Unplugged`], timeouts →
/// [`CaptureError::Timeout`]), protocol violations → [`CaptureError::Protocol`], cancellation →
/// [`CaptureError::Cancelled`]. Never panics on device data; never waits without a bound.
pub fn run_session(
    transport: &dyn UsbTransport,
    protocol: &mut dyn UsbProtocol,
    finger_timeout: Duration,
    cancel: &CancelToken,
) -> Result<SessionOutcome, CaptureError> {
    let stop = AtomicBool::new(false);
    let irq_endpoint = protocol.interrupt_endpoint();
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<IrqPacket>();
        if let Some((endpoint, len)) = irq_endpoint {
            let stop = &stop;
            scope.spawn(move || interrupt_listener(transport, endpoint, len, stop, tx));
        }
        let result = drive(transport, protocol, &rx, finger_timeout, cancel, scope);
        stop.store(true, Ordering::Relaxed);
        result
    })
}

/// Keeps one interrupt IN in flight until `stop`; forwards packets and the first hard error.
fn interrupt_listener(
    transport: &dyn UsbTransport,
    endpoint: u8,
    len: usize,
    stop: &AtomicBool,
    tx: mpsc::Sender<IrqPacket>,
) {
    while !stop.load(Ordering::Relaxed) {
        match transport.interrupt_in(endpoint, len, params::IRQ_POLL) {
            Ok(packet) => {
                if tx.send(Ok(packet)).is_err() {
                    return;
                }
            }
            Err(TransportError::Timeout(_)) => {}
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        }
    }
}

fn drive<'scope, 'env>(
    transport: &'env dyn UsbTransport,
    protocol: &mut dyn UsbProtocol,
    irq: &mpsc::Receiver<IrqPacket>,
    finger_timeout: Duration,
    cancel: &CancelToken,
    scope: &'scope std::thread::Scope<'scope, 'env>,
) -> Result<SessionOutcome, CaptureError> {
    let mut reply = UsbReply::Start;
    let mut background: Option<std::thread::ScopedJoinHandle<'scope, Result<Vec<u8>, TransportError>>> = None;
    let mut steps = 0usize;
    let mut finger_deadline: Option<Instant> = None;
    loop {
        steps += 1;
        if steps > params::MAX_STEPS {
            return Err(CaptureError::Protocol(format!(
                "protocol did not finish within {} transfers; the device keeps answering without progress",
                params::MAX_STEPS
            )));
        }
        let request = match protocol.next(reply)? {
            Step::Finished(outcome) => {
                if cancel.is_cancelled() {
                    return Err(CaptureError::Cancelled);
                }
                return Ok(outcome);
            }
            Step::Io(request) => request,
        };
        reply = match request {
            UsbRequest::ControlIn { setup, len } => {
                UsbReply::Data(transport.control_in(setup, len, params::CONTROL_TIMEOUT)?)
            }
            UsbRequest::ControlOut { setup, data } => {
                UsbReply::Written(transport.control_out(setup, &data, params::CONTROL_TIMEOUT)?)
            }
            UsbRequest::BulkIn { endpoint, len } => {
                UsbReply::Data(transport.bulk_in(endpoint, len, params::BULK_TIMEOUT)?)
            }
            UsbRequest::BulkInFinger { endpoint, len } => {
                bulk_in_finger(transport, endpoint, len, finger_timeout, cancel)?
            }
            UsbRequest::BulkInWithin { endpoint, len, timeout } => match transport.bulk_in(endpoint, len, timeout) {
                Ok(data) => UsbReply::Data(data),
                Err(TransportError::Timeout(_)) => UsbReply::TimedOut,
                Err(e) => return Err(e.into()),
            },
            UsbRequest::BulkOut { endpoint, data } => {
                UsbReply::Written(transport.bulk_out(endpoint, &data, params::BULK_TIMEOUT)?)
            }
            UsbRequest::StartBulkIn { endpoint, len } => {
                if background.is_some() {
                    return Err(CaptureError::Protocol("driver started a second background bulk read".into()));
                }
                background = Some(scope.spawn(move || transport.bulk_in(endpoint, len, params::IMAGE_TIMEOUT)));
                UsbReply::Submitted
            }
            UsbRequest::AwaitBulkIn => {
                let handle = background
                    .take()
                    .ok_or_else(|| CaptureError::Protocol("driver awaited a bulk read it never started".into()))?;
                let data = handle
                    .join()
                    .map_err(|_| CaptureError::Protocol("background bulk read thread panicked".into()))??;
                UsbReply::Data(data)
            }
            UsbRequest::AwaitInterrupt(wait) => await_interrupt(irq, wait, finger_timeout, cancel)?,
            UsbRequest::FingerPoll => {
                let deadline = *finger_deadline.get_or_insert_with(|| Instant::now() + finger_timeout);
                if cancel.is_cancelled() || Instant::now() >= deadline { UsbReply::TimedOut } else { UsbReply::Slept }
            }
            UsbRequest::Sleep(d) => {
                std::thread::sleep(d);
                UsbReply::Slept
            }
        };
    }
}

fn await_interrupt(
    irq: &mpsc::Receiver<IrqPacket>,
    wait: Wait,
    finger_timeout: Duration,
    cancel: &CancelToken,
) -> Result<UsbReply, CaptureError> {
    let limit = match wait {
        Wait::For(d) => d,
        Wait::Finger => finger_timeout,
    };
    let deadline = Instant::now() + limit;
    loop {
        if matches!(wait, Wait::Finger) && cancel.is_cancelled() {
            return Ok(UsbReply::TimedOut);
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(UsbReply::TimedOut);
        }
        match irq.recv_timeout((deadline - now).min(params::CANCEL_POLL)) {
            Ok(Ok(packet)) => return Ok(UsbReply::Data(packet)),
            Ok(Err(e)) => return Err(e.into()),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(CaptureError::Protocol(
                    "driver waits for an interrupt but has no interrupt endpoint".into(),
                ));
            }
        }
    }
}

/// Bulk IN bounded by the finger timeout, re-submitted every [`params::FINGER_POLL`] so that
/// cancellation is observed.
fn bulk_in_finger(
    transport: &dyn UsbTransport,
    endpoint: u8,
    len: usize,
    finger_timeout: Duration,
    cancel: &CancelToken,
) -> Result<UsbReply, CaptureError> {
    let deadline = Instant::now() + finger_timeout;
    loop {
        let now = Instant::now();
        if cancel.is_cancelled() || now >= deadline {
            return Ok(UsbReply::TimedOut);
        }
        match transport.bulk_in(endpoint, len, (deadline - now).min(params::FINGER_POLL)) {
            Ok(data) => return Ok(UsbReply::Data(data)),
            Err(TransportError::Timeout(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
}
