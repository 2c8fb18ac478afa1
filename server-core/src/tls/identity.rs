//! The server's TLS identity: its certificate chain and private key, either the self-signed
//! pair generated once into the data dir or an administrator's own PEM files, and the
//! fingerprint people compare to trust it.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// File name of the generated private key inside the data dir.
pub const KEY_FILE: &str = "identity.key";
/// File name of the generated certificate inside the data dir.
pub const CERT_FILE: &str = "identity.crt";

/// A certificate chain (leaf first) with its private key.
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Identity {
    /// The leaf certificate's fingerprint, as [`fingerprint`] writes it.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.chain[0])
    }

    /// Reads the pair in `data_dir`, or generates it there when neither file exists yet.
    /// `names` and `addresses` become the new certificate's subject alternative names.
    ///
    /// # Errors
    /// [`Error::Identity`] when only one of the two files exists, or either cannot be read or
    /// parsed: the server never replaces an identity people may have pinned.
    pub fn load_or_generate(data_dir: &Path, names: &[String], addresses: &[IpAddr]) -> Result<Identity> {
        let key_path = data_dir.join(KEY_FILE);
        let cert_path = data_dir.join(CERT_FILE);
        match (key_path.exists(), cert_path.exists()) {
            (false, false) => {
                let identity = generate(names, addresses)?;
                store(&identity, &key_path, &cert_path)?;
                Ok(identity)
            }
            (true, true) => Identity::from_files(&cert_path, &key_path),
            (key, _) => {
                let missing = if key { &cert_path } else { &key_path };
                Err(identity_error(
                    missing,
                    "is missing while its pair exists; restore it from a backup, or move both \
                     identity files away to make a new identity (clients will then have to \
                     trust the new one)",
                ))
            }
        }
    }

    /// Reads a PEM certificate chain (leaf first) and a PEM private key (PKCS#8, PKCS#1 or
    /// SEC1), as an administrator's own certificate comes.
    ///
    /// # Errors
    /// [`Error::Identity`] naming the file that is unreadable, empty or not PEM.
    pub fn from_files(cert_path: &Path, key_path: &Path) -> Result<Identity> {
        let cert_pem = std::fs::read(cert_path).map_err(|e| identity_error(cert_path, &e.to_string()))?;
        let key_pem = std::fs::read(key_path).map_err(|e| identity_error(key_path, &e.to_string()))?;
        Identity::from_pem(&cert_pem, &key_pem).map_err(|(which, why)| {
            identity_error(if which == Which::Cert { cert_path } else { key_path }, &why)
        })
    }

    /// Parses a PEM certificate chain and private key, saying which of the two is wrong.
    fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> std::result::Result<Identity, (Which, String)> {
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| (Which::Cert, format!("is not a PEM certificate ({e})")))?;
        if chain.is_empty() {
            return Err((Which::Cert, "holds no PEM certificate".to_owned()));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| (Which::Key, format!("is not a PEM private key ({e})")))?;
        // A key that does not fit the certificate would only fail in every handshake later.
        let signing = rustls::crypto::ring::sign::any_supported_type(&key)
            .map_err(|e| (Which::Key, format!("is not a usable private key ({e})")))?;
        let certified = rustls::sign::CertifiedKey::new(chain.clone(), signing);
        certified
            .keys_match()
            .map_err(|e| (Which::Key, format!("does not belong to the certificate ({e})")))?;
        Ok(Identity { chain, key })
    }
}

#[derive(PartialEq)]
enum Which {
    Cert,
    Key,
}

fn identity_error(path: &Path, why: &str) -> Error {
    Error::Identity {
        path: PathBuf::from(path),
        message: why.to_owned(),
    }
}

/// The fingerprint of the first certificate in the PEM file at `path`.
///
/// # Errors
/// [`Error::Identity`] when the file cannot be read or holds no certificate.
pub fn fingerprint_of_file(path: &Path) -> Result<String> {
    let pem = std::fs::read(path).map_err(|e| identity_error(path, &e.to_string()))?;
    match CertificateDer::pem_slice_iter(&pem).next() {
        Some(Ok(cert)) => Ok(fingerprint(&cert)),
        _ => Err(identity_error(path, "holds no PEM certificate")),
    }
}

/// SHA-256 of the certificate's DER, as colon-separated upper-case hex pairs: how browsers'
/// certificate viewers show it, so people can compare the two by eye.
pub fn fingerprint(cert: &CertificateDer<'_>) -> String {
    let digest = Sha256::digest(cert.as_ref());
    let pairs: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
    pairs.join(":")
}

/// A new ECDSA P-256 key and a self-signed certificate for it, valid until 4096 (there is no one
/// to renew it, and clients pin it rather than check dates against a CA).
fn generate(names: &[String], addresses: &[IpAddr]) -> Result<Identity> {
    let failed = |e: rcgen::Error| Error::Internal(format!("generating the TLS identity: {e}"));
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(failed)?;
    let mut sans: Vec<String> = names.to_vec();
    sans.extend(addresses.iter().map(IpAddr::to_string));
    sans.dedup();
    let mut params = rcgen::CertificateParams::new(sans).map_err(failed)?;
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        names.first().map_or("Confab", String::as_str),
    );
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "Confab server");
    let cert = params.self_signed(&key).map_err(failed)?;
    Ok(Identity {
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::try_from(key.serialize_der())
            .map_err(|e| Error::Internal(format!("generating the TLS identity: {e}")))?,
    })
}

/// Writes the pair: the key readable by this user only, created new (never over a file).
fn store(identity: &Identity, key_path: &Path, cert_path: &Path) -> Result<()> {
    let key_pem = pem("PRIVATE KEY", identity.key.secret_der());
    let cert_pem = pem("CERTIFICATE", identity.chain[0].as_ref());
    write_new(key_path, key_pem.as_bytes(), 0o600)?;
    write_new(cert_path, cert_pem.as_bytes(), 0o644)?;
    Ok(())
}

fn write_new(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(path)
        .map_err(|e| identity_error(path, &format!("cannot be created ({e})")))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|e| identity_error(path, &format!("cannot be written ({e})")))
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pem_parses_back_with_the_same_fingerprint() {
        let names = vec!["office-pc".to_owned(), "localhost".to_owned()];
        let identity = generate(&names, &["192.0.2.7".parse().unwrap()]).unwrap();
        let again = Identity::from_pem(
            pem("CERTIFICATE", identity.chain[0].as_ref()).as_bytes(),
            pem("PRIVATE KEY", identity.key.secret_der()).as_bytes(),
        )
        .map_err(|(_, why)| why)
        .unwrap();
        assert_eq!(again.fingerprint(), identity.fingerprint());
    }

    #[test]
    fn fingerprint_is_colon_separated_upper_hex() {
        let fp = fingerprint(&CertificateDer::from(b"abc".to_vec()));
        assert_eq!(
            fp,
            "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
        );
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let one = generate(&["a".to_owned()], &[]).unwrap();
        let two = generate(&["b".to_owned()], &[]).unwrap();
        let (which, why) = Identity::from_pem(
            pem("CERTIFICATE", one.chain[0].as_ref()).as_bytes(),
            pem("PRIVATE KEY", two.key.secret_der()).as_bytes(),
        )
        .err()
        .unwrap();
        assert!(which == Which::Key, "{why}");
        assert!(Identity::from_pem(b"garbage", b"garbage").is_err());
    }
}
