//! The development CA and the certificates it issues: local-events serves its `--tls`
//! certificate from here (clients force `wss://`, so the endpoint serves HTTPS and WSS on
//! one port), and [`crate::tls_front`] puts tests' loopback servers behind it. A server
//! certificate names `localhost`, `127.0.0.1`, `::1` and `host.docker.internal` (the name
//! a container, such as the publisher under `sam local invoke`, gives the machine it runs on).
//!
//! On first use the cert dir (default `.dev/certs/`) gets a CA (`ca.pem`, key
//! `ca-key.pem`, 10 years); every start issues a fresh server certificate from it
//! (`cert.pem` / `key.pem`, 90 days, within browsers' 398-day limit), so only the CA ever
//! needs trusting: `NODE_EXTRA_CA_CERTS=.dev/certs/ca.pem` for Node, "import CA" for a
//! browser. Keys are written owner-only. The CA's name carries a digest of its own key, so
//! it is re-derived from the key file alone and two developers' CAs never share a name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SerialNumber,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::clock;
use crate::sigv4::sha256_hex;

/// The CA certificate file name.
pub const CA_FILE: &str = "ca.pem";
/// The CA key file name.
pub const CA_KEY_FILE: &str = "ca-key.pem";
/// The server certificate file name.
pub const CERT_FILE: &str = "cert.pem";
/// The server key file name.
pub const KEY_FILE: &str = "key.pem";
/// Days the CA is valid.
const CA_DAYS: i64 = 3650;
/// Days a server certificate is valid.
const CERT_DAYS: i64 = 90;

/// Why the CA or a certificate could not be made, read or written (the message names the
/// file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevCaError(pub String);

impl std::fmt::Display for DevCaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DevCaError {}

/// The certificate material for one run.
#[derive(Debug)]
pub struct DevCertificate {
    /// `<dir>/ca.pem`: what clients must trust.
    pub ca_path: PathBuf,
    /// `<dir>/cert.pem`.
    pub cert_path: PathBuf,
    /// Whether the CA was created by this run (so the developer must trust it anew).
    pub new_ca: bool,
    cert_der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

fn tls_error(what: &str, path: &Path, error: impl std::fmt::Display) -> DevCaError {
    DevCaError(format!("{what} {}: {error}", path.display()))
}

/// Loads the CA from `dir` (creating it on first use) and issues a server certificate.
pub fn ensure(dir: &Path) -> Result<DevCertificate, DevCaError> {
    create_private_dir(dir)?;
    let ca_key_path = dir.join(CA_KEY_FILE);
    let ca_path = dir.join(CA_FILE);
    let (ca_key, new_key) = if ca_key_path.exists() {
        let pem = std::fs::read_to_string(&ca_key_path)
            .map_err(|e| tls_error("cannot read", &ca_key_path, e))?;
        let key = KeyPair::from_pem(&pem)
            .map_err(|e| tls_error("cannot use the CA key", &ca_key_path, e))?;
        (key, false)
    } else {
        let key =
            KeyPair::generate().map_err(|e| DevCaError(format!("cannot generate a key: {e}")))?;
        write_private(&ca_key_path, &key.serialize_pem())?;
        (key, true)
    };
    let ca_params = ca_params(&ca_key);
    let new_ca = new_key || !ca_path.exists();
    if new_ca {
        let mut params = ca_params.clone();
        validity(&mut params, CA_DAYS);
        let ca = params
            .self_signed(&ca_key)
            .map_err(|e| DevCaError(format!("cannot create the CA: {e}")))?;
        write(&ca_path, &ca.pem())?;
    }
    let issuer = Issuer::new(ca_params, ca_key);

    let key = KeyPair::generate().map_err(|e| DevCaError(format!("cannot generate a key: {e}")))?;
    let mut params = CertificateParams::new(vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
        "host.docker.internal".to_owned(),
    ])
    .map_err(|e| DevCaError(format!("cannot describe the certificate: {e}")))?;
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "local-events (development only)");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    validity(&mut params, CERT_DAYS);
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(|e| DevCaError(format!("cannot issue the server certificate: {e}")))?;
    let cert_path = dir.join(CERT_FILE);
    write(&cert_path, &cert.pem())?;
    write_private(&dir.join(KEY_FILE), &key.serialize_pem())?;
    Ok(DevCertificate {
        ca_path,
        cert_path,
        new_ca,
        cert_der: cert.der().clone(),
        key_der: key.serialize_der(),
    })
}

/// The CA's parameters, derived from its key alone.
fn ca_params(key: &KeyPair) -> CertificateParams {
    let mut params = CertificateParams::default();
    let digest = sha256_hex(key.public_key_raw());
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(
        DnType::CommonName,
        format!("local-events development CA {}", &digest[..12]),
    );
    params
        .distinguished_name
        .push(DnType::OrganizationName, "local-events (development only)");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

/// Valid from yesterday (clock skew) for `days`, with a random serial.
fn validity(params: &mut CertificateParams, days: i64) {
    let today = clock::unix_seconds(std::time::SystemTime::now()).div_euclid(86_400);
    let date = |d: i64| {
        let c = clock::civil_from_days(d);
        rcgen::date_time_ymd(c.year, c.month, c.day)
    };
    params.not_before = date(today - 1);
    params.not_after = date(today + days);
    let mut serial: Vec<u8> = (0..16).map(|_| fastrand::u8(..)).collect();
    serial[0] &= 0x7f;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
}

/// The rustls configuration serving the certificate: aws-lc-rs, HTTP/1.1 only (WebSocket
/// upgrades need it; browsers would otherwise pick HTTP/2).
pub fn server_config(cert: &DevCertificate) -> Result<Arc<rustls::ServerConfig>, DevCaError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_der.clone()));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DevCaError(format!("cannot configure TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert_der.clone()], key)
        .map_err(|e| DevCaError(format!("cannot use the certificate: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn create_private_dir(dir: &Path) -> Result<(), DevCaError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| tls_error("cannot create", dir, e))
}

fn write(path: &Path, text: &str) -> Result<(), DevCaError> {
    std::fs::write(path, text).map_err(|e| tls_error("cannot write", path, e))
}

/// Writes a key readable by its owner only.
fn write_private(path: &Path, text: &str) -> Result<(), DevCaError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| tls_error("cannot write", path, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| tls_error("cannot write", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_is_created_once_and_reused_and_keys_are_private() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = ensure(dir.path()).expect("created");
        assert!(first.new_ca);
        let ca = std::fs::read_to_string(&first.ca_path).expect("ca.pem");
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));

        let second = ensure(dir.path()).expect("reused");
        assert!(!second.new_ca);
        assert_eq!(
            std::fs::read_to_string(&second.ca_path).expect("ca.pem"),
            ca,
            "CA unchanged"
        );
        assert_ne!(
            first.cert_der, second.cert_der,
            "a fresh server certificate per start"
        );
        assert!(server_config(&second).is_ok());

        #[cfg(unix)]
        for file in [CA_KEY_FILE, KEY_FILE] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(file))
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{file} is owner-only");
        }
    }

    #[test]
    fn a_server_certificate_chains_to_the_ca_for_localhost_loopback_ips_and_the_container_host() {
        use rustls::client::danger::ServerCertVerifier;
        use rustls::pki_types::ServerName;
        let dir = tempfile::tempdir().expect("temp dir");
        let cert = ensure(dir.path()).expect("created");
        let ca_pem = std::fs::read(&cert.ca_path).expect("ca.pem");
        let mut roots = rustls::RootCertStore::empty();
        for ca in rustls_pemfile_certs(&ca_pem) {
            roots.add(ca).expect("CA accepted as a root");
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier =
            rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .expect("verifier");
        for name in ["localhost", "127.0.0.1", "::1", "host.docker.internal"] {
            let server_name = ServerName::try_from(name).expect("name");
            verifier
                .verify_server_cert(
                    &cert.cert_der,
                    &[],
                    &server_name,
                    &[],
                    rustls::pki_types::UnixTime::now(),
                )
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let other = ServerName::try_from("example.com").expect("name");
        assert!(
            verifier
                .verify_server_cert(
                    &cert.cert_der,
                    &[],
                    &other,
                    &[],
                    rustls::pki_types::UnixTime::now()
                )
                .is_err()
        );
    }

    fn rustls_pemfile_certs(pem: &[u8]) -> Vec<CertificateDer<'static>> {
        use rustls::pki_types::pem::PemObject;
        CertificateDer::pem_slice_iter(pem)
            .map(|c| c.expect("PEM"))
            .collect()
    }
}
