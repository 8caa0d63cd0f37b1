//! Encodings, hashes and identifiers: base64 (standard and URL-safe), hex, SHA-256,
//! HMAC-SHA-256, UUID v4 and v7. Functions taking data accept a string (its UTF-8 bytes) or a
//! blob; decoders give a blob (`blob.as_string()` reads it as text) and name the position of
//! the first bad character.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use rhai::{Blob, Dynamic, Engine, ImmutableString};
use sha2::{Digest, Sha256};

use super::{Res, Size, check_len, error, reserve};

/// URL-safe decoding that takes the text with or without `=` padding.
const URL_SAFE_ANY: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Runs `f` on the bytes of a string or a blob argument.
fn with_bytes<T>(name: &str, v: &Dynamic, f: impl FnOnce(&[u8]) -> Res<T>) -> Res<T> {
    if let Some(s) = v.read_lock::<ImmutableString>() {
        return f(s.as_bytes());
    }
    if let Some(b) = v.read_lock::<Blob>() {
        return f(&b);
    }
    Err(error(format!(
        "{name}: a string or a blob is needed, not {}",
        v.type_name()
    )))
}

fn encoded(len: usize) -> Res<()> {
    check_len(Size::String, len)?;
    reserve(len)
}

fn base64_encode(name: &str, v: &Dynamic, engine: &GeneralPurpose, padded: bool) -> Res<String> {
    with_bytes(name, v, |b| {
        let len = base64::encoded_len(b.len(), padded).unwrap_or(usize::MAX);
        encoded(len)?;
        Ok(engine.encode(b))
    })
}

fn base64_decode(name: &str, text: &str, engine: &GeneralPurpose) -> Res<Blob> {
    let text = text.trim_end_matches(['\n', '\r']);
    check_len(Size::Array, text.len() / 4 * 3 + 3)?;
    reserve(text.len())?;
    engine.decode(text).map_err(|e| {
        let why = match e {
            base64::DecodeError::InvalidByte(at, byte) => {
                // The offset is in bytes; what came before it is base64, so ASCII.
                let shown = text.get(at..).and_then(|t| t.chars().next());
                format!(
                    "{:?} at position {at} is not a base64 character",
                    shown.unwrap_or(char::from(byte))
                )
            }
            base64::DecodeError::InvalidLength(n) => {
                format!("{n} characters of base64 cannot be a whole number of bytes")
            }
            base64::DecodeError::InvalidLastSymbol(at, byte) => format!(
                "the last character {:?} (position {at}) has bits that belong to no byte",
                char::from(byte)
            ),
            base64::DecodeError::InvalidPadding => "the `=` padding is wrong".to_owned(),
        };
        error(format!("{name}: {why}"))
    })
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

fn hex_decode(text: &str) -> Res<Blob> {
    if let Some((i, c)) = text
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_hexdigit())
    {
        return Err(error(format!(
            "hex_decode: {c:?} at position {i} is not a hex digit"
        )));
    }
    let bytes = text.as_bytes();
    if bytes.len() % 2 == 1 {
        return Err(error(format!(
            "hex_decode: {} digits is an odd number (two make a byte)",
            bytes.len()
        )));
    }
    check_len(Size::Array, bytes.len() / 2)?;
    reserve(bytes.len() / 2)?;
    let value = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c.wrapping_sub(b'A').wrapping_add(10),
    };
    Ok(bytes
        .chunks_exact(2)
        .map(|pair| (value(pair[0]) << 4) | value(pair[1]))
        .collect())
}

fn hmac_sha256(key: &Dynamic, message: &Dynamic) -> Res<String> {
    with_bytes("hmac_sha256", key, |key| {
        with_bytes("hmac_sha256", message, |message| {
            let mut mac = Hmac::<Sha256>::new_from_slice(key)
                .map_err(|e| error(format!("hmac_sha256: {e}")))?;
            mac.update(message);
            Ok(hex(&mac.finalize().into_bytes()))
        })
    })
}

/// Registers the encodings, hashes and UUIDs.
pub fn register(engine: &mut Engine) {
    engine.register_fn("base64_encode", |v: &mut Dynamic| {
        base64_encode("base64_encode", v, &STANDARD, true)
    });
    engine.register_fn("base64_decode", |s: &str| {
        base64_decode("base64_decode", s, &STANDARD)
    });
    engine.register_fn("base64url_encode", |v: &mut Dynamic| {
        base64_encode("base64url_encode", v, &URL_SAFE_NO_PAD, false)
    });
    engine.register_fn("base64url_decode", |s: &str| {
        base64_decode("base64url_decode", s, &URL_SAFE_ANY)
    });
    engine.register_fn("hex_encode", |v: &mut Dynamic| {
        with_bytes("hex_encode", v, |b| {
            encoded(b.len().saturating_mul(2))?;
            Ok(hex(b))
        })
    });
    engine.register_fn("hex_decode", hex_decode);
    engine.register_fn("sha256", |v: &mut Dynamic| {
        with_bytes("sha256", v, |b| Ok(hex(&Sha256::digest(b))))
    });
    engine.register_fn("hmac_sha256", |key: &mut Dynamic, message: Dynamic| {
        hmac_sha256(key, &message)
    });
    engine.register_fn("uuid", || uuid::Uuid::new_v4().to_string());
    engine.register_fn("uuid_v7", || uuid::Uuid::now_v7().to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::lib::message;

    #[test]
    fn base64_round_trips_and_names_bad_characters() {
        let text = Dynamic::from("héllo?>");
        let std = base64_encode("b", &text, &STANDARD, true).unwrap();
        assert_eq!(std, "aMOpbGxvPz4=");
        assert_eq!(
            base64_decode("b", &std, &STANDARD).unwrap(),
            "héllo?>".as_bytes()
        );
        let url = base64_encode("u", &text, &URL_SAFE_NO_PAD, false).unwrap();
        assert_eq!(url, "aMOpbGxvPz4");
        assert_eq!(
            base64_decode("u", &url, &URL_SAFE_ANY).unwrap(),
            "héllo?>".as_bytes()
        );
        assert_eq!(
            base64_decode("u", "aMOpbGxvPz4=", &URL_SAFE_ANY).unwrap(),
            "héllo?>".as_bytes()
        );
        let e = message(base64_decode("base64_decode", "aGV%bG8=", &STANDARD).unwrap_err());
        assert_eq!(
            e,
            "base64_decode: '%' at position 3 is not a base64 character"
        );
        let e = message(base64_decode("base64_decode", "aGVsb", &STANDARD).unwrap_err());
        assert!(e.contains("base64_decode:"), "{e}");
        let blob = Dynamic::from_blob(vec![0, 255, 16]);
        assert_eq!(base64_encode("b", &blob, &STANDARD, true).unwrap(), "AP8Q");
    }

    #[test]
    fn hex_round_trips_and_names_the_bad_position() {
        assert_eq!(hex(&[0, 171, 255]), "00abff");
        assert_eq!(hex_decode("00ABff").unwrap(), [0, 171, 255]);
        let e = message(hex_decode("00aé").unwrap_err());
        assert_eq!(e, "hex_decode: 'é' at position 3 is not a hex digit");
        let e = message(hex_decode("abc").unwrap_err());
        assert!(e.contains("odd number"), "{e}");
        assert!(hex_decode("").unwrap().is_empty());
    }

    #[test]
    fn hashes_match_known_values() {
        assert_eq!(
            hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // RFC 4231, test case 2.
        assert_eq!(
            hmac_sha256(
                &Dynamic::from("Jefe"),
                &Dynamic::from("what do ya want for nothing?")
            )
            .unwrap(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn uuids_have_their_version() {
        let v4 = uuid::Uuid::new_v4().to_string();
        assert_eq!(v4.as_bytes()[14], b'4');
        let a = uuid::Uuid::now_v7().to_string();
        let b = uuid::Uuid::now_v7().to_string();
        assert_eq!(a.as_bytes()[14], b'7');
        assert!(a < b, "v7 sorts by time");
    }
}
