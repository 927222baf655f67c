//! SS58 addresses: base58 of `prefix ‖ 32-byte key ‖ first 2 bytes of blake2b-512("SS58PRE" ‖ prefix ‖ key)`.

use blake2::{Blake2b512, Digest};

use crate::Error;

/// The generic Substrate prefix that bittensor uses (addresses start with `5`).
pub const DEFAULT_PREFIX: u16 = 42;

/// Length of the checksum appended to the payload.
const CHECKSUM_LEN: usize = 2;

/// Length of the key in the payload.
const KEY_LEN: usize = 32;

/// Largest prefix the two-byte encoding can carry.
const MAX_PREFIX: u16 = 16_383;

fn checksum(payload: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut hasher = Blake2b512::new();
    hasher.update(b"SS58PRE");
    hasher.update(payload);
    let hash = hasher.finalize();
    [hash[0], hash[1]]
}

/// Encodes a 32-byte key with `prefix` (taken modulo 2^14, as Substrate does).
pub fn encode(key: &[u8; KEY_LEN], prefix: u16) -> String {
    let ident = prefix & MAX_PREFIX;
    let mut payload = Vec::with_capacity(2 + KEY_LEN + CHECKSUM_LEN);
    if ident < 64 {
        payload.push(ident as u8);
    } else {
        let first = ((ident & 0b0000_0000_1111_1100) as u8) >> 2;
        let second = ((ident >> 8) as u8) | (((ident & 0b11) as u8) << 6);
        payload.push(first | 0b0100_0000);
        payload.push(second);
    }
    payload.extend_from_slice(key);
    let sum = checksum(&payload);
    payload.extend_from_slice(&sum);
    base58(&payload)
}

/// The base58 alphabet (Bitcoin's, which SS58 uses).
const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// `58^5`, the largest power of 58 below `2^32`: five digits come out of each long division.
const FIVE_DIGITS: u64 = 58 * 58 * 58 * 58 * 58;

/// Base58 of `input` (each leading zero byte as `1`), the same text as `bs58::encode`, by long
/// division of 32-bit limbs by `58^5` (by a constant, so without hardware division): every
/// metagraph answer encodes two addresses per neuron.
fn base58(input: &[u8]) -> String {
    let zeros = input.iter().take_while(|&&b| b == 0).count();
    let rest = input.get(zeros..).unwrap_or(&[]);
    let mut padded = vec![0u8; (4 - rest.len() % 4) % 4];
    padded.extend_from_slice(rest);
    let mut limbs: Vec<u32> = padded
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    // Digits, least significant first.
    let mut digits: Vec<u8> = Vec::with_capacity(rest.len() * 138 / 100 + 5);
    let mut first = 0;
    while first < limbs.len() {
        let mut remainder = 0u64;
        for limb in limbs.iter_mut().skip(first) {
            let current = (remainder << 32) | u64::from(*limb);
            // `remainder < 58^5`, so the quotient fits in 32 bits.
            *limb = (current / FIVE_DIGITS) as u32;
            remainder = current % FIVE_DIGITS;
        }
        for _ in 0..5 {
            digits.push((remainder % 58) as u8);
            remainder /= 58;
        }
        while limbs.get(first) == Some(&0) {
            first += 1;
        }
    }
    while digits.last() == Some(&0) {
        digits.pop();
    }
    let mut text = String::with_capacity(zeros + digits.len());
    text.extend(std::iter::repeat_n('1', zeros));
    text.extend(
        digits
            .iter()
            .rev()
            .map(|&d| char::from(ALPHABET[usize::from(d)])),
    );
    text
}

/// Decodes an address with any allowed prefix, returning the key and the prefix.
pub fn decode(address: &str) -> Result<([u8; KEY_LEN], u16), Error> {
    let data = bs58::decode(address)
        .into_vec()
        .map_err(|e| Error::Ss58BadBase58 {
            address: address.to_string(),
            reason: e.to_string(),
        })?;
    let bad_length = |expected: usize| Error::Ss58BadLength {
        address: address.to_string(),
        length: data.len(),
        expected,
    };
    let Some(&first) = data.first() else {
        return Err(bad_length(1 + KEY_LEN + CHECKSUM_LEN));
    };
    let (prefix_len, prefix) = match first {
        0..=63 => (1, u16::from(first)),
        64..=127 => {
            let Some(&second) = data.get(1) else {
                return Err(bad_length(2 + KEY_LEN + CHECKSUM_LEN));
            };
            let lower = (first << 2) | (second >> 6);
            let upper = second & 0b0011_1111;
            (2, u16::from(lower) | (u16::from(upper) << 8))
        }
        _ => {
            return Err(Error::Ss58BadPrefix {
                address: address.to_string(),
                prefix: u16::from(first),
            });
        }
    };
    let expected = prefix_len + KEY_LEN + CHECKSUM_LEN;
    if data.len() != expected {
        return Err(bad_length(expected));
    }
    // 46 and 47 are reserved by the SS58 registry and never valid address formats.
    if prefix == 46 || prefix == 47 {
        return Err(Error::Ss58BadPrefix {
            address: address.to_string(),
            prefix,
        });
    }
    let body_end = prefix_len + KEY_LEN;
    if data[body_end..] != checksum(&data[..body_end]) {
        return Err(Error::Ss58BadChecksum {
            address: address.to_string(),
        });
    }
    let mut key = [0u8; KEY_LEN];
    key.copy_from_slice(&data[prefix_len..body_end]);
    Ok((key, prefix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
    const ALICE_HEX: &str = "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";

    fn alice_key() -> [u8; 32] {
        let mut key = [0u8; 32];
        hex::decode_to_slice(ALICE_HEX, &mut key).unwrap();
        key
    }

    #[test]
    fn alice_encodes_with_prefix_42() {
        assert_eq!(encode(&alice_key(), DEFAULT_PREFIX), ALICE);
        assert_eq!(decode(ALICE).unwrap(), (alice_key(), 42));
    }

    #[test]
    fn polkadot_and_kusama_prefixes_decode() {
        // Alice on Polkadot (0) and Kusama (2), as printed by `subkey inspect --network`.
        let polkadot = "15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5";
        let kusama = "HNZata7iMYWmk5RvZRTiAsSDhV8366zq2YGb3tLH5Upf74F";
        assert_eq!(decode(polkadot).unwrap(), (alice_key(), 0));
        assert_eq!(decode(kusama).unwrap(), (alice_key(), 2));
        assert_eq!(encode(&alice_key(), 0), polkadot);
        assert_eq!(encode(&alice_key(), 2), kusama);
    }

    #[test]
    fn errors_are_distinct() {
        assert!(matches!(
            decode("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQ0"),
            Err(Error::Ss58BadBase58 { .. })
        ));
        assert!(matches!(
            decode("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQZ"),
            Err(Error::Ss58BadChecksum { .. })
        ));
        assert!(matches!(
            decode("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKut"),
            Err(Error::Ss58BadLength { .. })
        ));
        assert!(matches!(decode(""), Err(Error::Ss58BadLength { .. })));
    }

    proptest! {
        #[test]
        fn base58_matches_bs58(
            bytes in proptest::collection::vec(any::<u8>(), 0..48),
            zeros in 0usize..4,
        ) {
            let mut input = vec![0u8; zeros];
            input.extend_from_slice(&bytes);
            prop_assert_eq!(base58(&input), bs58::encode(&input).into_string());
        }

        #[test]
        fn roundtrip(key in any::<[u8; 32]>(), prefix in 0u16..16_384) {
            prop_assume!(prefix != 46 && prefix != 47);
            let address = encode(&key, prefix);
            prop_assert_eq!(decode(&address).unwrap(), (key, prefix));
        }

    }
}
