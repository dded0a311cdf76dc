//! TLS trust for the HTTP client: roots are read on the first certificate
//! check, once per process, so a command that only speaks plain HTTP never
//! opens a certificate file.
//!
//! Trust is the union of two sets, tried in this order:
//! 1. the extra roots from `SSL_CERT_FILE` (a PEM bundle) and `SSL_CERT_DIR`
//!    (PEM files), the usual way to add a corporate CA;
//! 2. the operating system's store, read from its bundle file when there is
//!    one (the directory is read file by file only on systems without one).
//!
//! A chain the extra roots cannot place falls through to the OS store, so a
//! corporate CA and public servers both verify in one run; a chain that the
//! extra roots do verify never makes the OS store load.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::config::env;
use crate::error::Error;

/// Bundle files of the common Linux and BSD layouts, most common first.
const OS_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/usr/local/share/certs/ca-root-nss.crt",
];

/// Read file by file only when no bundle exists.
const OS_DIRS: &[&str] = &["/etc/ssl/certs", "/etc/pki/tls/certs"];

/// The client configuration reqwest is given. Building it reads nothing.
pub fn client_config() -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(LazyVerifier {
        provider: provider.clone(),
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // reqwest sets ALPN only on configurations it builds itself.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}

/// A bad `SSL_CERT_FILE` found at the first handshake, as the config error
/// it is (exit 2), when `error` is the transport failure it caused.
pub fn trust_error(error: &(dyn std::error::Error + 'static)) -> Option<Error> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<TrustRootsError>() {
            return Some(Error::config(found.0.clone()));
        }
        // io::Error hides its inner error from `source()`: look inside.
        if let Some(inner) = error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(found) = trust_error(inner) {
                return Some(found);
            }
        }
        if let Some(rustls::Error::Other(other)) = error.downcast_ref::<rustls::Error>() {
            if let Some(found) = trust_error(other.0.as_ref()) {
                return Some(found);
            }
        }
        current = error.source();
    }
    None
}

#[derive(Debug, Clone)]
struct TrustRootsError(String);

impl std::fmt::Display for TrustRootsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TrustRootsError {}

/// The extra roots, and the files they came from (so the OS store does not
/// read the same file again).
struct ExtraRoots {
    verifier: Option<Arc<WebPkiServerVerifier>>,
    files: HashSet<PathBuf>,
}

static EXTRA: OnceLock<Result<ExtraRoots, TrustRootsError>> = OnceLock::new();
static SYSTEM: OnceLock<Option<Arc<WebPkiServerVerifier>>> = OnceLock::new();

#[derive(Debug)]
struct LazyVerifier {
    provider: Arc<CryptoProvider>,
}

impl LazyVerifier {
    fn build(&self, roots: RootCertStore) -> Option<Arc<WebPkiServerVerifier>> {
        if roots.is_empty() {
            return None;
        }
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
            .build()
            .ok()
    }

    fn extra(&self) -> Result<&ExtraRoots, TrustRootsError> {
        EXTRA
            .get_or_init(|| {
                let (roots, files) = extra_roots()?;
                Ok(ExtraRoots {
                    verifier: self.build(roots),
                    files,
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    fn system(&self, already_read: &HashSet<PathBuf>) -> Option<&Arc<WebPkiServerVerifier>> {
        SYSTEM
            .get_or_init(|| self.build(os_roots(already_read)))
            .as_ref()
    }
}

impl ServerCertVerifier for LazyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let extra = self
            .extra()
            .map_err(|error| rustls::Error::Other(rustls::OtherError(Arc::new(error))))?;
        let mut outcome = Err(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ));
        if let Some(verifier) = &extra.verifier {
            outcome = verifier.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            );
        }
        // Only a chain the extra roots cannot place is worth the OS store.
        if matches!(
            outcome,
            Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer
            ))
        ) {
            if let Some(verifier) = self.system(&extra.files) {
                outcome = verifier.verify_server_cert(
                    end_entity,
                    intermediates,
                    server_name,
                    ocsp_response,
                    now,
                );
            }
        }
        outcome
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// `SSL_CERT_FILE` must hold at least one certificate; `SSL_CERT_DIR` files
/// that are not PEM (hash links to the same files, READMEs) are skipped.
fn extra_roots() -> Result<(RootCertStore, HashSet<PathBuf>), TrustRootsError> {
    let mut roots = RootCertStore::empty();
    let mut files = HashSet::new();
    if let Some(file) = env::var(env::SSL_CERT_FILE) {
        let pem = std::fs::read(&file).map_err(|error| {
            TrustRootsError(format!("cannot read SSL_CERT_FILE {file}: {error}"))
        })?;
        if add_pem(&mut roots, &pem) == 0 {
            return Err(TrustRootsError(format!(
                "SSL_CERT_FILE {file} holds no PEM certificate"
            )));
        }
        files.insert(canonical(Path::new(&file)));
    }
    if let Some(dirs) = env::var(env::SSL_CERT_DIR) {
        for dir in std::env::split_paths(&dirs) {
            // The system's own directory is what its bundle holds: read the
            // one file rather than its hundreds of links.
            if let Some(bundle) = bundle_of_os_dir(&dir) {
                if files.insert(bundle.clone()) {
                    if let Ok(pem) = std::fs::read(&bundle) {
                        add_pem(&mut roots, &pem);
                    }
                }
                continue;
            }
            add_directory(&mut roots, &mut files, &dir);
        }
    }
    Ok((roots, files))
}

/// The OS store, skipping any file the extra roots already read.
fn os_roots(already_read: &HashSet<PathBuf>) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    let bundle = match env::var(env::TEST_OS_CA_FILE) {
        Some(file) => Some(PathBuf::from(file)),
        None => OS_BUNDLES
            .iter()
            .map(PathBuf::from)
            .find(|path| path.is_file()),
    };
    match bundle {
        Some(bundle) => {
            if !already_read.contains(&canonical(&bundle)) {
                if let Ok(pem) = std::fs::read(&bundle) {
                    add_pem(&mut roots, &pem);
                }
            }
        }
        None => {
            let mut seen = already_read.clone();
            for dir in OS_DIRS {
                add_directory(&mut roots, &mut seen, Path::new(dir));
            }
        }
    }
    roots
}

fn bundle_of_os_dir(dir: &Path) -> Option<PathBuf> {
    let dir = canonical(dir);
    OS_BUNDLES
        .iter()
        .map(Path::new)
        .filter(|bundle| bundle.parent().map(canonical).as_ref() == Some(&dir))
        .find(|bundle| bundle.is_file())
        .map(canonical)
}

/// Every PEM file of `dir`, each real file once whatever links point at it.
fn add_directory(roots: &mut RootCertStore, seen: &mut HashSet<PathBuf>, dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.flatten().map(|entry| entry.path()) {
        if !seen.insert(canonical(&path)) {
            continue;
        }
        if let Ok(pem) = std::fs::read(&path) {
            add_pem(roots, &pem);
        }
    }
}

/// How many certificates of `pem` were added.
fn add_pem(roots: &mut RootCertStore, pem: &[u8]) -> usize {
    let certificates = CertificateDer::pem_slice_iter(pem).filter_map(|found| found.ok());
    roots.add_parsable_certificates(certificates).0
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn building_the_config_reads_no_file() {
        let config = client_config();
        assert_eq!(config.alpn_protocols[0], b"h2");
        assert!(EXTRA.get().is_none() && SYSTEM.get().is_none());
    }

    #[test]
    fn a_trust_error_is_found_behind_io_and_rustls_wrappers() {
        let inner = rustls::Error::Other(rustls::OtherError(Arc::new(TrustRootsError(
            "SSL_CERT_FILE x holds no PEM certificate".into(),
        ))));
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, inner);
        let error = trust_error(&io).expect("found");
        assert_eq!(error.reason(), crate::error::Reason::Config);
        assert_eq!(error.exit_code(), 2);
        assert!(error.message().contains("SSL_CERT_FILE x"));
        let other = std::io::Error::other("connection refused");
        assert!(trust_error(&other).is_none());
    }

    #[test]
    fn non_pem_bytes_add_nothing() {
        let mut roots = RootCertStore::empty();
        assert_eq!(add_pem(&mut roots, b"no certificate here"), 0);
    }
}
