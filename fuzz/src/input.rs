//! Reading fuzz input as a stream of fields, and writing seeds in the same layout.
//!
//! Reading never fails: past the end of the input every field reads as zero or empty, so that
//! every byte string is a valid input and libFuzzer's mutations are never wasted.

/// Reads fields from the front of a fuzz input.
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// Whether everything has been read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// One byte (0 past the end).
    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((byte, rest)) => {
                self.data = rest;
                *byte
            }
            None => 0,
        }
    }

    /// Two bytes, big-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }

    /// Eight bytes, big-endian.
    pub fn u64(&mut self) -> u64 {
        let mut bytes = [0u8; 8];
        bytes.iter_mut().for_each(|byte| *byte = self.u8());
        u64::from_be_bytes(bytes)
    }

    /// The next `len` bytes, or fewer when the input ends first.
    pub fn bytes(&mut self, len: usize) -> &'a [u8] {
        let (head, tail) = self.data.split_at(len.min(self.data.len()));
        self.data = tail;
        head
    }

    /// A field of a one-byte length and that many bytes.
    pub fn bytes_u8(&mut self) -> &'a [u8] {
        let len = self.u8();
        self.bytes(len.into())
    }

    /// A field of a two-byte length and that many bytes.
    pub fn bytes_u16(&mut self) -> &'a [u8] {
        let len = self.u16();
        self.bytes(len.into())
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}

/// Writes fields in the layout [`Reader`] reads (for the seed generator).
#[derive(Default)]
pub struct Writer {
    /// The bytes written so far.
    pub bytes: Vec<u8>,
}

impl Writer {
    /// One byte.
    pub fn u8(&mut self, value: u8) -> &mut Self {
        self.bytes.push(value);
        self
    }

    /// Two bytes, big-endian.
    pub fn u16(&mut self, value: u16) -> &mut Self {
        self.bytes.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// Eight bytes, big-endian.
    pub fn u64(&mut self, value: u64) -> &mut Self {
        self.bytes.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// Raw bytes, no length.
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(bytes);
        self
    }

    /// A one-byte length and the bytes (at most 255).
    pub fn bytes_u8(&mut self, bytes: &[u8]) -> &mut Self {
        let len = u8::try_from(bytes.len()).expect("field longer than 255 bytes");
        self.u8(len).bytes(bytes)
    }

    /// A two-byte length and the bytes (at most 65535).
    pub fn bytes_u16(&mut self, bytes: &[u8]) -> &mut Self {
        let len = u16::try_from(bytes.len()).expect("field longer than 65535 bytes");
        self.u16(len).bytes(bytes)
    }
}
