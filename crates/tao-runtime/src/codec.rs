//! The one binary codec of the runtime: transactions, calls and every stored value.
//!
//! Rules (frozen by golden fixtures in `tests/golden.rs`, described in docs/TRANSACTIONS.md):
//! - fixed-width integers are little-endian (`u8`, `u16`, `u32`, `u64`, `u128`);
//! - `bool` is one byte, `0x00` or `0x01`; anything else is an error;
//! - lengths (of vectors and byte strings) are unsigned LEB128, at most 5 bytes, minimal form;
//! - `Option<T>` is a tag byte `0x00` (none) or `0x01` followed by `T`;
//! - structs are their fields in declaration order, enums a tag byte then the variant's fields;
//! - decoding a whole value must consume every byte (`CodecError::TrailingBytes`).

use tao_crypto::{PublicKey, Signature};

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The input ended before the value was complete.
    #[error("unexpected end of input: needed {needed} more bytes at offset {offset}")]
    UnexpectedEnd {
        /// Offset at which the read started.
        offset: usize,
        /// Bytes the read needed.
        needed: usize,
    },
    /// Bytes were left over after the value.
    #[error("{extra} trailing bytes after a complete value")]
    TrailingBytes {
        /// Number of unread bytes.
        extra: usize,
    },
    /// A tag byte (enum variant, bool, option) is not one the decoder knows.
    #[error("invalid tag {tag} for {what}")]
    InvalidTag {
        /// What was being decoded.
        what: &'static str,
        /// The tag read.
        tag: u8,
    },
    /// A length prefix is malformed (over 5 bytes, non-minimal) or larger than the input.
    #[error("invalid length prefix at offset {offset}")]
    InvalidLength {
        /// Offset of the length prefix.
        offset: usize,
    },
    /// A structurally valid value failed a semantic check (e.g. unsupported version).
    #[error("invalid value: {0}")]
    Invalid(String),
}

/// Result alias for decoding.
pub type CodecResult<T> = Result<T, CodecError>;

/// A cursor over bytes being decoded.
pub struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading at the beginning of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, offset: 0 }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.offset
    }

    /// Reads exactly `n` bytes.
    pub fn take(&mut self, n: usize) -> CodecResult<&'a [u8]> {
        if self.remaining() < n {
            return Err(CodecError::UnexpectedEnd {
                offset: self.offset,
                needed: n,
            });
        }
        let out = &self.bytes[self.offset..self.offset + n];
        self.offset += n;
        Ok(out)
    }

    /// Reads a fixed-size array.
    pub fn array<const N: usize>(&mut self) -> CodecResult<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// Reads a length prefix and checks that at least `len * min_item_size` bytes remain,
    /// so a hostile prefix cannot make the decoder allocate.
    pub fn length(&mut self, min_item_size: usize) -> CodecResult<usize> {
        let offset = self.offset;
        let mut value: u64 = 0;
        for i in 0..5 {
            let byte = self.array::<1>()?[0];
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                if i > 0 && byte == 0 {
                    return Err(CodecError::InvalidLength { offset });
                }
                let len =
                    usize::try_from(value).map_err(|_| CodecError::InvalidLength { offset })?;
                if len.saturating_mul(min_item_size.max(1)) > self.remaining() {
                    return Err(CodecError::InvalidLength { offset });
                }
                return Ok(len);
            }
        }
        Err(CodecError::InvalidLength { offset })
    }
}

/// Writes a length prefix (unsigned LEB128).
pub fn encode_length(len: usize, out: &mut Vec<u8>) {
    let mut value = len as u64;
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A value with a canonical binary encoding.
pub trait Encode {
    /// Appends the encoding of `self` to `out`.
    fn encode_to(&self, out: &mut Vec<u8>);

    /// The encoding of `self`.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_to(&mut out);
        out
    }
}

/// A value that can be read back from its encoding.
pub trait Decode: Sized {
    /// Smallest possible encoded size, used to bound vector allocations.
    const MIN_SIZE: usize = 1;

    /// Reads one value from `reader`.
    fn decode_from(reader: &mut Reader<'_>) -> CodecResult<Self>;

    /// Decodes a value that must span all of `bytes`.
    fn decode(bytes: &[u8]) -> CodecResult<Self> {
        let mut reader = Reader::new(bytes);
        let value = Self::decode_from(&mut reader)?;
        match reader.remaining() {
            0 => Ok(value),
            extra => Err(CodecError::TrailingBytes { extra }),
        }
    }
}

macro_rules! int_codec {
    ($($t:ty),*) => {$(
        impl Encode for $t {
            fn encode_to(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
        impl Decode for $t {
            const MIN_SIZE: usize = std::mem::size_of::<$t>();
            fn decode_from(reader: &mut Reader<'_>) -> CodecResult<Self> {
                Ok(<$t>::from_le_bytes(reader.array()?))
            }
        }
    )*};
}
int_codec!(u8, u16, u32, u64, u128, i16);

impl Encode for bool {
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl Decode for bool {
    fn decode_from(reader: &mut Reader<'_>) -> CodecResult<Self> {
        match reader.array::<1>()?[0] {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(CodecError::InvalidTag { what: "bool", tag }),
        }
    }
}

impl<const N: usize> Encode for [u8; N] {
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
}

impl<const N: usize> Decode for [u8; N] {
    const MIN_SIZE: usize = N;
    fn decode_from(reader: &mut Reader<'_>) -> CodecResult<Self> {
        reader.array()
    }
}

impl<T: Encode> Encode for Vec<T> {
    fn encode_to(&self, out: &mut Vec<u8>) {
        encode_length(self.len(), out);
        for item in self {
            item.encode_to(out);
        }
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode_from(reader: &mut Reader<'_>) -> CodecResult<Self> {
        let len = reader.length(T::MIN_SIZE)?;
        let mut out = Vec::with_capacity(len);
        for _ in 0..len {
            out.push(T::decode_from(reader)?);
        }
        Ok(out)
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode_to(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(value) => {
                out.push(1);
                value.encode_to(out);
            }
        }
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode_from(reader: &mut Reader<'_>) -> CodecResult<Self> {
        match reader.array::<1>()?[0] {
            0 => Ok(None),
            1 => Ok(Some(T::decode_from(reader)?)),
            tag => Err(CodecError::InvalidTag {
                what: "option",
                tag,
            }),
        }
    }
}

impl<A: Encode, B: Encode> Encode for (A, B) {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.0.encode_to(out);
        self.1.encode_to(out);
    }
}

impl<A: Decode, B: Decode> Decode for (A, B) {
    const MIN_SIZE: usize = A::MIN_SIZE + B::MIN_SIZE;
    fn decode_from(reader: &mut Reader<'_>) -> CodecResult<Self> {
        Ok((A::decode_from(reader)?, B::decode_from(reader)?))
    }
}

impl<A: Encode, B: Encode, C: Encode> Encode for (A, B, C) {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.0.encode_to(out);
        self.1.encode_to(out);
        self.2.encode_to(out);
    }
}

impl<A: Decode, B: Decode, C: Decode> Decode for (A, B, C) {
    const MIN_SIZE: usize = A::MIN_SIZE + B::MIN_SIZE + C::MIN_SIZE;
    fn decode_from(reader: &mut Reader<'_>) -> CodecResult<Self> {
        Ok((
            A::decode_from(reader)?,
            B::decode_from(reader)?,
            C::decode_from(reader)?,
        ))
    }
}

impl Encode for PublicKey {
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

impl Decode for PublicKey {
    const MIN_SIZE: usize = 32;
    fn decode_from(reader: &mut Reader<'_>) -> CodecResult<Self> {
        Ok(PublicKey(reader.array()?))
    }
}

impl Encode for Signature {
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

impl Decode for Signature {
    const MIN_SIZE: usize = 64;
    fn decode_from(reader: &mut Reader<'_>) -> CodecResult<Self> {
        Ok(Signature(reader.array()?))
    }
}

/// Implements `Encode`/`Decode` for a struct as its fields in order.
macro_rules! struct_codec {
    ($name:ident { $($field:ident),* $(,)? }) => {
        impl $crate::codec::Encode for $name {
            fn encode_to(&self, out: &mut Vec<u8>) {
                $( $crate::codec::Encode::encode_to(&self.$field, out); )*
            }
        }
        impl $crate::codec::Decode for $name {
            fn decode_from(reader: &mut $crate::codec::Reader<'_>) -> $crate::codec::CodecResult<Self> {
                Ok(Self { $( $field: $crate::codec::Decode::decode_from(reader)?, )* })
            }
        }
    };
}
pub(crate) use struct_codec;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_minimal_leb128() {
        let mut out = Vec::new();
        encode_length(300, &mut out);
        assert_eq!(out, vec![0xac, 0x02]);
        let v: Vec<u8> = vec![7; 300];
        assert_eq!(Vec::<u8>::decode(&v.encode()), Ok(v));
        // non-minimal form of 0
        assert!(matches!(
            Vec::<u8>::decode(&[0x80, 0x00]),
            Err(CodecError::InvalidLength { .. })
        ));
    }

    #[test]
    fn hostile_length_does_not_allocate() {
        assert!(matches!(
            Vec::<u64>::decode(&[0xff, 0xff, 0xff, 0xff, 0x0f]),
            Err(CodecError::InvalidLength { .. })
        ));
    }

    #[test]
    fn bool_option_and_trailing_bytes() {
        assert_eq!(
            bool::decode(&[2]),
            Err(CodecError::InvalidTag {
                what: "bool",
                tag: 2
            })
        );
        assert_eq!(Option::<u16>::decode(&[1, 5, 0]), Ok(Some(5)));
        assert_eq!(
            u16::decode(&[1, 2, 3]),
            Err(CodecError::TrailingBytes { extra: 1 })
        );
        assert!(matches!(
            u64::decode(&[1]),
            Err(CodecError::UnexpectedEnd { .. })
        ));
    }
}
