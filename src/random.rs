//! Secrets from the OS CSPRNG: CSP nonces and the per-launch IPC key.

/// `bytes` random bytes, hex-encoded (hex is also valid as a CSP nonce's base64-value).
pub fn hex(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}
