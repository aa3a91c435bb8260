//! [`UsbTransport`] on libusb through `rusb` (statically linked, feature `vendored`). Works on
//! real devices and under `umockdev-run` replays (umockdev intercepts libusb's usbfs ioctls).

use std::time::Duration;

use rusb::UsbContext;

use super::transport::{ControlSetup, TransportError, UsbTransport};

/// One opened USB device with its first vendor-specific (or first) interface claimed.
/// `Send + Sync` (libusb handles are thread-safe); dropping it releases the interface and closes
/// the device. Opening costs a bus enumeration (a few ms).
pub struct RusbTransport {
    handle: rusb::DeviceHandle<rusb::Context>,
    interface: u8,
}

/// Location and identity of an attached USB device. Plain data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsbAddress {
    /// Vendor ID.
    pub vid: u16,
    /// Product ID.
    pub pid: u16,
    /// Bus number.
    pub bus: u8,
    /// Device address on the bus.
    pub address: u8,
}

fn map_err(e: rusb::Error, endpoint: u8, timeout: Duration) -> TransportError {
    match e {
        rusb::Error::Timeout => TransportError::Timeout(timeout),
        rusb::Error::NoDevice => TransportError::Disconnected,
        rusb::Error::Pipe => TransportError::Stall(endpoint),
        rusb::Error::Overflow => TransportError::Overflow(endpoint),
        rusb::Error::NotFound => TransportError::NotFound(format!("(endpoint {endpoint:#04x})")),
        rusb::Error::Access => TransportError::Access(e.to_string()),
        other => TransportError::Io(other.to_string()),
    }
}

fn context() -> Result<rusb::Context, TransportError> {
    rusb::Context::new()
        .map_err(|e| TransportError::Io(format!("cannot initialise libusb ({e}); is /dev/bus/usb available here?")))
}

/// Lists all attached USB devices (vendor/product IDs and bus location). Cost: one enumeration.
pub fn list_devices() -> Result<Vec<UsbAddress>, TransportError> {
    let ctx = context()?;
    let devices = ctx.devices().map_err(|e| TransportError::Io(e.to_string()))?;
    let mut out = Vec::new();
    for d in devices.iter() {
        if let Ok(desc) = d.device_descriptor() {
            out.push(UsbAddress {
                vid: desc.vendor_id(),
                pid: desc.product_id(),
                bus: d.bus_number(),
                address: d.address(),
            });
        }
    }
    Ok(out)
}

impl RusbTransport {
    /// Opens the device at `addr` and claims its interface (the first with class 0xFF, else the
    /// first one), detaching a kernel driver if one is bound.
    pub fn open(addr: UsbAddress) -> Result<Self, TransportError> {
        let ctx = context()?;
        let devices = ctx.devices().map_err(|e| TransportError::Io(e.to_string()))?;
        let device = devices
            .iter()
            .find(|d| {
                d.bus_number() == addr.bus
                    && d.address() == addr.address
                    && d.device_descriptor().is_ok_and(|x| x.vendor_id() == addr.vid && x.product_id() == addr.pid)
            })
            .ok_or_else(|| {
                TransportError::NotFound(format!(
                    "{:04x}:{:04x} on bus {} address {}",
                    addr.vid, addr.pid, addr.bus, addr.address
                ))
            })?;
        let interface = device
            .active_config_descriptor()
            .or_else(|_| device.config_descriptor(0))
            .ok()
            .and_then(|cfg| {
                let all: Vec<_> = cfg.interfaces().filter_map(|i| i.descriptors().next()).collect();
                all.iter().find(|d| d.class_code() == 0xff).or(all.first()).map(|d| d.interface_number())
            })
            .unwrap_or(0);
        let handle = device.open().map_err(|e| match map_err(e, 0, Duration::ZERO) {
            TransportError::Io(m) => TransportError::Io(format!("opening the device: {m}")),
            other => other,
        })?;
        // Explicit detach rather than libusb's auto-detach: auto-detach claims through
        // USBDEVFS_DISCONNECT_CLAIM, which umockdev does not emulate. Query errors mean "unknown",
        // and a driver that stays bound makes claim_interface fail with a clear error.
        if handle.kernel_driver_active(interface).unwrap_or(false) {
            let _ = handle.detach_kernel_driver(interface);
        }
        handle.claim_interface(interface).map_err(|e| match e {
            rusb::Error::Busy => {
                TransportError::Access("interface busy: another program (fprintd?) holds the scanner".into())
            }
            other => match map_err(other, 0, Duration::ZERO) {
                TransportError::Io(m) => TransportError::Io(format!("claiming interface {interface}: {m}")),
                other => other,
            },
        })?;
        Ok(RusbTransport { handle, interface })
    }
}

impl Drop for RusbTransport {
    fn drop(&mut self) {
        let _ = self.handle.release_interface(self.interface);
    }
}

impl UsbTransport for RusbTransport {
    fn control_in(&self, setup: ControlSetup, len: u16, timeout: Duration) -> Result<Vec<u8>, TransportError> {
        let mut buf = vec![0u8; len as usize];
        let n = self
            .handle
            .read_control(setup.request_type, setup.request, setup.value, setup.index, &mut buf, timeout)
            .map_err(|e| map_err(e, 0x80, timeout))?;
        buf.truncate(n);
        Ok(buf)
    }

    fn control_out(&self, setup: ControlSetup, data: &[u8], timeout: Duration) -> Result<usize, TransportError> {
        self.handle
            .write_control(setup.request_type, setup.request, setup.value, setup.index, data, timeout)
            .map_err(|e| map_err(e, 0x00, timeout))
    }

    fn bulk_in(&self, endpoint: u8, len: usize, timeout: Duration) -> Result<Vec<u8>, TransportError> {
        let mut buf = vec![0u8; len];
        let n = self.handle.read_bulk(endpoint, &mut buf, timeout).map_err(|e| map_err(e, endpoint, timeout))?;
        buf.truncate(n);
        Ok(buf)
    }

    fn bulk_out(&self, endpoint: u8, data: &[u8], timeout: Duration) -> Result<usize, TransportError> {
        self.handle.write_bulk(endpoint, data, timeout).map_err(|e| map_err(e, endpoint, timeout))
    }

    fn interrupt_in(&self, endpoint: u8, len: usize, timeout: Duration) -> Result<Vec<u8>, TransportError> {
        let mut buf = vec![0u8; len];
        let n = self.handle.read_interrupt(endpoint, &mut buf, timeout).map_err(|e| map_err(e, endpoint, timeout))?;
        buf.truncate(n);
        Ok(buf)
    }
}
