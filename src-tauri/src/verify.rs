//! Which certificates the desktop's transport accepts from a server: exactly the one pinned for
//! it, or one that chains to a root the platform trusts and names the host (a server with a
//! real certificate, which needs no fingerprint check and may renew its certificate freely). A
//! self-signed certificate is only ever accepted by its pin.

use std::sync::Arc;

use rustls::client::danger::{ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use server_core::tls::identity;
use server_core::tls::pin::{self, CertificateCheck};

/// The platform's certificate verification (the system's trust store and its policy).
#[derive(Clone, Debug)]
pub struct Roots(Arc<rustls_platform_verifier::Verifier>);

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl Roots {
    /// The roots this computer trusts; None (and only pins count) when they cannot be loaded.
    pub fn platform() -> Option<Roots> {
        match rustls_platform_verifier::Verifier::new(provider()) {
            Ok(verifier) => Some(Roots(Arc::new(verifier))),
            Err(e) => {
                tracing::warn!(error = %e, "the platform's certificate roots are unavailable; only pinned certificates will do");
                None
            }
        }
    }

    /// The platform's roots and `extra` ones (an office's own certificate authority; tests).
    ///
    /// # Errors
    /// When a root certificate cannot be parsed.
    pub fn with_extra(extra: Vec<CertificateDer<'static>>) -> Result<Roots, rustls::Error> {
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider())
            .map(|v| Roots(Arc::new(v)))
    }

    /// Whether `end_entity` (with `intermediates`) chains to a trusted root and names `name`.
    pub fn accept(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.0
            .verify_server_cert(end_entity, intermediates, name, ocsp, now)
    }
}

/// A client config for a server whose certificate is pinned as `fingerprint`, which also
/// accepts a certificate `roots` vouch for.
pub fn client_config(fingerprint: &str, roots: Option<Roots>) -> rustls::ClientConfig {
    pin::client_config(Arc::new(PinnedOrRoots {
        expected: pin::normalize(fingerprint),
        roots,
    }))
}

#[derive(Debug)]
pub struct PinnedOrRoots {
    expected: String,
    roots: Option<Roots>,
}

impl CertificateCheck for PinnedOrRoots {
    fn check(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if pin::normalize(&identity::fingerprint(end_entity)) == self.expected {
            return Ok(ServerCertVerified::assertion());
        }
        match &self.roots {
            Some(roots) => roots.accept(end_entity, intermediates, server_name, ocsp_response, now),
            None => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

    /// An office certificate authority and a server certificate it issued for `name`.
    fn issued(name: &str) -> (CertificateDer<'static>, CertificateDer<'static>) {
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
        let leaf = CertificateParams::new(vec![name.to_owned()])
            .unwrap()
            .signed_by(&KeyPair::generate().unwrap(), &ca)
            .unwrap();
        (ca.der().clone(), leaf.der().clone())
    }

    fn verify(config_fp: &str, roots: Option<Roots>, leaf: &CertificateDer<'_>, name: &str) -> bool {
        let verifier = PinnedOrRoots {
            expected: pin::normalize(config_fp),
            roots,
        };
        let name = ServerName::try_from(name.to_owned()).unwrap();
        verifier.check(leaf, &[], &name, &[], UnixTime::now()).is_ok()
    }

    #[test]
    fn a_certificate_from_a_trusted_authority_needs_no_pin_when_it_names_the_host() {
        let (ca, leaf) = issued("chat.office.test");
        let roots = Roots::with_extra(vec![ca]).unwrap();
        let unrelated_pin = "AA".repeat(32);
        assert!(verify(
            &unrelated_pin,
            Some(roots.clone()),
            &leaf,
            "chat.office.test"
        ));
        // Another name: refused, whatever authority issued it.
        assert!(!verify(&unrelated_pin, Some(roots), &leaf, "other.office.test"));
        // Without that authority among the roots, it is just an unknown certificate.
        assert!(!verify(
            &unrelated_pin,
            Roots::platform(),
            &leaf,
            "chat.office.test"
        ));
    }

    #[test]
    fn a_self_signed_certificate_is_accepted_by_its_pin_only() {
        let key = KeyPair::generate().unwrap();
        let own = CertificateParams::new(vec!["confab.local".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let der = own.der().clone();
        let (ca, _) = issued("chat.office.test");
        let roots = Roots::with_extra(vec![ca]).unwrap();
        assert!(!verify(
            &"AA".repeat(32),
            Some(roots.clone()),
            &der,
            "confab.local"
        ));
        let pin = identity::fingerprint(&der);
        assert!(verify(&pin, Some(roots), &der, "confab.local"));
        assert!(verify(&pin, None, &der, "10.0.0.5"));
    }
}
