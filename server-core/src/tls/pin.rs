//! TLS client configurations that trust exactly one certificate, named by its fingerprint: how
//! clients that know the server's fingerprint (the health check, the desktop app, tests) talk to
//! a self-signed server without trusting anything else.

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::identity::fingerprint;

/// How a client judges the certificate a server presents. The handshake's signatures are
/// checked apart from it, against that certificate, so whoever answers holds its key whatever
/// the judgement.
pub trait CertificateCheck: Send + Sync + fmt::Debug {
    /// Accepts or refuses the server's certificate, as rustls' `verify_server_cert`.
    ///
    /// # Errors
    /// The refusal, usually `InvalidCertificate`.
    fn check(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error>;
}

/// A client config on ring (as the server's listener), HTTP/1.1 only (as the server speaks),
/// whose server certificate `check` judges.
pub fn client_config(check: Arc<dyn CertificateCheck>) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Checked {
        check,
        algorithms: provider.signature_verification_algorithms,
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}

/// A client config that completes a handshake only with a server whose leaf certificate has
/// `expected` as its fingerprint (as [`fingerprint`] writes it; case and colons ignored).
/// Names and dates are not checked: the pin already says which certificate is meant.
pub fn pinned_client_config(expected: &str) -> rustls::ClientConfig {
    client_config(Arc::new(Pinned {
        expected: normalize(expected),
    }))
}

/// A fingerprint as upper-case hex digits only, so that `ab:12…` and `AB12…` compare equal.
pub fn normalize(fp: &str) -> String {
    fp.chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[derive(Debug)]
struct Pinned {
    expected: String,
}

impl CertificateCheck for Pinned {
    fn check(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if normalize(&fingerprint(end_entity)) == self.expected {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }
}

/// A [`CertificateCheck`] with rustls' own signature checks.
#[derive(Debug)]
struct Checked {
    check: Arc<dyn CertificateCheck>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Checked {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.check
            .check(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
