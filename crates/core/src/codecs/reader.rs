//! A bounds-checked big-endian reader: every read that would pass the end is a
//! [`TemplateError::Truncated`], so parsers cannot panic or over-read.

use crate::error::TemplateError;

pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], TemplateError> {
        if self.remaining() < n {
            return Err(TemplateError::Truncated { offset: self.pos, needed: n, available: self.remaining() });
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub(crate) fn u8(&mut self) -> Result<u8, TemplateError> {
        Ok(self.take(1)?[0])
    }
    pub(crate) fn u16(&mut self) -> Result<u16, TemplateError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    pub(crate) fn u32(&mut self) -> Result<u32, TemplateError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub(crate) fn skip(&mut self, n: usize) -> Result<(), TemplateError> {
        self.take(n).map(|_| ())
    }
}

/// Big-endian writer helpers.
pub(crate) trait PutBe {
    fn put_u16(&mut self, v: u16);
    fn put_u32(&mut self, v: u32);
}

impl PutBe for Vec<u8> {
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
}
